// Go to packet (Ctrl+G): type a number, Enter selects that packet in the list.

import { useLayoutEffect, useRef, useState } from 'react';
import { create } from 'zustand';
import { actions, displayIndexOf, table } from '../store/workbench';

const useGoTo = create<{ open: boolean; message: string }>(() => ({ open: false, message: '' }));

export const goTo = {
  open: (): void => useGoTo.setState({ open: true, message: '' }),
  close: (): void => useGoTo.setState({ open: false }),
};
const setMessage = (message: string): void => useGoTo.setState({ message });

export function GoToPacket(): React.JSX.Element | null {
  const open = useGoTo((s) => s.open);
  const message = useGoTo((s) => s.message);
  const [text, setText] = useState('');
  const ref = useRef<HTMLInputElement>(null);
  // Focused as it opens, not a frame later: the digits typed right after Ctrl+G land in it.
  useLayoutEffect(() => {
    if (open) ref.current?.select();
  }, [open]);
  if (!open) return null;
  const go = (): void => {
    const no = Number(text.trim());
    if (!Number.isSafeInteger(no) || no < 1) {
      setMessage('a packet number, 1 or more');
      return;
    }
    if (displayIndexOf(no) === null) {
      setMessage(
        table.rowOfNo(no) >= 0
          ? `packet ${no} is hidden by the display filter`
          : `packet ${no} is not in the list`,
      );
      return;
    }
    goTo.close();
    actions.setFollow(false);
    void actions
      .selectNo(no)
      .then(() => document.querySelector<HTMLElement>('[data-testid="timeline"]')?.focus());
  };
  return (
    <div className="goto" role="dialog" aria-label="Go to packet" data-testid="goto">
      <label htmlFor="goto-no">Go to packet</label>
      <input
        ref={ref}
        id="goto-no"
        data-testid="goto-no"
        inputMode="numeric"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setMessage('');
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            go();
          } else if (e.key === 'Escape') {
            e.preventDefault();
            goTo.close();
          }
        }}
        onBlur={() => setTimeout(goTo.close, 150)}
      />
      <button
        type="button"
        className="primary"
        onMouseDown={(e) => e.preventDefault()}
        onClick={go}
      >
        Go
      </button>
      {message && (
        <span className="err-text" role="alert" data-testid="goto-message">
          {message}
        </span>
      )}
    </div>
  );
}
