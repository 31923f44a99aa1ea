// The start page after sign-in.
import { useI18n } from '../i18n';
import { useSession } from '../session';

export function Home() {
  const { t } = useI18n();
  const { user } = useSession();
  if (!user) return null;
  return (
    <section class="page">
      <h1>{t('home.title', { name: user.display_name })}</h1>
      <p>{t('home.body', { org: user.org })}</p>
    </section>
  );
}
