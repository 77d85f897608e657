import { type ReactNode, useId, useState } from 'react';
import { fr } from '../../i18n/fr';

/** A button that opens a form in place (and the form's `close` to put it away), so pages stay short. */
export function Disclosure({
  label,
  children,
  testId,
  primary,
}: {
  label: string;
  children: (close: () => void) => ReactNode;
  testId?: string;
  primary?: boolean;
}) {
  const id = useId();
  const [open, setOpen] = useState(false);
  return (
    <div className="disclosure">
      <button
        type="button"
        className={`button${primary ? ' button--primary' : ''}`}
        aria-expanded={open}
        aria-controls={`${id}-panel`}
        data-testid={testId}
        onClick={() => setOpen((value) => !value)}
      >
        {open ? fr.common.close : label}
      </button>
      {open ? (
        <div id={`${id}-panel`} className="disclosure__panel">
          {children(() => setOpen(false))}
        </div>
      ) : null}
    </div>
  );
}
