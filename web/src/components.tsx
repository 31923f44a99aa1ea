// Small pieces shared by the pages: error and success notices, a value shown once with a copy
// button, and a hook that runs an API call and tracks its state.
import type { ComponentChildren } from 'preact';
import { useCallback, useState } from 'preact/hooks';
import { ApiError } from './api';
import { errorText } from './errors';
import { useI18n, type MessageKey, type Translate } from './i18n';

// Password rules the UI words itself ({limit} is the rule's number); any other code shows the
// server's English message.
const RULE_TEXT: Record<string, MessageKey> = {
  invalid_utf8: 'rule.invalid_utf8',
  too_short: 'rule.too_short',
  too_long: 'rule.too_long',
  missing_lower: 'rule.missing_lower',
  missing_upper: 'rule.missing_upper',
  missing_digit: 'rule.missing_digit',
  missing_symbol: 'rule.missing_symbol',
  too_few_classes: 'rule.too_few_classes',
  common_password: 'rule.common_password',
  contains_login: 'rule.contains_login',
  reused: 'rule.reused',
};

// The failed rules of a 422 password_policy answer ({"rules":[{"code","message","limit"?}]}),
// in the user's language.
export function policyRules(t: Translate, err: unknown): string[] {
  if (!(err instanceof ApiError) || err.code !== 'password_policy') return [];
  const rules = err.body.rules;
  if (!Array.isArray(rules)) return [];
  return rules.flatMap((r) => {
    if (!r || typeof r.message !== 'string') return [];
    const key = typeof r.code === 'string' ? RULE_TEXT[r.code] : undefined;
    if (!key) return [r.message as string];
    const limit = typeof r.limit === 'number' ? r.limit : 0;
    if (r.code === 'reused' && limit === 0) return [t('rule.reused_current')];
    return [t(key, { limit })];
  });
}

export function ErrorNotice({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (!error) return null;
  const rules = policyRules(t, error);
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
