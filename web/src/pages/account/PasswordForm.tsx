// The password change form, on its own page (forced or by choice) and on the account page.
// The server answers 204 with a new session cookie and its CSRF token in a header (api.ts keeps
// it); every other session of the user ends.
import { useState } from 'preact/hooks';
import { api, ApiError } from '../../api';
import { ErrorNotice } from '../../components';
import { useI18n } from '../../i18n';
import { useSession } from '../../session';
import { FormProblem } from './Notice';

export function PasswordForm({ onChanged, idPrefix = 'pw' }: { onChanged: () => void; idPrefix?: string }) {
  const { t } = useI18n();
  const { user, refresh } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const mismatch = repeat !== '' && next !== repeat;

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setError(null);
    setProblem(null);
    if (next !== repeat) {
      setProblem(t('password.mismatch'));
      return;
    }
    setBusy(true);
    try {
      await api.post('/me/password', { current, new: next });
      setCurrent('');
      setNext('');
      setRepeat('');
      await refresh();
      onChanged();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'forbidden') setProblem(t('password.wrong_current'));
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  const id = (name: string) => `${idPrefix}-${name}`;
  return (
    <form class="stack form-narrow" onSubmit={submit}>
      <FormProblem text={problem} />
      <ErrorNotice error={error} />
      {/* For password managers: which account the new password belongs to. */}
      <input type="text" class="visually-hidden" autoComplete="username" value={user?.login ?? ''} readOnly tabIndex={-1} aria-hidden="true" />
      <div class="field">
        <label for={id('current')}>{t('password.current')}</label>
        <input
          id={id('current')}
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onInput={(e) => setCurrent(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for={id('new')}>{t('password.new')}</label>
        <input
          id={id('new')}
          type="password"
          autoComplete="new-password"
          required
          aria-describedby={id('new-hint')}
          value={next}
          onInput={(e) => setNext(e.currentTarget.value)}
        />
        <span class="hint" id={id('new-hint')}>
          {t('password.new_hint')}
        </span>
      </div>
      <div class="field">
        <label for={id('repeat')}>{t('password.repeat')}</label>
        <input
          id={id('repeat')}
          type="password"
          autoComplete="new-password"
          required
          aria-invalid={mismatch ? 'true' : undefined}
          aria-describedby={mismatch ? id('repeat-problem') : undefined}
          value={repeat}
          onInput={(e) => setRepeat(e.currentTarget.value)}
        />
        {mismatch && (
          <span class="hint field-problem" id={id('repeat-problem')}>
            {t('password.mismatch')}
          </span>
        )}
      </div>
      <div class="actions">
        <button type="submit" disabled={busy}>
          {t('password.submit')}
        </button>
      </div>
    </form>
  );
}
