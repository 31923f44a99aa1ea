// Resumable uploads with tus-js-client against tus 1.0.0 at /api/v1/uploads (../shared/api.md).
// The session cookie goes with every request (same origin); X-CSRF-Token is set per request
// in onBeforeRequest, so a token renewed meanwhile (an answer's X-CSRF-Token) is the one sent.
// tus-js-client remembers each upload's URL in localStorage under a fingerprint of the file, so
// choosing the same file again after a reload continues where it stopped.
//
// An upload becomes a file only when the scan says clean: the PATCH carrying the last byte
// answers after the scan (204 clean, or the refusal as JSON); GET /api/v1/uploads/{id} tells
// where an upload stands when that answer was missed (resumed after a reload, network gone).
import type { DetailedError, HttpRequest, HttpResponse, PreviousUpload, Upload } from 'tus-js-client';
import { api, ApiError, ensureCsrf, renewCsrf, setCsrfToken, type UploadStatus } from './api';

// tus-js-client is loaded when first needed, in a chunk of its own: the other pages do not carry it.
const tus = () => import('tus-js-client');

export const UPLOAD_ENDPOINT = '/api/v1/uploads';
// Each PATCH carries at most this much: a pause or a broken connection loses at most one chunk.
const CHUNK_BYTES = 8 * 1024 * 1024;

export type UploadPhase =
  | 'starting'
  | 'uploading'
  | 'paused'
  | 'scanning'
  | 'clean'
  | 'infected'
  | 'refused'
  | 'failed';

export interface UploadItem {
  key: string;
  name: string;
  size: number;
  type: string;
  phase: UploadPhase;
  sent: number;
  // Bytes per second over the last seconds, and seconds left at that speed (null: not known).
  speed: number | null;
  secondsLeft: number | null;
  // True when it continues an upload begun before (another page load).
  resumed: boolean;
  // The refusal: an API error code (infected, scan_refused, too_large, ...), the virus name,
  // the server's reason or message; `retryable` when trying again can help.
  code?: string;
  signature?: string;
  detail?: string;
  retryable?: boolean;
  fileId?: string;
}

// An upload begun earlier and not finished (from tus-js-client's localStorage entries).
export interface Unfinished {
  storageKey: string;
  name: string;
  size: number | null;
  url: string | null;
  createdAt: string;
}

interface Entry {
  item: UploadItem;
  upload: Upload;
  samples: { at: number; bytes: number }[];
}

let nextKey = 1;

// The error JSON of a tus answer ({"error":{"code","message",...}}), as an ApiError.
function apiErrorOf(res: HttpResponse | null): ApiError | null {
  if (!res) return null;
  const status = res.getStatus();
  let body: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(res.getBody() || '{}') as { error?: Record<string, unknown> };
    if (parsed && typeof parsed.error === 'object' && parsed.error) body = parsed.error;
  } catch {
    // Not JSON: the status says enough.
  }
  const code = typeof body.code === 'string' ? body.code : 'http_' + status;
  const message = typeof body.message === 'string' ? body.message : '';
  return new ApiError(status, code, message, body);
}

function uploadId(url: string | null): string | null {
  if (!url) return null;
  const path = url.split('?')[0].replace(/\/+$/, '');
  const id = path.slice(path.lastIndexOf('/') + 1);
  return id ? decodeURIComponent(id) : null;
}

// Network failures and the tus "try again" answers are retried by tus-js-client itself; every
// answer with a verdict or a refusal is final and shown.
function shouldRetry(err: DetailedError): boolean {
  const res = err.originalResponse;
  if (!res) return true;
  const status = res.getStatus();
  if (status === 0) return true;
  if (status === 409 || status === 423 || status === 502 || status === 504) return true;
  if (status === 403) {
    const e = apiErrorOf(res);
    if (e?.code === 'csrf_failed') {
      // Ask for a new token now; the retry (after retryDelays) sends it.
      setCsrfToken(null);
      void renewCsrf().catch(() => false);
      return true;
    }
  }
  return false;
}

async function beforeRequest(req: HttpRequest): Promise<void> {
  const token = await ensureCsrf();
  if (token) req.setHeader('X-CSRF-Token', token);
}

function afterResponse(_req: HttpRequest, res: HttpResponse): void {
  const renewed = res.getHeader('X-CSRF-Token');
  if (renewed) setCsrfToken(renewed);
}

const requestHooks = { onBeforeRequest: beforeRequest, onAfterResponse: afterResponse };

export async function findUnfinished(): Promise<Unfinished[]> {
  try {
    const { defaultOptions } = await tus();
    const all = await defaultOptions.urlStorage.findAllUploads();
    return all
      .filter((p) => p.uploadUrl && p.uploadUrl.includes(UPLOAD_ENDPOINT))
      .map((p) => ({
        storageKey: p.urlStorageKey,
        name: p.metadata?.filename ?? '',
        size: p.size,
        url: p.uploadUrl,
        createdAt: p.creationTime,
      }));
  } catch {
    return [];
  }
}

// Gives up an unfinished upload: asks the server to drop it (termination) and forgets it.
export async function discardUnfinished(u: Unfinished): Promise<void> {
  const { Upload, defaultOptions } = await tus();
  if (u.url) {
    try {
      await Upload.terminate(u.url, { ...requestHooks, retryDelays: null });
    } catch {
      // Gone already (expired, or finished elsewhere): forgetting it is all that is left.
    }
  }
  await defaultOptions.urlStorage.removeUpload(u.storageKey);
}

export class UploadQueue {
  #entries = new Map<string, Entry>();
  #listeners = new Set<() => void>();

  // Told the id of each file an upload stored (the page adds it to its list).
  onStored: ((fileId: string) => void) | null = null;

  items(): UploadItem[] {
    return [...this.#entries.values()].map((e) => e.item);
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #update(entry: Entry, patch: Partial<UploadItem>) {
    entry.item = { ...entry.item, ...patch };
    for (const l of this.#listeners) l();
  }

  add(files: Iterable<File>): void {
    for (const file of files) void this.#begin(file);
  }

  async #begin(file: File) {
    const key = 'u' + nextKey++;
    const entry: Entry = {
      item: {
        key,
        name: file.name,
        size: file.size,
        type: file.type,
        phase: 'starting',
        sent: 0,
        speed: null,
        secondsLeft: null,
        resumed: false,
      },
      samples: [],
      upload: null as unknown as Upload,
    };
    const { Upload } = await tus();
    const upload = new Upload(file, {
      endpoint: UPLOAD_ENDPOINT,
      metadata: { filename: file.name, filetype: file.type || 'application/octet-stream' },
      chunkSize: CHUNK_BYTES,
      retryDelays: [0, 1000, 3000, 5000],
      removeFingerprintOnSuccess: true,
      ...requestHooks,
      onShouldRetry: (err) => shouldRetry(err),
      onProgress: (sent, total) => this.#progress(entry, sent, total),
      onSuccess: () => void this.#finished(entry),
      onError: (err) => void this.#failed(entry, err),
    });
    entry.upload = upload;
    this.#entries.set(key, entry);
    this.#update(entry, {});
    try {
      const previous = await upload.findPreviousUploads();
      const match = previous.find((p: PreviousUpload) => p.uploadUrl);
      if (match) {
        upload.resumeFromPreviousUpload(match);
        this.#update(entry, { resumed: true });
      }
    } catch {
      // No storage: a fresh upload.
    }
    entry.samples = [{ at: performance.now(), bytes: 0 }];
    // Paused before it began: resume() starts it.
    if (entry.item.phase === 'paused') return;
    upload.start();
  }

  #progress(entry: Entry, sent: number, total: number) {
    if (entry.item.phase === 'paused') return;
    const now = performance.now();
    const samples = entry.samples;
    samples.push({ at: now, bytes: sent });
    while (samples.length > 2 && now - samples[0].at > 5000) samples.shift();
    const first = samples[0];
    const seconds = (now - first.at) / 1000;
    const speed = seconds > 0.2 && sent > first.bytes ? (sent - first.bytes) / seconds : entry.item.speed;
    const done = total > 0 && sent >= total;
    this.#update(entry, {
      phase: done ? 'scanning' : 'uploading',
      sent,
      size: total,
      speed,
      secondsLeft: speed && !done ? Math.ceil((total - sent) / speed) : null,
    });
  }

  // The last PATCH said 204 (clean), or a resumed upload was complete already: the upload's
  // status names the file (and, if the scan is still running, is asked again).
  async #finished(entry: Entry) {
    this.#update(entry, { phase: 'scanning', sent: entry.item.size, secondsLeft: null });
    const id = uploadId(entry.upload.url);
    if (!id) return this.#update(entry, { phase: 'failed', code: 'http_0', retryable: false });
    for (let attempt = 0; ; attempt++) {
      let status: UploadStatus;
      try {
        status = await api.get<UploadStatus>('/uploads/' + encodeURIComponent(id));
      } catch (err) {
        const e = err instanceof ApiError ? err : null;
        return this.#update(entry, { phase: 'failed', code: e?.code ?? 'network', detail: e?.message, retryable: false });
      }
      if (status.state === 'clean' && status.file_id) {
        this.#update(entry, { phase: 'clean', fileId: status.file_id });
        this.onStored?.(status.file_id);
        return;
      }
      if (status.state === 'rejected') {
        return this.#update(entry, {
          phase: status.signature ? 'infected' : 'refused',
          code: status.signature ? 'infected' : 'scan_refused',
          signature: status.signature ?? undefined,
          detail: status.reason ?? undefined,
        });
      }
      // failed (reason server_restarted when a restart cut the scan), or ended another way.
      if (status.state === 'failed' || status.state === 'terminated' || status.state === 'expired') {
        return this.#update(entry, { phase: 'failed', code: 'upload_failed', detail: status.reason ?? undefined });
      }
      await new Promise((r) => setTimeout(r, Math.min(1000 + attempt * 500, 5000)));
    }
  }

  async #failed(entry: Entry, err: Error | DetailedError) {
    const res = 'originalResponse' in err ? err.originalResponse : null;
    const e = apiErrorOf(res);
    if (!e) {
      return this.#update(entry, { phase: 'failed', code: 'network', retryable: true, speed: null, secondsLeft: null });
    }
    const signature = typeof e.body.signature === 'string' ? e.body.signature : undefined;
    const reason = typeof e.body.reason === 'string' ? e.body.reason : undefined;
    const temporary = e.status === 503 || e.code === 'insufficient_storage' || e.status >= 500;
    const final = e.code === 'infected' || e.code === 'scan_refused' || e.status === 413 || e.status === 422;
    this.#update(entry, {
      phase: e.code === 'infected' ? 'infected' : final ? 'refused' : 'failed',
      code: e.code,
      signature,
      detail: reason ?? e.message,
      retryable: temporary && !final,
      speed: null,
      secondsLeft: null,
    });
    // A refused upload cannot continue: forget it, so that choosing the file again starts anew.
    if (final) await this.#forget(entry);
  }

  async #forget(entry: Entry) {
    try {
      const { defaultOptions } = await tus();
      const previous = await entry.upload.findPreviousUploads();
      for (const p of previous) {
        if (!entry.upload.url || p.uploadUrl === entry.upload.url) await defaultOptions.urlStorage.removeUpload(p.urlStorageKey);
      }
    } catch {
      // Nothing stored.
    }
  }

  pause(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry || (entry.item.phase !== 'uploading' && entry.item.phase !== 'starting')) return;
    this.#update(entry, { phase: 'paused', speed: null, secondsLeft: null });
    void entry.upload.abort();
  }

  resume(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry || (entry.item.phase !== 'paused' && !(entry.item.phase === 'failed' && entry.item.retryable))) return;
    entry.samples = [{ at: performance.now(), bytes: entry.item.sent }];
    this.#update(entry, { phase: 'uploading', code: undefined, detail: undefined, retryable: undefined });
    entry.upload.start();
  }

  // Stops an upload for good: the server drops what it received (termination).
  async cancel(key: string): Promise<void> {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    for (const l of this.#listeners) l();
    const running = entry.item.phase === 'uploading' || entry.item.phase === 'starting' || entry.item.phase === 'paused';
    if (running || (entry.item.phase === 'failed' && entry.item.retryable)) {
      try {
        await entry.upload.abort(true);
      } catch {
        // Not known to the server (any more): nothing to drop there.
      }
      await this.#forget(entry);
    }
  }

  // Takes a finished or refused upload off the list.
  dismiss(key: string): void {
    if (this.#entries.delete(key)) for (const l of this.#listeners) l();
  }

  busy(): boolean {
    return [...this.#entries.values()].some((e) => ['starting', 'uploading', 'scanning'].includes(e.item.phase));
  }
}

// One queue for the tab: uploads go on while the user looks at other pages.
export const uploads = new UploadQueue();
