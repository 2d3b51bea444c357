// When the engine last reported each side's link, and a clock that ticks while a side is
// silent or gone, so "silent 12 s" counts on between the engine's reports.

import { create } from 'zustand';
import { useWorkbench } from './workbench';

export const usePeerClock = create(() => ({ receivedAt: Date.now(), now: Date.now() }));

/** Notes each report of the session's state (main.tsx, at start-up); returns the disposer. */
export function setupPeerClock(): () => void {
  return useWorkbench.subscribe((s, prev) => {
    if (s.session !== prev.session) {
      const t = Date.now();
      usePeerClock.setState({ receivedAt: t, now: t });
    }
  });
}

/** Ticks once a second until the returned disposer runs. */
export function tickPeerClock(): () => void {
  const timer = setInterval(() => usePeerClock.setState({ now: Date.now() }), 1000);
  return () => clearInterval(timer);
}
