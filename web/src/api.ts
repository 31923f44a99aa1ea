// The HTTP client of the UI: JSON in and out of /api/v1, errors as ApiError in the contract's
// shape ({"error":{"code","message"}}, ../shared/api.md). The session travels in the HttpOnly
// cookie; the CSRF token bound to it is kept in sessionStorage for this tab and sent as
// X-CSRF-Token on every state-changing request. A tab that lacks it (a new tab, or another tab
// renewed it) asks for a new one once and retries.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: Record<string, unknown> = {},
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

const CSRF_KEY = 'furoshiki.csrf';

export function setCsrfToken(token: string | null): void {
  try {
    if (token) sessionStorage.setItem(CSRF_KEY, token);
    else sessionStorage.removeItem(CSRF_KEY);
  } catch {
    memoryCsrf = token;
  }
}

let memoryCsrf: string | null = null;

export function csrfToken(): string | null {
  try {
    return sessionStorage.getItem(CSRF_KEY);
  } catch {
    return memoryCsrf;
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  let code = 'http_' + res.status;
  let message = res.statusText;
  let body: Record<string, unknown> = {};
  try {
    const parsed = (await res.json()) as { error?: Record<string, unknown> };
    if (parsed && typeof parsed.error === 'object' && parsed.error) {
      body = parsed.error;
      if (typeof body.code === 'string') code = body.code;
      if (typeof body.message === 'string') message = body.message;
    }
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  const retry = Number(res.headers.get('Retry-After'));
  return new ApiError(res.status, code, message, body, Number.isFinite(retry) && retry > 0 ? retry : undefined);
}

export async function renewCsrf(): Promise<boolean> {
  const res = await fetch('/api/v1/auth/csrf', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (!res.ok) return false;
  const body = (await res.json()) as { csrf_token?: string };
  if (!body.csrf_token) return false;
  setCsrfToken(body.csrf_token);
  return true;
}

// A token for a request made outside request() (the tus uploads): the tab's, or a new one.
export async function ensureCsrf(): Promise<string | null> {
  const token = csrfToken();
  if (token) return token;
  await renewCsrf().catch(() => false);
  return csrfToken();
}

export interface RequestOptions {
  body?: unknown;
  // Extra response headers the caller needs (read through onResponse).
  onResponse?: (res: Response) => void;
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const send = () => {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && method !== 'HEAD') {
      const token = csrfToken();
      if (token) headers['X-CSRF-Token'] = token;
    }
    return fetch('/api/v1' + path, {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  };
  let res = await send();
  if (res.status === 403 && method !== 'GET') {
    const err = await errorOf(res.clone());
    if (err.code === 'csrf_failed' && (await renewCsrf())) res = await send();
  }
  if (!res.ok) throw await errorOf(res);
  options.onResponse?.(res);
  const renewed = res.headers.get('X-CSRF-Token');
  if (renewed) setCsrfToken(renewed);
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('Content-Type') ?? '';
  if (type.includes('application/json')) return (await res.json()) as T;
  return (await res.text()) as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body }),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body }),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body }),
  del: <T>(path: string) => request<T>('DELETE', path),
};

// The shapes the API answers with (docs/openapi.yaml).
export interface Rights {
  can_upload: boolean;
  can_send_external: boolean;
  can_request_files: boolean;
  requires_approval: boolean;
  // 0: the organization's policy applies.
  max_file_bytes: number;
  max_retention_days: number;
  quota_bytes: number;
}

export interface User {
  id: string;
  org: string;
  login: string;
  display_name: string;
  role: 'org_admin' | 'member';
  rights: Rights;
  disabled: boolean;
  password_change_required: boolean;
  totp_enabled: boolean;
  totp_enrolment_required?: boolean;
}

// GET /me's "usage": stored now, the user's quota (null: none), traffic since `since` (30 days).
export interface Usage {
  stored_bytes: number;
  files: number;
  quota_bytes: number | null;
  since: string;
  uploaded_bytes: number;
  uploads: number;
  downloaded_bytes: number;
  downloads: number;
}

export interface Me extends User {
  usage: Usage;
}

export interface LoginAnswer {
  user: User;
  csrf_token: string;
  password_change_required: boolean;
  totp_enrolment_required: boolean;
}

// A stored file (GET /api/v1/files). scan.verdict: "clean", or "not_scanned_too_large" when the
// file was over the scanner's limit and the policy let it through unscanned.
export interface StoredFile {
  id: string;
  name: string;
  content_type: string;
  size: number;
  sha256: string;
  created_at: string;
  expires_at: string | null;
  scan: { verdict: string };
}

export interface FilePage {
  files: StoredFile[];
  next_cursor: string | null;
}

// GET /api/v1/uploads/{id}: where a tus upload stands.
export interface UploadStatus {
  state: 'receiving' | 'scanning' | 'clean' | 'rejected' | 'failed' | 'terminated' | 'expired';
  file_id?: string | null;
  reason?: string | null;
  signature?: string | null;
}
