// /account/2fa: enrolment of an authenticator app. "Set up" asks the server for a new secret
// (QR code and the key for typing in), the first code from the app confirms it, and the ten
// recovery codes are shown once. The guard keeps a user whose organization requires two-step
// sign-in here until "Done" reloads the session.
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api } from '../api';
import { ErrorNotice, OkNotice, useAction } from '../components';
import { useI18n } from '../i18n';
import { useSession } from '../session';

interface Enrolment {
  otpauth_uri: string;
  qr_svg: string;
  secret: string;
}

// The base32 key in groups of four, easier to read out and type.
export function groupKey(secret: string): string {
  return (secret.replace(/\s+/g, '').match(/.{1,4}/g) ?? []).join(' ');
}

function svgDataUri(svg: string): string {
  // The SVG is ASCII; encode it as UTF-8 anyway so that btoa cannot throw.
  const bytes = new TextEncoder().encode(svg);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return 'data:image/svg+xml;base64,' + btoa(binary);
}

function RecoveryCodes({ codes }: { codes: string[] }) {
  const { t } = useI18n();
  const { refresh } = useSession();
  const { route } = useLocation();
  const [copied, setCopied] = useState(false);
  const done = useAction(async () => {
    await refresh();
    route('/');
  });
  return (
    <section class="page card-medium" aria-labelledby="totp-title">
      <OkNotice>{t('totp.enabled')}</OkNotice>
      <h1 id="totp-title" class="after-notice">
        {t('totp.codes_title')}
      </h1>
      <div class="notice warn">{t('totp.codes_warning')}</div>
      <ol class="recovery-codes" data-testid="recovery-codes">
        {codes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ol>
      <ErrorNotice error={done.error} />
      <div class="actions">
        <button
          type="button"
          class="secondary"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(codes.join('\n') + '\n');
              setCopied(true);
            } catch {
              setCopied(false);
            }
          }}
        >
          {copied ? t('common.copied') : t('totp.copy_codes')}
        </button>
        <button type="button" onClick={() => done.run()} disabled={done.busy}>
          {t('totp.done')}
        </button>
      </div>
    </section>
  );
}

export function TotpEnrol() {
  const { t } = useI18n();
  const { user } = useSession();
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [code, setCode] = useState('');
  const codeRef = useRef<HTMLInputElement>(null);
  const required = !!user?.totp_enrolment_required;

  const begin = useAction(async () => {
    setEnrolment(await api.post<Enrolment>('/me/totp'));
    setCode('');
  });
  const confirm = useAction(async (value: string) => {
    const answer = await api.post<{ recovery_codes: string[] }>('/me/totp/confirm', { code: value });
    setCodes(answer.recovery_codes);
    return true;
  });

  useEffect(() => {
    if (enrolment) codeRef.current?.focus();
  }, [enrolment]);

  if (!user) return null;
  if (codes) return <RecoveryCodes codes={codes} />;

  if (!enrolment) {
    return (
      <section class="page card-medium" aria-labelledby="totp-title">
        <h1 id="totp-title">{t('totp.title')}</h1>
        {required && <div class="notice warn lead-notice">{t('totp.required')}</div>}
        <p>{t('totp.lead')}</p>
        {user.totp_enabled && !required && <div class="notice warn lead-notice">{t('totp.already')}</div>}
        <ErrorNotice error={begin.error} />
        <div class="actions">
          <button type="button" onClick={() => begin.run()} disabled={begin.busy}>
            {t('totp.start')}
          </button>
          {!required && (
            <a class="button secondary-link" href="/account">
              {t('common.cancel')}
            </a>
          )}
        </div>
      </section>
    );
  }

  const submit = async (e: Event) => {
    e.preventDefault();
    const value = code.replace(/\s+/g, '');
    if (await confirm.run(value)) return;
    setCode('');
    codeRef.current?.focus();
  };

  return (
    <section class="page card-medium" aria-labelledby="totp-title">
      <h1 id="totp-title">{t('totp.title')}</h1>
      {required && <div class="notice warn lead-notice">{t('totp.required')}</div>}
      <div class="enrol-grid">
        <div class="enrol-qr">
          <h2>{t('totp.scan_title')}</h2>
          <p class="step-body">{t('totp.scan_body')}</p>
          <img class="qr" src={svgDataUri(enrolment.qr_svg)} alt={t('totp.qr_alt')} width={220} height={220} />
          <p class="step-body">{t('totp.manual')}</p>
          <code class="totp-secret" data-testid="totp-secret">
            {groupKey(enrolment.secret)}
          </code>
        </div>
        <div class="enrol-code">
          <h2>{t('totp.code_title')}</h2>
          <p class="step-body">{t('totp.code_body')}</p>
          <form class="stack" onSubmit={submit}>
            <ErrorNotice error={confirm.error} />
            <div class="field">
              <label for="totp-code">{t('totp.code')}</label>
              <input
                id="totp-code"
                ref={codeRef}
                class="code"
                type="text"
                inputMode="numeric"
                autoComplete="one-time-code"
                pattern="[0-9 ]*"
                maxLength={7}
                required
                value={code}
                onInput={(e) => setCode(e.currentTarget.value)}
              />
            </div>
            <div class="actions">
              <button type="submit" disabled={confirm.busy || code.trim() === ''}>
                {t('totp.confirm')}
              </button>
              {!required && (
                <a class="button secondary-link" href="/account">
                  {t('common.cancel')}
                </a>
              )}
            </div>
          </form>
        </div>
      </div>
    </section>
  );
}
