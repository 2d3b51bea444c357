// The response-time (SRT) and expert-information panes: protocol/stats accumulators fed with
// every batch's rows (the same computation as `kdscope stats`), published at a human pace.
// Snapshots are built when a pane asks, not per batch.

import { create } from 'zustand';
import {
  ExpertAccumulator,
  SrtAccumulator,
  type ExpertSnapshot,
  type SrtTable,
} from '../../protocol/stats';
import { onRows } from './row-feed';
import { throttled } from './throttle';

export interface StatsState {
  /** Bumped (at most once a second: a table of percentiles read by people) on new rows. */
  revision: number;
  /** Rows counted since the view started. */
  rows: number;
}

export const useStats = create<StatsState>(() => ({ revision: 0, rows: 0 }));

const srt = new SrtAccumulator();
const expert = new ExpertAccumulator();
let rows = 0;

export function srtTable(): SrtTable {
  return srt.snapshot();
}

/** RTTs of one API (all when undefined), ms. */
export function srtRtts(api?: number): Float64Array {
  return srt.rtts(api);
}

/**
 * The expert list now: requests and packets waiting longer than two seconds count as never
 * answered / acknowledged while the session runs; after it ended everything open counts.
 */
export function expertSnapshot(live: boolean): ExpertSnapshot {
  return live ? expert.snapshot(Date.now()) : expert.snapshot();
}

export function setupStats(): () => void {
  const publish = throttled(1000, () =>
    useStats.setState((s) => ({ revision: s.revision + 1, rows })),
  );
  const off = onRows({
    row(row) {
      srt.add(row);
      expert.add(row);
    },
    batch(n) {
      rows += n;
      publish();
    },
    reset() {
      srt.clear();
      expert.clear();
      rows = 0;
      publish.cancel();
      useStats.setState((s) => ({ revision: s.revision + 1, rows: 0 }));
    },
  });
  return () => {
    off();
    publish.cancel();
  };
}
