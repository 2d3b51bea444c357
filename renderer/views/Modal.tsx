// The one shape of a small modal dialog: a backdrop that cancels when clicked, Escape to
// cancel, a title the dialog is labelled by, and a form when Enter should submit. It takes
// the focus when it opens (unless a field in it already has it): a dialog opened by a drop or
// by the engine must still hear Escape, and keys must not reach the view behind it.

import { useEffect, useRef, type ReactNode } from 'react';

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
  const ref = useRef<HTMLElement | null>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.contains(document.activeElement)) dialog.focus();
  }, []);
  const shared = {
    ref: (el: HTMLElement | null) => {
      ref.current = el;
    },
    tabIndex: -1,
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
