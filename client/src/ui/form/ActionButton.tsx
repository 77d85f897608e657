import { type ReactNode, useId, useState } from 'react';
import { type AnyVariables, type DocumentInput, useMutation } from 'urql';
import { messageOf } from '../../errors';
import { Notice } from '../Notice';
import { type ConfirmOptions, useConfirm } from './ConfirmDialog';
import { type Payload, payloadOf, succeeded } from './MutationForm';

interface ActionButtonProps {
  // biome-ignore lint/suspicious/noExplicitAny: any mutation; its variables are given whole
  mutation: DocumentInput<any, any>;
  variables: AnyVariables;
  children: ReactNode;
  /** Asked first: for what cannot be undone (leaving, closing, withdrawing, removing). */
  confirm?: ConfirmOptions;
  tone?: 'primary' | 'danger' | 'plain';
  small?: boolean;
  testId?: string;
  /** An accessible name when the text alone is ambiguous in a list (« Accepter » which request). */
  ariaLabel?: string;
  onSuccess?: (payload: Payload | null) => void;
}

/** One mutation behind one button, with its refusal said right next to it (and a confirmation when asked). */
export function ActionButton({
  mutation,
  variables,
  children,
  confirm,
  tone = 'plain',
  small,
  testId,
  ariaLabel,
  onSuccess,
}: ActionButtonProps) {
  const id = useId();
  const [{ fetching }, run] = useMutation(mutation);
  const [problem, setProblem] = useState<string | null>(null);
  const { ask, dialog } = useConfirm();

  async function act() {
    if (fetching) return;
    setProblem(null);
    if (confirm && !(await ask(confirm))) return;
    const result = await run(variables);
    if (succeeded(result)) onSuccess?.(payloadOf(result));
    else setProblem(messageOf(payloadOf(result), result.error));
  }

  const className = `button${tone === 'primary' ? ' button--primary' : tone === 'danger' ? ' button--danger' : ''}${small ? ' button--small' : ''}`;
  return (
    <span className="action">
      <button
        type="button"
        className={className}
        aria-disabled={fetching}
        aria-label={ariaLabel}
        aria-describedby={problem ? `${id}-problem` : undefined}
        data-testid={testId}
        onClick={act}
      >
        {children}
      </button>
      {problem ? (
        <Notice id={`${id}-problem`} tone="error">
          {problem}
        </Notice>
      ) : null}
      {dialog}
    </span>
  );
}
