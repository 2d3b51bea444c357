// The one shape of a small modal dialog: a backdrop that cancels when clicked, Escape to
// cancel, a title the dialog is labelled by, and a form when Enter should submit.

import type { ReactNode } from 'react';

export interface ModalProps {
  /** The dialog's test id; its title's id is `${testId}-title`. */
  testId: string;
  title: ReactNode;
  /** Classes beside `modal` (a wider dialog). */
  className?: string;
  /** A click on the backdrop or Escape. */
  onCancel: () => void;
  /** Given: the dialog is a form and Enter (or a submit button) calls it. */
  onSubmit?: () => void;
  children: ReactNode;
}

export function Modal(props: ModalProps): React.JSX.Element {
  const { testId, onCancel, onSubmit } = props;
  const titleId = `${testId}-title`;
  const shared = {
    className: props.className ? `modal ${props.className}` : 'modal',
    role: 'dialog',
    'aria-modal': true,
    'aria-labelledby': titleId,
    'data-testid': testId,
    onClick: (e: React.MouseEvent) => e.stopPropagation(),
    onKeyDown: (e: React.KeyboardEvent) => {
      if (e.key === 'Escape') onCancel();
    },
  } as const;
  const body = (
    <>
      <h2 id={titleId}>{props.title}</h2>
      {props.children}
    </>
  );
  return (
    <div className="modal-backdrop" onClick={onCancel}>
      {onSubmit ? (
        <form
          {...shared}
          onSubmit={(e) => {
            e.preventDefault();
            onSubmit();
          }}
        >
          {body}
        </form>
      ) : (
        <div {...shared}>{body}</div>
      )}
    </div>
  );
}
