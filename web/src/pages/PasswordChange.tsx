// /password: the forced change after a one-time password (the guard keeps the user here until
// it is done), and the same form reached by choice.
import { useLocation } from 'preact-iso';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { PasswordForm } from './account/PasswordForm';

export function PasswordChange() {
  const { t } = useI18n();
  const { user } = useSession();
  const { route } = useLocation();
  const forced = !!user?.password_change_required;
  return (
    <section class="page card-narrow" aria-labelledby="password-title">
      <h1 id="password-title">{forced ? t('password.forced_title') : t('password.title')}</h1>
      {forced ? (
        <div class="notice warn lead-notice">{t('password.forced_lead')}</div>
      ) : (
        <p class="lead">{t('password.lead')}</p>
      )}
      {/* The guard sends the user on to /account/2fa when the organization requires it. */}
      <PasswordForm idPrefix="password" onChanged={() => route('/')} />
      {!forced && (
        <p class="form-footer">
          <a href="/account">{t('common.cancel')}</a>
        </p>
      )}
    </section>
  );
}
