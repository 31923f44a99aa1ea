// The application frame: language, session, the route table and the guards that send a user
// where the server's state says they must go (sign-in, forced password change, required 2FA
// enrolment) before anything else.
import { LocationProvider, Router, Route, useLocation } from 'preact-iso';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ComponentChildren, FunctionComponent } from 'preact';
import { dateFormatter, I18nContext, initialLang, saveLang, translator, useI18n, LANGS, type Lang } from './i18n';
import { SessionContext, useSession, useSessionState } from './session';
import { Login } from './pages/Login';
import { PasswordChange } from './pages/PasswordChange';
import { TotpEnrol } from './pages/TotpEnrol';
import { Account } from './pages/Account';
import { AdminUsers } from './pages/admin/Users';
import { AdminPolicy } from './pages/admin/Policy';
import { AdminLog } from './pages/admin/Log';
import { Home } from './pages/Home';
import { Files } from './pages/Files';
import { NotFound } from './pages/NotFound';

export const PATHS = {
  login: '/login',
  password: '/password',
  totp: '/account/2fa',
  account: '/account',
  home: '/',
  files: '/files',
  adminUsers: '/admin/users',
  adminPolicy: '/admin/policy',
  adminLog: '/admin/log',
} as const;

// Pages a signed-out visitor may see.
const PUBLIC_PATHS = new Set<string>([PATHS.login]);

function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <label class="lang-switch">
      <span class="visually-hidden">{t('nav.language')}</span>
      <select value={lang} onChange={(e) => setLang((e.currentTarget as HTMLSelectElement).value as Lang)}>
        {LANGS.map((l) => (
          <option value={l} key={l}>
            {t(`lang.${l}`)}
          </option>
        ))}
      </select>
    </label>
  );
}

function Header() {
  const { t } = useI18n();
  const { user, signOut } = useSession();
  const { path, route } = useLocation();
  const restricted = !user || user.password_change_required || user.totp_enrolment_required;
  // A section's link stays marked on its sub-pages (/account/2fa is part of Account).
  const link = (href: string, label: string) => {
    const current = path === href || (href !== '/' && path.startsWith(href + '/'));
    return (
      <a href={href} class={current ? 'active' : undefined} aria-current={current ? 'page' : undefined}>
        {label}
      </a>
    );
  };
  return (
    <header class="app-header">
      <a class="brand" href="/">
        <span class="brand-mark" aria-hidden="true" />
        {t('app.name')}
      </a>
      {user && !restricted && (
        <nav aria-label={t('nav.main')} class="main-nav">
          {user.role === 'org_admin' && link(PATHS.home, t('nav.home'))}
          {link(PATHS.files, t('nav.files'))}
          {link(PATHS.account, t('nav.account'))}
          {user.role === 'org_admin' && link(PATHS.adminUsers, t('nav.admin.users'))}
          {user.role === 'org_admin' && link(PATHS.adminPolicy, t('nav.admin.policy'))}
          {user.role === 'org_admin' && link(PATHS.adminLog, t('nav.admin.log'))}
        </nav>
      )}
      <div class="header-end">
        <LanguageSwitch />
        {user && (
          <span class="who" title={user.login}>
            {user.display_name} <span class="org-code">{user.org}</span>
          </span>
        )}
        {user && (
          <button
            type="button"
            class="link-button"
            data-testid="sign-out"
            onClick={async () => {
              await signOut().catch(() => {});
              route(PATHS.login);
            }}
          >
            {t('nav.sign_out')}
          </button>
        )}
      </div>
    </header>
  );
}

// Sends the user where the session state requires; renders children only where they may be.
function Guard({ children }: { children: ComponentChildren }) {
  const { user } = useSession();
  const { path, url, route } = useLocation();
  const { t } = useI18n();

  let target: string | null = null;
  if (user === null && !PUBLIC_PATHS.has(path)) {
    target = PATHS.login + (path !== '/' ? '?next=' + encodeURIComponent(url) : '');
  } else if (user && user.password_change_required && path !== PATHS.password) {
    target = PATHS.password;
  } else if (user && !user.password_change_required && user.totp_enrolment_required && path !== PATHS.totp) {
    target = PATHS.totp;
  } else if (user && path === PATHS.login) {
    target = PATHS.home;
  } else if (user && user.role !== 'org_admin' && path === PATHS.home) {
    // A member's home is their files.
    target = PATHS.files;
  }

  useEffect(() => {
    if (target) route(target, true);
  }, [target]);

  if (user === undefined || target) return <p class="loading">{t('common.loading')}</p>;
  return <>{children}</>;
}

function AdminOnly({ page: Page }: { page: FunctionComponent }) {
  const { user } = useSession();
  return user?.role === 'org_admin' ? <Page /> : <NotFound />;
}

function Routes() {
  return (
    <Router>
      <Route path={PATHS.login} component={Login} />
      <Route path={PATHS.password} component={PasswordChange} />
      <Route path={PATHS.totp} component={TotpEnrol} />
      <Route path={PATHS.account} component={Account} />
      <Route path={PATHS.files} component={Files} />
      <Route path={PATHS.adminUsers} component={() => <AdminOnly page={AdminUsers} />} />
      <Route path={PATHS.adminPolicy} component={() => <AdminOnly page={AdminPolicy} />} />
      <Route path={PATHS.adminLog} component={() => <AdminOnly page={AdminLog} />} />
      <Route path={PATHS.home} component={Home} />
      <Route default component={NotFound} />
    </Router>
  );
}

export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const i18n = useMemo(
    () => ({
      lang,
      t: translator(lang),
      formatDate: dateFormatter(lang),
      setLang: (l: Lang) => {
        saveLang(l);
        setLangState(l);
      },
    }),
    [lang],
  );
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = i18n.t('app.name');
  }, [lang]);
  const session = useSessionState();
  return (
    <I18nContext.Provider value={i18n}>
      <SessionContext.Provider value={session}>
        <LocationProvider>
          <Header />
          <main class="app-main">
            <Guard>
              <Routes />
            </Guard>
          </main>
        </LocationProvider>
      </SessionContext.Provider>
    </I18nContext.Provider>
  );
}
