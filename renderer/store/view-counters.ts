// The toolbar's counters, counted from the rows this view received since it started or was
// cleared, so they agree with the packet list (the engine's counters cover the whole session;
// Clear used to leave them counting the old one). The rate and the frames recorded stay the
// engine's: they describe the session and its capture, not the view.

import { PacketFlag } from '../../protocol/session/record';
import { onRows } from './row-feed';

/** What the engine counts as an error (electron/engine/workbench.ts). */
const ERROR_FLAGS =
  PacketFlag.CHECKSUM_ERROR |
  PacketFlag.GARBAGE |
  PacketFlag.UNEXPECTED_ID |
  PacketFlag.ERROR_STATUS;

export interface ViewCounters {
  /** Rows received (kept or not) plus rows the engine skipped for this view. */
  packets: number;
  /** Wire bytes of the rows received. */
  bytes: number;
  errors: number;
  retransmits: number;
  breakins: number;
}

const ZERO: ViewCounters = { packets: 0, bytes: 0, errors: 0, retransmits: 0, breakins: 0 };
const tally: ViewCounters = { ...ZERO };

/**
 * The counters now. Read them when the packet list publishes (its revision): they were
 * counted in the same ingest as the rows it shows, so the two never disagree on screen.
 */
export function viewCounters(): Readonly<ViewCounters> {
  return tally;
}

export function setupViewCounters(): () => void {
  return onRows({
    row(r) {
      tally.bytes += r.length;
      if (r.flags & ERROR_FLAGS) tally.errors++;
      if (r.flags & PacketFlag.RETRANSMIT) tally.retransmits++;
      if (r.kind === 1) tally.breakins++;
    },
    batch(rows, skipped) {
      tally.packets += rows + skipped;
    },
    reset() {
      Object.assign(tally, ZERO);
    },
  });
}
