// Pieces the admin pages share: a modal <dialog>, labelled form fields, the rights editor and the
// conversions between the API's byte counts and the megabytes and gigabytes people type.
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';
import { ApiError, type Rights } from '../../api';
import { useI18n, type MessageKey, type Translate } from '../../i18n';

// A modal dialog (the native <dialog>, opened with showModal so focus stays inside it and the
// page behind is inert). Escape calls onClose. Children are rendered only while open, so every
// opening starts with a fresh form.
export function Modal({
  open,
  title,
  onClose,
  children,
  testId,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  testId?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      class="admin-dialog"
      aria-labelledby={titleId}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {open && (
        <>
          <div class="dialog-head">
            <h2 id={titleId}>{title}</h2>
          </div>
          {children}
        </>
      )}
    </dialog>
  );
}

// A labelled input with an optional hint, linked through aria-describedby so that the hint is
// read out but is not part of the field's name.
export function Field({
  label,
  hint,
  invalid,
  children,
}: {
  label: string;
  hint?: string;
  invalid?: boolean;
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: 'true' }) => ComponentChildren;
}) {
  const id = useId();
  const hintId = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children({
        id,
        'aria-describedby': hint ? hintId : undefined,
        'aria-invalid': invalid ? 'true' : undefined,
      })}
      {hint && (
        <span class="hint" id={hintId}>
          {hint}
        </span>
      )}
    </div>
  );
}

export function Checkbox({
  label,
  checked,
  onChange,
}: {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  return (
    <label class="checkbox">
      <input type="checkbox" checked={checked} onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)} />
      <span>{label}</span>
    </label>
  );
}

// --- rights ----------------------------------------------------------------------------------

const MB = 1024 * 1024;
const GB = 1024 * MB;

// The rights as edited: numbers as the text in their fields ("" means the organization default).
export interface RightsDraft {
  can_upload: boolean;
  can_send_external: boolean;
  can_request_files: boolean;
  requires_approval: boolean;
  max_file_mb: string;
  max_retention_days: string;
  quota_gb: string;
}

function inUnits(bytes: number, unit: number): string {
  if (!bytes) return '';
  return String(Math.round((bytes / unit) * 100) / 100);
}

export function draftOf(r: Rights): RightsDraft {
  return {
    can_upload: r.can_upload,
    can_send_external: r.can_send_external,
    can_request_files: r.can_request_files,
    requires_approval: r.requires_approval,
    max_file_mb: inUnits(r.max_file_bytes, MB),
    max_retention_days: r.max_retention_days ? String(r.max_retention_days) : '',
    quota_gb: inUnits(r.quota_bytes, GB),
  };
}

export const NEW_USER_RIGHTS: RightsDraft = {
  can_upload: true,
  can_send_external: false,
  can_request_files: false,
  requires_approval: false,
  max_file_mb: '',
  max_retention_days: '',
  quota_gb: '',
};

// The rights to send. With `before`, only the numbers whose text changed are sent, so that
// saving an unchanged form never rounds a byte count that was set through the API.
export function rightsOf(
  t: Translate,
  draft: RightsDraft,
  before?: RightsDraft,
): { rights: Partial<Rights>; error?: undefined } | { error: string } {
  const rights: Partial<Rights> = {
    can_upload: draft.can_upload,
    can_send_external: draft.can_send_external,
    can_request_files: draft.can_request_files,
    requires_approval: draft.requires_approval,
  };
  const numbers: [keyof RightsDraft, keyof Rights, number, boolean, MessageKey][] = [
    ['max_file_mb', 'max_file_bytes', MB, true, 'admin.users.right.max_file_mb'],
    ['max_retention_days', 'max_retention_days', 1, false, 'admin.users.right.max_retention_days'],
    ['quota_gb', 'quota_bytes', GB, true, 'admin.users.right.quota_gb'],
  ];
  for (const [field, key, unit, fractions, label] of numbers) {
    const text = String(draft[field]).trim();
    if (before && text === String(before[field]).trim()) continue;
    const pattern = fractions ? /^\d+(\.\d+)?$/ : /^\d+$/;
    if (text !== '' && !pattern.test(text)) return { error: t('admin.users.number_invalid', { field: t(label) }) };
    (rights as Record<string, number>)[key] = text === '' ? 0 : Math.round(Number(text) * unit);
  }
  return { rights };
}

export function RightsFields({ draft, onChange }: { draft: RightsDraft; onChange: (d: RightsDraft) => void }) {
  const { t } = useI18n();
  const set = <K extends keyof RightsDraft>(key: K, value: RightsDraft[K]) => onChange({ ...draft, [key]: value });
  const flags: ['can_upload' | 'can_send_external' | 'can_request_files' | 'requires_approval', MessageKey][] = [
    ['can_upload', 'admin.users.right.can_upload'],
    ['can_send_external', 'admin.users.right.can_send_external'],
    ['can_request_files', 'admin.users.right.can_request_files'],
    ['requires_approval', 'admin.users.right.requires_approval'],
  ];
  const numbers: ['max_file_mb' | 'max_retention_days' | 'quota_gb', MessageKey, string][] = [
    ['max_file_mb', 'admin.users.right.max_file_mb', 'any'],
    ['max_retention_days', 'admin.users.right.max_retention_days', '1'],
    ['quota_gb', 'admin.users.right.quota_gb', 'any'],
  ];
  return (
    <fieldset class="admin-fieldset">
      <legend>{t('admin.users.rights')}</legend>
      <div class="checkbox-grid">
        {flags.map(([key, label]) => (
          <Checkbox key={key} label={t(label)} checked={draft[key]} onChange={(v) => set(key, v)} />
        ))}
      </div>
      <div class="rights-numbers">
        {numbers.map(([key, label, step]) => (
          <Field key={key} label={t(label)}>
            {(props) => (
              <input
                {...props}
                type="number"
                min="0"
                step={step}
                inputMode={step === '1' ? 'numeric' : 'decimal'}
                placeholder={t('admin.default')}
                value={draft[key]}
                onInput={(e) => set(key, (e.currentTarget as HTMLInputElement).value)}
              />
            )}
          </Field>
        ))}
      </div>
      <p class="hint">{t('admin.default_hint')}</p>
    </fieldset>
  );
}

// An ApiError whose message is the given text: ErrorNotice shows the message of codes it does
// not translate itself, so a page can explain a refusal in its own words.
export function explained(err: unknown, text: string): ApiError {
  const status = err instanceof ApiError ? err.status : 0;
  return new ApiError(status, 'explained', text);
}
