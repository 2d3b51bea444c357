// The KDNET key prompt: the engine refused a capture whose datagrams are encrypted (no key, or
// one that failed authentication). The key is typed into a password field, sent once with the
// open request, and kept nowhere in the page.

import { useEffect, useRef, useState } from 'react';
import { captureActions, useCaptures } from '../../store/captures';
import { Modal } from '../Modal';

export function KeyPrompt(): React.JSX.Element | null {
  const prompt = useCaptures((s) => s.keyPrompt);
  const busy = useCaptures((s) => s.busy);
  const [key, setKey] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (prompt) requestAnimationFrame(() => input.current?.focus());
  }, [prompt]);
  if (!prompt) return null;
  const submit = (): void => {
    const typed = key;
    setKey('');
    void captureActions.submitKey(typed);
  };
  return (
    <Modal
      testId="kdnet-key-prompt"
      title={prompt.reason === 'missing' ? 'KDNET key needed' : 'That key did not open it'}
      onCancel={() => captureActions.cancelKey()}
      onSubmit={submit}
    >
      <p>
        <code>{prompt.name}</code>{' '}
        {prompt.reason === 'missing'
          ? 'holds encrypted KDNET datagrams. Give the key the target was set up with (bcdedit /dbgsettings net key:W.X.Y.Z).'
          : 'was not opened with the key given.'}
      </p>
      <p className="dim small" data-testid="kdnet-key-reason">
        {prompt.message}
      </p>
      <label className="field-row">
        <span>Key</span>
        <input
          ref={input}
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder="W.X.Y.Z"
          data-testid="kdnet-key"
          value={key}
          onChange={(e) => setKey(e.target.value)}
        />
      </label>
      {busy && <p className="dim">{busy}</p>}
      <div className="modal-actions">
        <button type="button" onClick={() => captureActions.cancelKey()}>
          Cancel
        </button>
        <button
          type="submit"
          className="primary"
          data-testid="kdnet-key-ok"
          disabled={key.trim() === '' || busy !== null}
        >
          Open
        </button>
      </div>
    </Modal>
  );
}
