// Wireshark's keys: Ctrl+G go to packet, Ctrl+F find, Ctrl+M mark, Ctrl+Shift+N/B next /
// previous mark, Ctrl+T time reference, Ctrl+/ the filter box. The call dialog owns the keys
// while it is open.

import { useEffect } from 'react';
import { useCallDialog } from '../store/call-dialog';
import { find } from '../store/find';
import { marks } from '../store/marks';
import { actions, displayIndexOf, displayRecord, useWorkbench } from '../store/workbench';
import { goTo } from './GoToPacket';

function selected(): { no: number; time: number } | null {
  const at = useWorkbench.getState().selectedIndex;
  if (at === null) return null;
  const r = displayRecord(at);
  return 'no' in r ? { no: r.no, time: r.time } : null;
}

export function Shortcuts(): null {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (useCallDialog.getState().no !== null) return;
      const mod = e.ctrlKey || e.metaKey;
      if (!mod || e.altKey) return;
      const key = e.key.toLowerCase();
      let handled = true;
      if (key === 'g' && !e.shiftKey) goTo.open();
      else if (key === 'f' && !e.shiftKey) find.open();
      else if (key === 'm' && !e.shiftKey) {
        const s = selected();
        if (s) marks.toggle(s.no);
      } else if (key === 't' && !e.shiftKey) {
        const s = selected();
        if (s) marks.toggleTimeRef(s.no, s.time);
      } else if ((key === 'n' || key === 'b') && e.shiftKey) {
        const s = selected();
        const no = marks.next(s?.no ?? 0, key === 'n' ? 1 : -1);
        if (no !== null && displayIndexOf(no) !== null) void actions.selectNo(no);
      } else if (key === '/') {
        document.getElementById('filter')?.focus();
      } else handled = false;
      if (handled) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return null;
}
