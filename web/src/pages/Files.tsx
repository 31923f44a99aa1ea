// "My files": upload (drop zone or picker, several files, resumable with tus, scan verdict per
// file) and the stored files (download, delete, paged with "Load more").
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, type FilePage, type Me, type StoredFile, type Usage } from '../api';
import { ErrorNotice, OkNotice, useAction } from '../components';
import { useI18n, type MessageKey, type Translate } from '../i18n';
import { useSession } from '../session';
import { discardUnfinished, findUnfinished, uploads, type Unfinished, type UploadItem } from '../uploads';
import { ConfirmDialog } from './account/Notice';

const PAGE_SIZE = 50;

// 1 KB = 1000 bytes, one decimal below 10 units.
export function formatBytes(t: Translate, lang: string, bytes: number): string {
  const units = ['unit.B', 'unit.KB', 'unit.MB', 'unit.GB', 'unit.TB'] as const;
  let value = bytes;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  const digits = i === 0 || value >= 10 ? 0 : 1;
  const n = new Intl.NumberFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', { maximumFractionDigits: digits }).format(value);
  return t(units[i], { n });
}

function formatDuration(t: Translate, seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return t('time.seconds', { n: s });
  if (s < 3600) return t('time.minutes', { m: Math.floor(s / 60), s: s % 60 });
  return t('time.hours', { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
}

const REFUSAL_TEXT: Record<string, MessageKey> = {
  scan_refused: 'files.err.scan_refused',
  scanner_unavailable: 'files.err.scanner_unavailable',
  scanner_busy: 'files.err.scanner_busy',
  too_large: 'files.err.too_large',
  too_large_to_scan: 'files.err.too_large_to_scan',
  quota_exceeded: 'files.err.quota_exceeded',
  insufficient_storage: 'files.err.insufficient_storage',
  network: 'files.err.network',
  upload_failed: 'files.err.upload_failed',
};

function refusalText(t: Translate, item: UploadItem): string {
  const key = item.code ? REFUSAL_TEXT[item.code] : undefined;
  if (key) return t(key);
  if (item.code && ['unauthenticated', 'forbidden', 'csrf_failed', 'not_found'].includes(item.code)) {
    return t(('error.' + item.code) as MessageKey);
  }
  return t('files.err.other', { message: item.detail || item.code || '?' });
}

function useUploads(): UploadItem[] {
  const [items, setItems] = useState(() => uploads.items());
  useEffect(() => uploads.subscribe(() => setItems(uploads.items())), []);
  return items;
}

function DropZone({ onFiles }: { onFiles: (files: File[]) => void }) {
  const { t } = useI18n();
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  return (
    <div
      class={over ? 'dropzone over' : 'dropzone'}
      data-testid="dropzone"
      onDragEnter={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragOver={(e) => {
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setOver(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        const files = [...(e.dataTransfer?.files ?? [])];
        if (files.length) onFiles(files);
      }}
    >
      <span class="dropzone-icon" aria-hidden="true" />
      <p class="dropzone-title">{t('files.drop')}</p>
      <p class="dropzone-or">{t('files.drop_or')}</p>
      <label class="button file-pick">
        {t('files.choose')}
        <input
          ref={input}
          type="file"
          multiple
          class="visually-hidden"
          aria-label={t('files.choose_label')}
          onChange={(e) => {
            const el = e.currentTarget as HTMLInputElement;
            const files = [...(el.files ?? [])];
            el.value = '';
            if (files.length) onFiles(files);
          }}
        />
      </label>
      <p class="hint dropzone-hint">{t('files.drop_hint')}</p>
    </div>
  );
}

function UploadRow({ item }: { item: UploadItem }) {
  const { t, lang } = useI18n();
  const size = (n: number) => formatBytes(t, lang, n);
  const percent = item.size > 0 ? Math.floor((item.sent / item.size) * 100) : 100;
  const active = item.phase === 'starting' || item.phase === 'uploading' || item.phase === 'paused';
  const bad = item.phase === 'infected' || item.phase === 'refused' || item.phase === 'failed';
  let status: string;
  if (item.phase === 'infected') status = t('files.infected', { signature: item.signature || '?' });
  else if (item.phase === 'refused' || item.phase === 'failed') status = refusalText(t, item);
  else status = t(`files.phase.${item.phase}`);
  return (
    <li class={`upload upload-${item.phase}`} data-testid="upload" data-phase={item.phase}>
      <div class="upload-head">
        <span class="upload-name">{item.name}</span>
        <span class="upload-size">{size(item.size)}</span>
      </div>
      {(active || item.phase === 'scanning') && (
        <progress
          max={item.size || 1}
          value={item.phase === 'scanning' ? item.size || 1 : item.sent}
          aria-label={t('files.progress_label', { name: item.name })}
        />
      )}
      <div class="upload-foot">
        <div class="upload-status" aria-live="polite" aria-atomic="true">
          <span class={bad ? 'upload-verdict bad' : item.phase === 'clean' ? 'upload-verdict ok' : 'upload-verdict'} data-testid="upload-status">
            {status}
          </span>
          {item.phase === 'infected' && <span class="upload-detail">{t('files.infected_detail')}</span>}
          {item.phase === 'refused' && item.detail && item.code !== 'infected' && (
            <span class="upload-detail mono-soft">{item.detail}</span>
          )}
        </div>
        {active && (
          <span class="upload-numbers">
            {t('files.progress', { sent: size(item.sent), total: size(item.size), percent })}
            {item.phase === 'uploading' && item.speed
              ? ' · ' +
                (item.secondsLeft !== null
                  ? t('files.speed', { speed: size(item.speed), left: formatDuration(t, item.secondsLeft) })
                  : t('files.speed_only', { speed: size(item.speed) }))
              : ''}
            {item.resumed ? ' · ' + t('files.resumed') : ''}
          </span>
        )}
        <span class="actions upload-actions">
          {(item.phase === 'uploading' || item.phase === 'starting') && (
            <button type="button" class="secondary small" onClick={() => uploads.pause(item.key)}>
              {t('files.pause')}
            </button>
          )}
          {item.phase === 'paused' && (
            <button type="button" class="small" onClick={() => uploads.resume(item.key)}>
              {t('files.resume')}
            </button>
          )}
          {item.phase === 'failed' && item.retryable && (
            <button type="button" class="small" onClick={() => uploads.resume(item.key)}>
              {t('files.retry')}
            </button>
          )}
          {(active || (item.phase === 'failed' && item.retryable)) && (
            <button type="button" class="secondary small" onClick={() => void uploads.cancel(item.key)}>
              {t('files.cancel_upload')}
            </button>
          )}
          {(item.phase === 'clean' || (bad && !item.retryable)) && (
            <button type="button" class="link-button small-text" onClick={() => uploads.dismiss(item.key)}>
              {t('files.dismiss')}
            </button>
          )}
        </span>
      </div>
    </li>
  );
}

function UnfinishedList({ items, onChanged }: { items: Unfinished[]; onChanged: () => void }) {
  const { t, lang, formatDate } = useI18n();
  if (items.length === 0) return null;
  return (
    <div class="notice warn unfinished" data-testid="unfinished">
      <h3 class="unfinished-title">{t('files.unfinished')}</h3>
      <p class="unfinished-lead">{t('files.unfinished_lead')}</p>
      <ul>
        {items.map((u) => (
          <li key={u.storageKey}>
            <span>
              {t('files.unfinished_item', {
                name: u.name || '?',
                size: u.size === null ? '?' : formatBytes(t, lang, u.size),
                date: formatDate(u.createdAt),
              })}
            </span>{' '}
            <button
              type="button"
              class="secondary small"
              onClick={async () => {
                await discardUnfinished(u);
                onChanged();
              }}
            >
              {t('files.discard')}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

function ScanLabel({ verdict }: { verdict: string }) {
  const { t } = useI18n();
  if (verdict === 'clean') return <span class="badge ok">{t('files.scan.clean')}</span>;
  if (verdict === 'not_scanned_too_large') {
    return (
      <span class="badge warn scan-warn" title={t('files.scan.not_scanned_too_large_hint')}>
        <span aria-hidden="true">⚠ </span>
        {t('files.scan.not_scanned_too_large')}
      </span>
    );
  }
  return <span class="badge warn">{t('files.scan.other', { verdict })}</span>;
}

function FileList({ files, busy, error, more, onMore, onDelete }: {
  files: StoredFile[] | null;
  busy: boolean;
  error: unknown;
  more: boolean;
  onMore: () => void;
  onDelete: (f: StoredFile) => void;
}) {
  const { t, lang, formatDate } = useI18n();
  if (files === null) return error ? <ErrorNotice error={error} /> : <p class="loading">{t('common.loading')}</p>;
  return (
    <>
      {files.length === 0 ? (
        <p class="empty-state">{t('files.none')}</p>
      ) : (
        <div class="table-wrap">
          <table class="files-table" data-testid="files-table">
            <thead>
              <tr>
                <th scope="col">{t('files.col.name')}</th>
                <th scope="col">{t('files.col.size')}</th>
                <th scope="col">{t('files.col.type')}</th>
                <th scope="col">{t('files.col.date')}</th>
                <th scope="col">{t('files.col.expires')}</th>
                <th scope="col">{t('files.col.scan')}</th>
                <th scope="col" class="col-actions">
                  {t('files.col.actions')}
                </th>
              </tr>
            </thead>
            <tbody>
              {files.map((f) => (
                <tr key={f.id} data-testid="file-row">
                  <td class="file-name" data-label={t('files.col.name')}>
                    {f.name}
                  </td>
                  <td class="nowrap" data-label={t('files.col.size')}>
                    {formatBytes(t, lang, f.size)}
                  </td>
                  <td class="mono-soft" data-label={t('files.col.type')}>
                    {f.content_type}
                  </td>
                  <td class="nowrap" data-label={t('files.col.date')}>
                    {formatDate(f.created_at)}
                  </td>
                  <td class="nowrap" data-label={t('files.col.expires')}>
                    {f.expires_at ? formatDate(f.expires_at) : t('files.never')}
                  </td>
                  <td data-label={t('files.col.scan')}>
                    <ScanLabel verdict={f.scan?.verdict ?? ''} />
                  </td>
                  <td class="col-actions">
                    <span class="actions file-actions">
                      <a
                        class="button secondary small"
                        href={`/api/v1/files/${encodeURIComponent(f.id)}/content`}
                        download={f.name}
                        aria-label={t('files.download_label', { name: f.name })}
                      >
                        {t('files.download')}
                      </a>
                      <button
                        type="button"
                        class="danger small"
                        aria-label={t('files.delete_label', { name: f.name })}
                        onClick={() => onDelete(f)}
                      >
                        {t('common.delete')}
                      </button>
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {error && <ErrorNotice error={error} />}
      {more && (
        <div class="list-foot">
          <span />
          <button type="button" class="secondary" disabled={busy} onClick={onMore}>
            {t('files.load_more')}
          </button>
        </div>
      )}
    </>
  );
}

// The user's storage (against the quota, when there is one) and recent traffic, from GET /me.
function UsageSummary({ usage }: { usage: Usage | null }) {
  const { t, lang } = useI18n();
  if (!usage) return null;
  const size = (n: number) => formatBytes(t, lang, n);
  const quota = usage.quota_bytes;
  const share = quota ? Math.min(1, usage.stored_bytes / quota) : 0;
  return (
    <div class="usage" data-testid="usage">
      <p class="usage-stored">
        {quota
          ? t('files.usage_quota', { stored: size(usage.stored_bytes), quota: size(quota), files: usage.files })
          : t('files.usage', { stored: size(usage.stored_bytes), files: usage.files })}
      </p>
      {quota ? (
        <progress class={share >= 0.9 ? 'usage-meter full' : 'usage-meter'} max={1} value={share} />
      ) : null}
      <p class="usage-traffic small-text">
        {t('files.usage_traffic', { uploaded: size(usage.uploaded_bytes), downloaded: size(usage.downloaded_bytes) })}
      </p>
    </div>
  );
}

export function Files() {
  const { t } = useI18n();
  const { user } = useSession();
  const items = useUploads();
  const [files, setFiles] = useState<StoredFile[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [unfinished, setUnfinished] = useState<Unfinished[]>([]);
  const [deleting, setDeleting] = useState<StoredFile | null>(null);
  const [deleted, setDeleted] = useState<string | null>(null);
  const [usage, setUsage] = useState<Usage | null>(null);

  // Usage is secondary: a failed read leaves the last figures (or none) without an error.
  const refreshUsage = useCallback(() => {
    void api
      .get<Me>('/me')
      .then((me) => setUsage(me.usage))
      .catch(() => undefined);
  }, []);

  const refreshUnfinished = useCallback(() => {
    void findUnfinished().then(setUnfinished);
  }, []);

  const load = useAction(async (after: string | null) => {
    const page = await api.get<FilePage>(
      `/files?limit=${PAGE_SIZE}` + (after ? '&cursor=' + encodeURIComponent(after) : ''),
    );
    setFiles((old) => (after && old ? [...old, ...page.files.filter((f) => !old.some((o) => o.id === f.id))] : page.files));
    setCursor(page.next_cursor);
  });

  const remove = useAction(async (f: StoredFile) => {
    await api.del(`/files/${encodeURIComponent(f.id)}`);
    setFiles((old) => (old ? old.filter((o) => o.id !== f.id) : old));
    setDeleting(null);
    setDeleted(f.name);
    refreshUsage();
  });

  useEffect(() => {
    void load.run(null);
    refreshUnfinished();
    refreshUsage();
  }, []);

  // A stored upload joins the top of the list.
  useEffect(() => {
    uploads.onStored = (id) => {
      refreshUnfinished();
      refreshUsage();
      void api
        .get<StoredFile>(`/files/${encodeURIComponent(id)}`)
        .then((f) => setFiles((old) => [f, ...(old ?? []).filter((o) => o.id !== f.id)]))
        .catch(() => void load.run(null));
    };
    return () => {
      uploads.onStored = null;
    };
  }, []);

  if (!user) return null;
  const canUpload = user.rights.can_upload;
  // The unfinished uploads not being continued in this tab right now.
  const open = unfinished.filter((u) => !items.some((i) => i.name === u.name && i.size === u.size));

  return (
    <>
      <section class="page files-page" aria-labelledby="files-title">
        <div class="page-head">
          <div>
            <h1 id="files-title">{t('files.title')}</h1>
            <p class="lead">{t('files.lead')}</p>
          </div>
          <UsageSummary usage={usage} />
        </div>
        {canUpload ? (
          <>
            <DropZone
              onFiles={(chosen) => {
                setDeleted(null);
                uploads.add(chosen);
              }}
            />
            <UnfinishedList items={open} onChanged={refreshUnfinished} />
            {items.length > 0 && (
              <>
                <h2 class="visually-hidden">{t('files.uploads')}</h2>
                <ul class="uploads" data-testid="uploads">
                  {items.map((item) => (
                    <UploadRow key={item.key} item={item} />
                  ))}
                </ul>
              </>
            )}
          </>
        ) : (
          <div class="notice warn">{t('files.no_upload_right')}</div>
        )}
      </section>

      <section class="page" aria-labelledby="files-list-title">
        <div class="page-head">
          <h2 id="files-list-title" class="section-title-lg">
            {t('files.list')}
          </h2>
          <button type="button" class="secondary small" disabled={load.busy} onClick={() => void load.run(null)}>
            {t('files.reload')}
          </button>
        </div>
        <div aria-live="polite">{deleted && <OkNotice>{t('files.deleted', { name: deleted })}</OkNotice>}</div>
        <FileList
          files={files}
          busy={load.busy}
          error={load.error}
          more={cursor !== null}
          onMore={() => void load.run(cursor)}
          onDelete={(f) => {
            remove.setError(null);
            setDeleting(f);
          }}
        />
      </section>

      <ConfirmDialog
        open={deleting !== null}
        title={t('files.delete_title', { name: deleting?.name ?? '' })}
        confirmLabel={t('common.delete')}
        busy={remove.busy}
        onConfirm={() => deleting && void remove.run(deleting)}
        onCancel={() => setDeleting(null)}
      >
        <p>{t('files.delete_body')}</p>
        <ErrorNotice error={remove.error} />
      </ConfirmDialog>
    </>
  );
}
