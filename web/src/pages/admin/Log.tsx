// The organization's audit log (org_admin): filters (time range, user, action, outcome), the
// events page by page with the API's cursor, CSV export of everything matching the same filters
// (a plain same-origin download: the session cookie goes with it), and verification of the hash
// chain.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../../api';
import { ErrorNotice, useAction } from '../../components';
import { useI18n, type MessageKey } from '../../i18n';
import { Field, explained } from './shared';

const PAGE_SIZE = 50;

type Outcome = 'success' | 'failure' | 'denied';

interface AuditEvent {
  id: number;
  seq: number;
  at: string;
  actor_type: 'user' | 'operator' | 'system' | 'anonymous';
  actor_id: string | null;
  actor_login: string | null;
  client: string | null;
  user_agent: string | null;
  action: string;
  target: string | null;
  outcome: Outcome;
  details: unknown;
}

interface EventPage {
  events: AuditEvent[];
  next_cursor: string | null;
}

interface VerifyResult {
  ok: boolean;
  events: number;
  broken?: { kind: string; seq: number; id: number; detail: string };
}

// Actions the server records in an organization's chain, for the filter and readable labels.
const ACTIONS = [
  'auth.login',
  'auth.logout',
  'auth.recovery_code_used',
  'user.create',
  'user.update',
  'user.disable',
  'user.enable',
  'user.delete',
  'user.reset_password',
  'user.reset_totp',
  'user.end_sessions',
  'user.change_password',
  'user.totp_enrol',
  'user.totp_confirm',
  'token.create',
  'token.revoke',
  'policy.update',
  'org.create',
  'org.rename',
  'org.suspend',
  'org.resume',
] as const;
const KNOWN_ACTIONS = new Set<string>(ACTIONS);

interface Filters {
  from: string; // datetime-local text, in the browser's time zone
  to: string;
  user: string;
  action: string;
  outcome: '' | Outcome;
}

const NO_FILTERS: Filters = { from: '', to: '', user: '', action: '', outcome: '' };

// The query string of the filters (without cursor and format), or the label of a bad date.
function filterQuery(f: Filters): URLSearchParams | { bad: 'from' | 'to' } {
  const q = new URLSearchParams();
  for (const key of ['from', 'to'] as const) {
    if (!f[key]) continue;
    const d = new Date(f[key]);
    if (Number.isNaN(d.getTime())) return { bad: key };
    q.set(key, d.toISOString());
  }
  if (f.user.trim()) q.set('user', f.user.trim());
  if (f.action) q.set('action', f.action);
  if (f.outcome) q.set('outcome', f.outcome);
  return q;
}

// A value of the details, short: nested objects as "key=value, …", lists joined with commas.
function detailText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(detailText).join(', ');
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}=${detailText(v)}`)
      .join(', ');
  }
  return String(value);
}

// The details object as short "key: value" pieces.
function Details({ value }: { value: unknown }) {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return <code class="detail">{detailText(value)}</code>;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return null;
  return (
    <span class="details">
      {entries.map(([k, v]) => (
        <code key={k} class="detail">
          <span class="detail-key">{k}</span> {detailText(v)}
        </code>
      ))}
    </span>
  );
}

const OUTCOME_BADGE: Record<Outcome, string> = { success: 'badge ok', failure: 'badge danger', denied: 'badge warn' };

export function AdminLog() {
  const { t, lang } = useI18n();
  const [form, setForm] = useState<Filters>(NO_FILTERS);
  const [applied, setApplied] = useState<Filters>(NO_FILTERS);
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [verified, setVerified] = useState<VerifyResult | null>(null);

  const time = useMemo(() => {
    const f = new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
    return (iso: string) => {
      const d = new Date(iso);
      return Number.isNaN(d.getTime()) ? iso : f.format(d);
    };
  }, [lang]);

  const actionLabel = (a: string) => (KNOWN_ACTIONS.has(a) ? t(`admin.log.act.${a}` as MessageKey) : a);

  const load = useAction(async (filters: Filters, after: string | null) => {
    const q = filterQuery(filters);
    if (!(q instanceof URLSearchParams)) {
      throw explained(null, t('admin.log.bad_date', { field: t(q.bad === 'from' ? 'admin.log.from' : 'admin.log.to') }));
    }
    q.set('limit', String(PAGE_SIZE));
    if (after) q.set('cursor', after);
    const page = await api.get<EventPage>('/admin/logs?' + q.toString());
    setEvents((prev) => (after ? [...prev, ...page.events] : page.events));
    setCursor(page.next_cursor);
    setLoaded(true);
    setApplied(filters);
  });

  const verify = useAction(async () => {
    setVerified(null);
    setVerified(await api.get<VerifyResult>('/admin/logs/verify'));
  });

  useEffect(() => {
    load.run(NO_FILTERS, null);
  }, []);

  const exportQuery = filterQuery(applied);
  const exportHref =
    '/api/v1/admin/logs?' +
    (exportQuery instanceof URLSearchParams ? exportQuery.toString() + (exportQuery.toString() ? '&' : '') : '') +
    'format=csv';

  const set = <K extends keyof Filters>(key: K, value: Filters[K]) => setForm({ ...form, [key]: value });

  return (
    <section class="page admin-page">
      <div class="page-head">
        <div>
          <h1>{t('admin.log.title')}</h1>
          <p class="lead">{t('admin.log.lead')}</p>
        </div>
        <div class="actions">
          <a class="button secondary" href={exportHref} download="audit-log.csv" data-testid="export-csv">
            {t('admin.log.export')}
          </a>
          <button type="button" class="secondary" disabled={verify.busy} onClick={() => verify.run()}>
            {verify.busy ? t('admin.working') : t('admin.log.verify')}
          </button>
        </div>
      </div>

      {verified &&
        (verified.ok ? (
          <div class="notice ok" role="status" data-testid="verify-result">
            {t('admin.log.verify.ok', { n: verified.events })}
          </div>
        ) : (
          <div class="notice error" role="alert" data-testid="verify-result">
            {t('admin.log.verify.broken', {
              seq: verified.broken?.seq ?? '?',
              kind: verified.broken
                ? ['altered_row', 'missing_row', 'head_mismatch'].includes(verified.broken.kind)
                  ? t(`admin.log.verify.kind.${verified.broken.kind}` as MessageKey)
                  : verified.broken.kind
                : '?',
              detail: verified.broken?.detail ?? '',
            })}
          </div>
        ))}
      <ErrorNotice error={verify.error} />

      <form
        class="log-filters"
        aria-label={t('admin.log.filters')}
        onSubmit={(e) => {
          e.preventDefault();
          load.run(form, null);
        }}
      >
        <Field label={t('admin.log.from')}>
          {(props) => (
            <input
              {...props}
              type="datetime-local"
              step="1"
              value={form.from}
              onInput={(e) => set('from', (e.currentTarget as HTMLInputElement).value)}
            />
          )}
        </Field>
        <Field label={t('admin.log.to')}>
          {(props) => (
            <input
              {...props}
              type="datetime-local"
              step="1"
              value={form.to}
              onInput={(e) => set('to', (e.currentTarget as HTMLInputElement).value)}
            />
          )}
        </Field>
        <Field label={t('admin.log.user')}>
          {(props) => (
            <input
              {...props}
              type="search"
              placeholder={t('admin.log.user.hint')}
              value={form.user}
              onInput={(e) => set('user', (e.currentTarget as HTMLInputElement).value)}
            />
          )}
        </Field>
        <Field label={t('admin.log.action')}>
          {(props) => (
            <select
              {...props}
              value={form.action}
              onChange={(e) => set('action', (e.currentTarget as HTMLSelectElement).value)}
            >
              <option value="">{t('admin.log.action.any')}</option>
              {ACTIONS.map((a) => (
                <option key={a} value={a}>
                  {actionLabel(a)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('admin.log.outcome')}>
          {(props) => (
            <select
              {...props}
              value={form.outcome}
              onChange={(e) => set('outcome', (e.currentTarget as HTMLSelectElement).value as Filters['outcome'])}
            >
              <option value="">{t('admin.log.outcome.any')}</option>
              {(['success', 'failure', 'denied'] as const).map((o) => (
                <option key={o} value={o}>
                  {t(`admin.log.outcome.${o}` as MessageKey)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div class="actions filter-buttons">
          <button type="submit" disabled={load.busy}>
            {t('admin.log.apply')}
          </button>
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setForm(NO_FILTERS);
              load.run(NO_FILTERS, null);
            }}
          >
            {t('admin.log.reset')}
          </button>
        </div>
      </form>

      <ErrorNotice error={load.error} />
      {!loaded && !load.error && <p class="loading">{t('common.loading')}</p>}
      {loaded && events.length === 0 && <p class="empty-state">{t('admin.log.empty')}</p>}
      {events.length > 0 && (
        <div class="table-wrap">
          <table class="admin-table log-table" data-testid="log-table">
            <thead>
              <tr>
                <th scope="col">{t('admin.log.col.time')}</th>
                <th scope="col">{t('admin.log.col.actor')}</th>
                <th scope="col">{t('admin.log.col.client')}</th>
                <th scope="col">{t('admin.log.col.action')}</th>
                <th scope="col">{t('admin.log.col.target')}</th>
                <th scope="col">{t('admin.log.col.outcome')}</th>
                <th scope="col">{t('admin.log.col.details')}</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id} data-action={e.action}>
                  <td class="nowrap">
                    <time dateTime={e.at} title={e.at}>
                      {time(e.at)}
                    </time>
                  </td>
                  <td title={e.actor_id ?? undefined}>
                    {e.actor_login ??
                      (e.actor_type === 'user' ? e.actor_id : t(`admin.log.actor.${e.actor_type}` as MessageKey))}
                  </td>
                  <td class="mono-soft nowrap" title={e.user_agent ?? undefined}>
                    {e.client ?? '—'}
                  </td>
                  <td title={e.action}>
                    {actionLabel(e.action)}
                    {KNOWN_ACTIONS.has(e.action) && <span class="action-code">{e.action}</span>}
                  </td>
                  <td class="mono-soft">{e.target ?? '—'}</td>
                  <td>
                    <span class={OUTCOME_BADGE[e.outcome] ?? 'badge'}>
                      {t(`admin.log.outcome.${e.outcome}` as MessageKey)}
                    </span>
                  </td>
                  <td>
                    <Details value={e.details} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <div class="list-foot">
          <span />
          <button type="button" class="secondary" disabled={load.busy} onClick={() => load.run(applied, cursor)}>
            {t('common.more')}
          </button>
        </div>
      )}
    </section>
  );
}
