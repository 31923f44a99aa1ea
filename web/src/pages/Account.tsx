// /account: who the user is, the password, two-step sign-in and the API tokens.
import { useState } from 'preact/hooks';
import { OkNotice } from '../components';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { PasswordForm } from './account/PasswordForm';
import { Tokens } from './account/Tokens';

export function Account() {
  const { t } = useI18n();
  const { user } = useSession();
  const [passwordChanged, setPasswordChanged] = useState(false);
  if (!user) return null;
  return (
    <>
      <section class="page" aria-labelledby="account-title">
        <h1 id="account-title">{t('account.title')}</h1>
        <dl class="details" data-testid="profile">
          <dt>{t('account.name')}</dt>
          <dd>{user.display_name}</dd>
          <dt>{t('account.login')}</dt>
          <dd>{user.login}</dd>
          <dt>{t('account.org')}</dt>
          <dd>
            <span class="mono">{user.org}</span>
          </dd>
          <dt>{t('account.role')}</dt>
          <dd>{t(user.role === 'org_admin' ? 'account.role.org_admin' : 'account.role.member')}</dd>
        </dl>
      </section>

      <div class="account-columns">
        <section class="page" aria-labelledby="account-password">
          <h2 id="account-password" class="section-title">
            {t('account.password')}
          </h2>
          <p class="section-lead">{t('password.lead')}</p>
          {passwordChanged && <OkNotice>{t('password.changed')}</OkNotice>}
          <PasswordForm idPrefix="account-password" onChanged={() => setPasswordChanged(true)} />
        </section>

        <section class="page" aria-labelledby="account-totp">
          <h2 id="account-totp" class="section-title">
            {t('account.totp')}
          </h2>
          <p class="status-line" data-testid="totp-status">
            <span class={'badge' + (user.totp_enabled ? ' ok' : '')}>
              {user.totp_enabled ? t('account.totp_on') : t('account.totp_off')}
            </span>
          </p>
          <p class="section-lead">{user.totp_enabled ? t('account.totp_on_body') : t('account.totp_off_body')}</p>
          <a class={user.totp_enabled ? 'button secondary-link' : 'button'} href="/account/2fa">
            {user.totp_enabled ? t('account.totp_redo') : t('account.totp_setup')}
          </a>
        </section>
      </div>

      <Tokens />
    </>
  );
}
