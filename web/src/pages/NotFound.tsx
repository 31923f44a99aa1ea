// Any address the route table does not know, and admin pages for non-admins.
import { useI18n } from '../i18n';

export function NotFound() {
  const { t } = useI18n();
  return (
    <section class="page">
      <h1>{t('notfound.title')}</h1>
      <p>{t('notfound.body')}</p>
      <p>
        <a href="/">{t('notfound.back')}</a>
      </p>
    </section>
  );
}
