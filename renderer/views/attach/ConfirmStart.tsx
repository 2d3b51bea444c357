// A new Start never throws the current view away unasked: it says how many packets the view
// holds and where they stay (the session's capture file).

import { useEffect, useRef } from 'react';
import { attachActions, useAttach } from '../../store/attach';
import { formatCount, shortPath } from '../format';
import { Modal } from '../Modal';

export function ConfirmStart(): React.JSX.Element | null {
  const confirm = useAttach((s) => s.confirm);
  const ok = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirm) ok.current?.focus();
  }, [confirm]);
  if (!confirm) return null;
  const packets = `${formatCount(confirm.packets)} packet${confirm.packets === 1 ? '' : 's'}`;
  return (
    <Modal
      testId="confirm-start"
      title="Start a new session?"
      onCancel={() => attachActions.cancelStart()}
    >
      <p>
        {confirm.opened !== undefined ? (
          <>
            The view holds {packets} of <code>{confirm.opened}</code>. A new session clears the
            view.
          </>
        ) : (
          <>
            The view holds {packets} of the {confirm.running ? 'running' : 'last'} session.
            {confirm.running ? ' Starting a new session stops it and' : ' A new session'} clears the
            view.
          </>
        )}
      </p>
      <p data-testid="confirm-start-capture">
        {confirm.opened !== undefined ? (
          <>The file stays as it is: open it again at any time.</>
        ) : confirm.capture ? (
          <>
            They remain in the capture file{' '}
            <code title={confirm.capture}>{shortPath(confirm.capture)}</code>
            {confirm.captureError ? ` (recorded up to: ${confirm.captureError})` : ''}.
          </>
        ) : (
          <>They were not recorded{confirm.captureError ? `: ${confirm.captureError}` : ''}.</>
        )}
      </p>
      <div className="modal-actions">
        <button
          type="button"
          data-testid="confirm-start-cancel"
          onClick={() => attachActions.cancelStart()}
        >
          Cancel
        </button>
        <button
          ref={ok}
          type="button"
          className="primary"
          data-testid="confirm-start-ok"
          onClick={() => void attachActions.start(true)}
        >
          {confirm.running ? 'Stop it and start' : 'Start new session'}
        </button>
      </div>
    </Modal>
  );
}
