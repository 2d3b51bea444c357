// Opening a capture while a live session runs stops that session: asked first, saying where
// its packets stay.

import { useEffect, useRef } from 'react';
import { captureActions, useCaptures } from '../../store/captures';
import { useWorkbench } from '../../store/workbench';
import { shortPath } from '../format';
import { Modal } from '../Modal';

export function ReplacePrompt(): React.JSX.Element | null {
  const prompt = useCaptures((s) => s.replacePrompt);
  const info = useWorkbench((s) => s.session.info);
  const ok = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (prompt) ok.current?.focus();
  }, [prompt]);
  if (!prompt) return null;
  return (
    <Modal
      testId="replace-prompt"
      title="Stop the live session?"
      onCancel={() => captureActions.cancelReplace()}
    >
      <p>
        A session is running
        {info && info.debugger && (
          <>
            {' '}
            (<code>{info.debugger}</code> ↔ <code>{info.target}</code>)
          </>
        )}
        . Opening <code>{prompt.name}</code> stops it and shows the capture instead.
      </p>
      <p>
        {info?.capture ? (
          <>
            Its packets stay in <code title={info.capture}>{shortPath(info.capture)}</code>.
          </>
        ) : (
          <>It is not being recorded: its packets are lost.</>
        )}
      </p>
      <div className="modal-actions">
        <button type="button" onClick={() => captureActions.cancelReplace()}>
          Cancel
        </button>
        <button
          ref={ok}
          type="button"
          className="primary"
          data-testid="replace-ok"
          onClick={() => void captureActions.confirmReplace()}
        >
          Stop it and open
        </button>
      </div>
    </Modal>
  );
}
