// Sign-in: organization code, e-mail address and password; then, for a user with two-step
// sign-in, a second step that sends the same three again with the authenticator (or recovery)
// code. The organization code is remembered in this browser for the next visit.
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, ApiError, setCsrfToken, type LoginAnswer } from '../api';
import { ErrorNotice } from '../components';
import { useI18n } from '../i18n';
import { useSession } from '../session';

const ORG_KEY = 'furoshiki.org';

function rememberedOrg(): string {
  try {
    return localStorage.getItem(ORG_KEY) ?? '';
  } catch {
    return '';
  }
}

function rememberOrg(org: string): void {
  try {
    localStorage.setItem(ORG_KEY, org);
  } catch {
    // Storage disabled: the code is typed again next time.
  }
}

// Where to go after signing in: the ?next= path when it stays on this site, else the start page.
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (next === '/login' || next.startsWith('/login?')) return '/';
  return next;
}

export function Login() {
  const { t } = useI18n();
  const { setUser } = useSession();
  const { query, route } = useLocation();
  const [org, setOrg] = useState(rememberedOrg);
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [step, setStep] = useState<'password' | 'totp'>('password');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const orgRef = useRef<HTMLInputElement>(null);
  const loginRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const codeRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (step === 'totp') codeRef.current?.focus();
    else if (org) loginRef.current?.focus();
    else orgRef.current?.focus();
  }, [step]);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const orgCode = org.trim().toLowerCase();
    const body: Record<string, string> = { org: orgCode, login: login.trim(), password };
    if (step === 'totp') body.totp = code.replace(/\s+/g, '');
    try {
      const answer = await api.post<LoginAnswer>('/auth/login', body);
      rememberOrg(orgCode);
      setCsrfToken(answer.csrf_token);
      setUser({
        ...answer.user,
        password_change_required: answer.password_change_required,
        totp_enrolment_required: answer.totp_enrolment_required,
      });
      route(safeNext(query.next));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'totp_required') {
        if (step === 'password') {
          setStep('totp');
          setCode('');
        } else {
          // The same answer for a wrong code: say so in the words of the enrolment page.
          setError(new ApiError(err.status, 'invalid_code', err.message));
          setCode('');
          codeRef.current?.focus();
        }
      } else {
        setError(err);
        if (err instanceof ApiError && err.code === 'invalid_credentials') {
          // Type it again; the organization code and e-mail address stay.
          setPassword('');
          passwordRef.current?.focus();
        }
      }
    } finally {
      setBusy(false);
    }
  };

  const back = () => {
    setStep('password');
    setPassword('');
    setCode('');
    setError(null);
  };

  if (step === 'totp') {
    return (
      <section class="page card-narrow" aria-labelledby="login-title">
        <h1 id="login-title">{t('login.totp_title')}</h1>
        <p class="lead">{t('login.totp_lead')}</p>
        <p class="auth-identity">{t('login.totp_account', { login: login.trim(), org: org.trim().toLowerCase() })}</p>
        <form class="stack" onSubmit={submit} noValidate>
          <ErrorNotice error={error} />
          <div class="field">
            <label for="login-code">{t('login.totp_code')}</label>
            <input
              id="login-code"
              ref={codeRef}
              class="code"
              type="text"
              inputMode="numeric"
              autoComplete="one-time-code"
              autoCapitalize="characters"
              spellcheck={false}
              maxLength={32}
              required
              aria-describedby="login-code-hint"
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
            />
            <span class="hint" id="login-code-hint">
              {t('login.totp_hint')}
            </span>
          </div>
          <button type="submit" class="full" disabled={busy || code.trim() === ''}>
            {t('login.verify')}
          </button>
        </form>
        <p class="form-footer">
          <button type="button" class="link-button" onClick={back}>
            {t('login.back')}
          </button>
        </p>
      </section>
    );
  }

  return (
    <section class="page card-narrow" aria-labelledby="login-title">
      <h1 id="login-title">{t('login.title')}</h1>
      <p class="lead">{t('login.lead')}</p>
      <form class="stack" onSubmit={submit}>
        <ErrorNotice error={error} />
        <div class="field">
          <label for="login-org">{t('login.org')}</label>
          <input
            id="login-org"
            ref={orgRef}
            type="text"
            name="org"
            autoComplete="organization"
            autoCapitalize="none"
            spellcheck={false}
            maxLength={64}
            required
            aria-describedby="login-org-hint"
            value={org}
            onInput={(e) => setOrg(e.currentTarget.value)}
          />
          <span class="hint" id="login-org-hint">
            {t('login.org_hint')}
          </span>
        </div>
        <div class="field">
          <label for="login-email">{t('login.email')}</label>
          <input
            id="login-email"
            ref={loginRef}
            type="email"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellcheck={false}
            required
            value={login}
            onInput={(e) => setLogin(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="login-password">{t('login.password')}</label>
          <input
            id="login-password"
            ref={passwordRef}
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </div>
        <button type="submit" class="full" disabled={busy}>
          {t('login.submit')}
        </button>
      </form>
      <p class="form-footer">{t('login.help')}</p>
    </section>
  );
}
