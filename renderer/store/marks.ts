// Packets the user marked (Ctrl+M) and the time reference (Ctrl+T), by packet no. so they
// survive filtering; both are forgotten when the view starts over.

import { create } from 'zustand';
import { onRows } from './row-feed';

export interface TimeRef {
  readonly no: number;
  /** Its time, ms since the epoch: the Time column and `time` in filters count from it. */
  readonly time: number;
}

export interface MarksState {
  marked: ReadonlySet<number>;
  timeRef: TimeRef | null;
}

export const useMarks = create<MarksState>(() => ({ marked: new Set(), timeRef: null }));

export const marks = {
  toggle(no: number): void {
    const next = new Set(useMarks.getState().marked);
    if (!next.delete(no)) next.add(no);
    useMarks.setState({ marked: next });
  },
  clear(): void {
    useMarks.setState({ marked: new Set() });
  },
  toggleTimeRef(no: number, time: number): void {
    const ref = useMarks.getState().timeRef;
    useMarks.setState({ timeRef: ref?.no === no ? null : { no, time } });
  },
  /** The marked no. after (dir 1) or before (dir -1) `from`, wrapping around; null if none. */
  next(from: number, dir: 1 | -1): number | null {
    const all = [...useMarks.getState().marked].sort((a, b) => a - b);
    if (all.length === 0) return null;
    if (dir > 0) return all.find((n) => n > from) ?? all[0]!;
    return [...all].reverse().find((n) => n < from) ?? all[all.length - 1]!;
  },
};

/** Forgets marks and the reference when the view starts over; returns the disposer. */
export function setupMarks(): () => void {
  return onRows({
    reset: () => useMarks.setState({ marked: new Set(), timeRef: null }),
  });
}
