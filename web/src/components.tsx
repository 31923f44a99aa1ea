// Small pieces shared by the pages: error and success notices, a value shown once with a copy
// button, and a hook that runs an API call and tracks its state.
import type { ComponentChildren } from 'preact';
import { useCallback, useState } from 'preact/hooks';
import { ApiError } from './api';
import { errorText } from './errors';
import { useI18n } from './i18n';

// The failed rules of a 422 password_policy answer ({"rules":[{"code","message"}]}).
export function policyRules(err: unknown): string[] {
  if (!(err instanceof ApiError) || err.code !== 'password_policy') return [];
  const rules = err.body.rules;
  if (!Array.isArray(rules)) return [];
  return rules.flatMap((r) => (r && typeof r.message === 'string' ? [r.message as string] : []));
}

export function ErrorNotice({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (!error) return null;
  const rules = policyRules(error);
  return (
    <div class="notice error" role="alert">
      {errorText(t, error)}
      {rules.length > 0 && (
        <ul>
          {rules.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function OkNotice({ children }: { children: ComponentChildren }) {
  return (
    <div class="notice ok" role="status">
      {children}
    </div>
  );
}

// A secret the server shows once (one-time password, API token, recovery codes).
export function SecretBox({ value, testId }: { value: string; testId?: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  return (
    <div class="actions">
      <div class="secret-box" data-testid={testId}>
        {value}
      </div>
      <button
        type="button"
        class="secondary small"
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(value);
            setCopied(true);
          } catch {
            setCopied(false);
          }
        }}
      >
        {copied ? t('common.copied') : t('common.copy')}
      </button>
    </div>
  );
}

// Runs `action`, keeping whether it is running and its last error; `run` resolves to the
// result, or undefined when it failed (the error is then in `error`).
export function useAction<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(
    async (...args: A): Promise<R | undefined> => {
      setBusy(true);
      setError(null);
      try {
        return await action(...args);
      } catch (err) {
        setError(err);
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [action],
  );
  return { run, busy, error, setError };
}
