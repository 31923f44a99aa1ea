// The organization's policy (org_admin): password rules, who must use two-step sign-in, session
// timeouts and the IP allowlist, saved together with PUT /admin/policy. The server checks every
// value; its refusals name the key at fault, which this page turns into the field (or the line of
// the allowlist) to fix. An allowlist that excludes the administrator's own address is refused
// with would_lock_out until the administrator confirms it.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../../api';
import { ErrorNotice, OkNotice, useAction } from '../../components';
import { useI18n, type MessageKey } from '../../i18n';
import { Checkbox, Field, explained } from './shared';

type Require2fa = 'none' | 'admins' | 'all';

interface PasswordRules {
  min_length: number;
  max_length: number;
  require_lower: boolean;
  require_upper: boolean;
  require_digit: boolean;
  require_symbol: boolean;
  min_classes: number;
  expiry_days: number;
  history_count: number;
  blocklist: boolean;
  [key: string]: unknown;
}

interface SessionPolicy {
  idle_timeout_minutes: number;
  absolute_timeout_hours: number;
}

interface Policy {
  password: PasswordRules;
  require_2fa: Require2fa;
  ip_allowlist: string[];
  sessions?: SessionPolicy;
  [key: string]: unknown;
}

// The ranges the server accepts (admin/password_rules.hpp, admin/organization_policy.hpp); they
// only guide the inputs: the server decides.
const LIMITS = {
  min_length: [8, 128],
  max_length: [64, 1024],
  expiry_days: [0, 3650],
  history_count: [0, 24],
  idle_timeout_minutes: [5, 1440],
  absolute_timeout_hours: [1, 720],
} as const;

type NumberKey = 'min_length' | 'max_length' | 'expiry_days' | 'history_count';
type FlagKey = 'require_lower' | 'require_upper' | 'require_digit' | 'require_symbol' | 'blocklist';
type SessionKey = keyof SessionPolicy;

interface Draft {
  numbers: Record<NumberKey | SessionKey, string>;
  flags: Record<FlagKey, boolean>;
  min_classes: number;
  require_2fa: Require2fa;
  allowlist: string;
}

function draftOf(p: Policy): Draft {
  return {
    numbers: {
      min_length: String(p.password.min_length),
      max_length: String(p.password.max_length),
      expiry_days: String(p.password.expiry_days),
      history_count: String(p.password.history_count),
      idle_timeout_minutes: p.sessions ? String(p.sessions.idle_timeout_minutes) : '',
      absolute_timeout_hours: p.sessions ? String(p.sessions.absolute_timeout_hours) : '',
    },
    flags: {
      require_lower: p.password.require_lower,
      require_upper: p.password.require_upper,
      require_digit: p.password.require_digit,
      require_symbol: p.password.require_symbol,
      blocklist: p.password.blocklist,
    },
    min_classes: p.password.min_classes,
    require_2fa: p.require_2fa,
    allowlist: p.ip_allowlist.join('\n'),
  };
}

const NUMBER_LABELS: Record<NumberKey | SessionKey, MessageKey> = {
  min_length: 'admin.policy.min_length',
  max_length: 'admin.policy.max_length',
  expiry_days: 'admin.policy.expiry_days',
  history_count: 'admin.policy.history_count',
  idle_timeout_minutes: 'admin.policy.idle_timeout',
  absolute_timeout_hours: 'admin.policy.absolute_timeout',
};

// The allowlist's non-empty lines, each with its line number in the text area.
function allowlistLines(text: string): { line: number; text: string }[] {
  return text
    .split('\n')
    .map((l, i) => ({ line: i + 1, text: l.trim() }))
    .filter((l) => l.text !== '');
}

// Which field a refusal names: "password.min_length: …", "sessions.idle_timeout_minutes must …",
// "ip_allowlist[2] must …".
function faultOf(message: string): { field?: string; allowlistIndex?: number } {
  const range = /ip_allowlist\[(\d+)\]/.exec(message);
  if (range) return { allowlistIndex: Number(range[1]) };
  const key = /^(?:password|sessions)\.([a-z_]+)/.exec(message);
  if (key) return { field: key[1] };
  if (/^require_2fa/.test(message)) return { field: 'require_2fa' };
  if (/^ip_allowlist/.test(message)) return { field: 'ip_allowlist' };
  return {};
}

export function AdminPolicy() {
  const { t } = useI18n();
  const [policy, setPolicy] = useState<Policy | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [saved, setSaved] = useState(false);
  const [fault, setFault] = useState<{ field?: string; line?: number }>({});
  // A save refused with would_lock_out: the server's message and the body to send again.
  const [lockout, setLockout] = useState<{ message: string; body: Record<string, unknown> } | null>(null);

  const load = useAction(async () => {
    const p = await api.get<Policy>('/admin/policy');
    setPolicy(p);
    setDraft(draftOf(p));
  });
  useEffect(() => {
    load.run();
  }, []);

  const save = useAction(async (body: Record<string, unknown>) => {
    const lines = allowlistLines(draft!.allowlist);
    try {
      const p = await api.put<Policy>('/admin/policy', body);
      setPolicy(p);
      setDraft(draftOf(p));
      setSaved(true);
      setLockout(null);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.code === 'would_lock_out') {
        setLockout({ message: err.message, body });
        return;
      }
      if (err.code === 'invalid_policy' || err.code === 'bad_request') {
        const f = faultOf(err.message);
        if (f.allowlistIndex !== undefined && lines[f.allowlistIndex]) {
          const bad = lines[f.allowlistIndex];
          setFault({ field: 'ip_allowlist', line: bad.line });
          throw explained(err, t('admin.policy.allowlist.bad_line', { line: bad.line, text: bad.text }));
        }
        setFault({ field: f.field });
        throw explained(err, t('admin.policy.invalid') + ' ' + err.message);
      }
      throw err;
    }
  });

  if (!policy || !draft) {
    return (
      <section class="page admin-page">
        <h1>{t('admin.policy.title')}</h1>
        <ErrorNotice error={load.error} />
        {!load.error && <p class="loading">{t('common.loading')}</p>}
      </section>
    );
  }

  const setNumber = (key: NumberKey | SessionKey, value: string) =>
    setDraft({ ...draft, numbers: { ...draft.numbers, [key]: value } });
  const setFlag = (key: FlagKey, value: boolean) => setDraft({ ...draft, flags: { ...draft.flags, [key]: value } });

  const submit = () => {
    setSaved(false);
    setFault({});
    setLockout(null);
    save.setError(null);
    const numbers: Partial<Record<NumberKey | SessionKey, number>> = {};
    const keys: (NumberKey | SessionKey)[] = ['min_length', 'max_length', 'expiry_days', 'history_count'];
    if (policy.sessions) keys.push('idle_timeout_minutes', 'absolute_timeout_hours');
    for (const key of keys) {
      const text = draft.numbers[key].trim();
      if (!/^\d+$/.test(text)) {
        setFault({ field: key });
        save.setError(explained(null, t('admin.policy.number_invalid', { field: t(NUMBER_LABELS[key]) })));
        return;
      }
      numbers[key] = Number(text);
    }
    const body: Record<string, unknown> = {
      password: {
        ...policy.password,
        min_length: numbers.min_length,
        max_length: numbers.max_length,
        expiry_days: numbers.expiry_days,
        history_count: numbers.history_count,
        min_classes: draft.min_classes,
        ...draft.flags,
      },
      require_2fa: draft.require_2fa,
      ip_allowlist: allowlistLines(draft.allowlist).map((l) => l.text),
    };
    if (policy.sessions) {
      body.sessions = {
        idle_timeout_minutes: numbers.idle_timeout_minutes,
        absolute_timeout_hours: numbers.absolute_timeout_hours,
      };
    }
    save.run(body);
  };

  const numberField = (key: NumberKey | SessionKey, hint?: string) => (
    <Field label={t(NUMBER_LABELS[key])} hint={hint} invalid={fault.field === key}>
      {(props) => (
        <input
          {...props}
          type="number"
          inputMode="numeric"
          min={LIMITS[key][0]}
          max={LIMITS[key][1]}
          step="1"
          required
          value={draft.numbers[key]}
          onInput={(e) => setNumber(key, (e.currentTarget as HTMLInputElement).value)}
        />
      )}
    </Field>
  );

  return (
    <section class="page admin-page">
      <div class="page-head">
        <div>
          <h1>{t('admin.policy.title')}</h1>
          <p class="lead">{t('admin.policy.lead')}</p>
        </div>
      </div>
      <form
        class="stack policy-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
        onInput={() => setSaved(false)}
      >
        <section class="policy-section" aria-labelledby="policy-password">
          <h2 id="policy-password">{t('admin.policy.password')}</h2>
          <p class="hint">{t('admin.policy.password.lead')}</p>
          <div class="policy-grid">
            {numberField('min_length', `${LIMITS.min_length[0]}–${LIMITS.min_length[1]}`)}
            {numberField('max_length', `${LIMITS.max_length[0]}–${LIMITS.max_length[1]}`)}
          </div>
          <div class="checkbox-grid">
            {(['require_lower', 'require_upper', 'require_digit', 'require_symbol'] as const).map((k) => (
              <Checkbox
                key={k}
                label={t(`admin.policy.${k}` as MessageKey)}
                checked={draft.flags[k]}
                onChange={(v) => setFlag(k, v)}
              />
            ))}
          </div>
          <div class="policy-grid">
            <Field label={t('admin.policy.min_classes')} invalid={fault.field === 'min_classes'}>
              {(props) => (
                <select
                  {...props}
                  value={String(draft.min_classes)}
                  onChange={(e) =>
                    setDraft({ ...draft, min_classes: Number((e.currentTarget as HTMLSelectElement).value) })
                  }
                >
                  {[0, 1, 2, 3, 4].map((n) => (
                    <option key={n} value={String(n)}>
                      {n === 0 ? t('admin.policy.min_classes.none') : t('admin.policy.min_classes.n', { n })}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {numberField('expiry_days', t('admin.policy.expiry_days.hint'))}
            {numberField('history_count', t('admin.policy.history_count.hint'))}
          </div>
          <Checkbox
            label={t('admin.policy.blocklist')}
            checked={draft.flags.blocklist}
            onChange={(v) => setFlag('blocklist', v)}
          />
        </section>

        <section class="policy-section" aria-labelledby="policy-2fa">
          <h2 id="policy-2fa">{t('admin.policy.two_step')}</h2>
          <fieldset class="radio-group" aria-invalid={fault.field === 'require_2fa' ? 'true' : undefined}>
            <legend>{t('admin.policy.require_2fa')}</legend>
            {(['none', 'admins', 'all'] as const).map((v) => (
              <label key={v} class="checkbox">
                <input
                  type="radio"
                  name="require_2fa"
                  value={v}
                  checked={draft.require_2fa === v}
                  onChange={() => setDraft({ ...draft, require_2fa: v })}
                />
                <span>{t(`admin.policy.require_2fa.${v}` as MessageKey)}</span>
              </label>
            ))}
          </fieldset>
        </section>

        {policy.sessions && (
          <section class="policy-section" aria-labelledby="policy-sessions">
            <h2 id="policy-sessions">{t('admin.policy.sessions')}</h2>
            <div class="policy-grid">
              {numberField(
                'idle_timeout_minutes',
                t('admin.policy.idle_timeout.hint', {
                  min: LIMITS.idle_timeout_minutes[0],
                  max: LIMITS.idle_timeout_minutes[1],
                }),
              )}
              {numberField(
                'absolute_timeout_hours',
                t('admin.policy.absolute_timeout.hint', {
                  min: LIMITS.absolute_timeout_hours[0],
                  max: LIMITS.absolute_timeout_hours[1],
                }),
              )}
            </div>
          </section>
        )}

        <section class="policy-section" aria-labelledby="policy-allowlist">
          <h2 id="policy-allowlist">{t('admin.policy.allowlist')}</h2>
          <Field
            label={t('admin.policy.allowlist.field')}
            hint={t('admin.policy.allowlist.hint')}
            invalid={fault.field === 'ip_allowlist'}
          >
            {(props) => (
              <textarea
                {...props}
                class="allowlist"
                rows={6}
                spellcheck={false}
                autoComplete="off"
                value={draft.allowlist}
                onInput={(e) => setDraft({ ...draft, allowlist: (e.currentTarget as HTMLTextAreaElement).value })}
              />
            )}
          </Field>
        </section>

        {lockout && (
          <div class="notice warn lockout" role="alert" data-testid="lockout-warning">
            <strong>{t('admin.policy.lockout.title')}</strong>
            <p>{lockout.message}</p>
            <p>{t('admin.policy.lockout.body')}</p>
            <div class="actions">
              <button type="button" class="secondary" onClick={() => setLockout(null)}>
                {t('admin.policy.lockout.cancel')}
              </button>
              <button
                type="button"
                class="danger-solid"
                disabled={save.busy}
                onClick={() => save.run({ ...lockout.body, confirm_lockout: true })}
              >
                {t('admin.policy.lockout.confirm')}
              </button>
            </div>
          </div>
        )}
        <ErrorNotice error={save.error} />
        {saved && <OkNotice>{t('admin.policy.saved')}</OkNotice>}
        <div class="actions form-foot">
          <button type="submit" disabled={save.busy}>
            {save.busy ? t('admin.working') : t('admin.policy.save')}
          </button>
        </div>
      </form>
    </section>
  );
}
