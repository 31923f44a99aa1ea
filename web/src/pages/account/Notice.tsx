// A problem found in the browser before anything is sent (the server's errors go through
// ErrorNotice), and a modal confirmation for actions that cannot be undone.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { useI18n } from '../../i18n';

export function FormProblem({ text }: { text: string | null }) {
  if (!text) return null;
  return (
    <div class="notice error" role="alert">
      {text}
    </div>
  );
}

export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  busy,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onClose={() => open && onCancel()}>
      <h2 id="confirm-title" class="dialog-title">
        {title}
      </h2>
      <div class="dialog-body">{children}</div>
      <div class="actions dialog-actions">
        <button type="button" class="secondary" onClick={onCancel} disabled={busy}>
          {t('common.cancel')}
        </button>
        <button type="button" class="danger-solid" onClick={onConfirm} disabled={busy}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
