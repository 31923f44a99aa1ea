// Turns a failure into a sentence for the user: the API's error code in the user's language
// where we know it, the server's own message otherwise (it is written for people, api.md).
import { ApiError } from './api';
import type { MessageKey, Translate } from './i18n';

const KNOWN = new Set([
  'invalid_credentials',
  'totp_required',
  'ip_not_allowed',
  'account_disabled',
  'password_policy',
  'invalid_code',
  'csrf_failed',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
]);

export function errorText(t: Translate, err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'too_many_attempts') {
      return err.retryAfterSeconds
        ? t('error.too_many_attempts', { seconds: err.retryAfterSeconds })
        : t('error.too_many_attempts_later');
    }
    if (KNOWN.has(err.code)) return t(('error.' + err.code) as MessageKey);
    return err.message || t('error.generic', { code: err.code });
  }
  if (err instanceof TypeError) return t('error.network');
  return t('error.generic', { code: String(err) });
}
