import { type ReactNode, useCallback, useEffect, useId, useRef, useState } from 'react';
import { fr } from '../../i18n/fr';

export interface ConfirmOptions {
  title: string;
  body?: ReactNode;
  confirmLabel: string;
  /** A destructive action's button is red. */
  danger?: boolean;
}

interface Pending extends ConfirmOptions {
  resolve(ok: boolean): void;
}

/**
 * A confirmation in a modal `<dialog>` (focus trapped, Escape cancels), asked before a destructive action.
 * `ask` resolves true when confirmed; render `dialog` somewhere in the component.
 */
export function useConfirm(): { ask(options: ConfirmOptions): Promise<boolean>; dialog: ReactNode } {
  const [pending, setPending] = useState<Pending | null>(null);
  const ask = useCallback(
    (options: ConfirmOptions) => new Promise<boolean>((resolve) => setPending({ ...options, resolve })),
    [],
  );
  const close = (ok: boolean) => {
    pending?.resolve(ok);
    setPending(null);
  };
  return { ask, dialog: pending ? <ConfirmDialog options={pending} onClose={close} /> : null };
}

function ConfirmDialog({ options, onClose }: { options: ConfirmOptions; onClose(ok: boolean): void }) {
  const id = useId();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      className="confirm"
      aria-labelledby={`${id}-title`}
      data-testid="confirm-dialog"
      onCancel={(event) => {
        event.preventDefault();
        onClose(false);
      }}
    >
      <h2 id={`${id}-title`}>{options.title}</h2>
      {options.body ? <div className="confirm__body">{options.body}</div> : null}
      <div className="row-actions">
        <button
          type="button"
          className={`button ${options.danger ? 'button--danger' : 'button--primary'}`}
          data-testid="confirm-yes"
          onClick={() => onClose(true)}
        >
          {options.confirmLabel}
        </button>
        {/* Cancelling is the safe default: it takes the focus first. */}
        {/* biome-ignore lint/a11y/noAutofocus: a modal dialog focuses its safe choice */}
        <button type="button" className="button" data-testid="confirm-no" autoFocus onClick={() => onClose(false)}>
          {fr.common.cancel}
        </button>
      </div>
    </dialog>
  );
}
