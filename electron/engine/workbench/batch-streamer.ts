// Feeds one connection from the BatchStore with a window of unacknowledged batches: a slow
// renderer gets fewer, larger catch-up steps, never an unbounded queue.

import type { RecordsEvent } from '../../api/contract';
import type { BatchStore } from './batch-store';

export class BatchStreamer {
  private window = 0;
  private inFlight = new Set<number>();
  private seq = 0;
  /** Store index of the next batch to send. */
  private cursor: number;
  /** no. of the next row this client expects (to report skipped rows). */
  private nextNo = 0;
  private readonly offSealed: () => void;

  constructor(
    private readonly store: BatchStore,
    private readonly send: (event: RecordsEvent) => void,
  ) {
    this.cursor = 0;
    this.offSealed = store.onSealed(() => this.pump());
  }

  /** The client is ready: start (or resize the window and continue). */
  ready(window: number): void {
    this.window = window;
    this.pump();
  }

  ack(seq: number): void {
    if (this.inFlight.delete(seq)) this.pump();
  }

  /** Skip everything sealed so far (the user cleared the view). */
  skipToHead(): void {
    this.cursor = this.store.head;
    this.nextNo = 0;
  }

  /** A new session started: the store was cleared, start from its beginning. */
  restart(): void {
    this.cursor = this.store.head;
    this.nextNo = 0;
  }

  private pump(): void {
    while (this.inFlight.size < this.window) {
      const batch = this.store.from(this.cursor);
      if (!batch || batch.index < this.cursor) return;
      this.cursor = batch.index + 1;
      let skipped = 0;
      if (batch.count > 0) {
        skipped = this.nextNo > 0 ? Math.max(0, batch.firstNo - this.nextNo) : 0;
        this.nextNo = batch.firstNo + batch.count;
      }
      const seq = ++this.seq;
      this.inFlight.add(seq);
      this.send({
        seq,
        firstNo: batch.firstNo,
        count: batch.count,
        skipped,
        batch: batch.bytes,
        ...(batch.updates ? { updates: batch.updates } : {}),
      });
    }
  }

  dispose(): void {
    this.offSealed();
    this.window = 0;
  }
}
