// Records on their way to the UI: coalesced into sealed columnar batches (every ~16 ms or
// maxRows rows, never one message per packet), encoded once and shared by every connection.
// Bounded by rows: the oldest batches are dropped and a lagging client skips ahead to what is
// still held ("older rows are in the capture") instead of the engine queueing without end.

import type { PacketRecord } from '../../../protocol/session/record';

export interface SealedBatch {
  /** Position in the store's history: 0, 1, 2... never reused. */
  readonly index: number;
  /** no. of the first row (0 when the batch carries only updates). */
  readonly firstNo: number;
  readonly count: number;
  readonly bytes: Uint8Array;
  /** Rows of earlier batches whose forward links or flags changed since. */
  readonly updates?: Uint8Array;
}

export interface BatchStoreOptions {
  readonly encode: (records: readonly PacketRecord[]) => Uint8Array;
  /** Rows per batch at most. */
  readonly maxRows?: number;
  /** Rows held at most (older batches are dropped). */
  readonly capacityRows?: number;
  /** Milliseconds a row may wait before its batch is sealed. */
  readonly intervalMs?: number;
}

export class BatchStore {
  private readonly batches: SealedBatch[] = [];
  private heldRows = 0;
  private nextIndex = 0;
  private pending: PacketRecord[] = [];
  private updates = new Map<number, PacketRecord>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly maxRows: number;
  private readonly capacityRows: number;
  private readonly intervalMs: number;

  constructor(private readonly options: BatchStoreOptions) {
    this.maxRows = options.maxRows ?? 8192;
    this.capacityRows = options.capacityRows ?? 1_000_000;
    this.intervalMs = options.intervalMs ?? 16;
  }

  add(record: PacketRecord): void {
    this.pending.push(record);
    if (this.pending.length >= this.maxRows) this.seal();
    else this.timer ??= setTimeout(() => this.seal(), this.intervalMs);
  }

  /**
   * A row added earlier changed (the tracker links a request to its response or ACK later).
   * Still pending: it replaces the queued row; already sealed: it goes out with the next batch.
   */
  update(record: PacketRecord): void {
    const first = this.pending[0];
    const at = first ? record.no - first.no : -1;
    if (at >= 0 && at < this.pending.length && this.pending[at]!.no === record.no) {
      this.pending[at] = record;
      return;
    }
    this.updates.set(record.no, { ...record });
    this.timer ??= setTimeout(() => this.seal(), this.intervalMs);
  }

  /** Seals what is pending now (end of a session, or a test that wants it at once). */
  seal(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.length === 0 && this.updates.size === 0) return;
    const records = this.pending;
    this.pending = [];
    const updates = [...this.updates.values()];
    this.updates.clear();
    const batch: SealedBatch = {
      index: this.nextIndex++,
      firstNo: records[0]?.no ?? 0,
      count: records.length,
      bytes: this.options.encode(records),
      ...(updates.length > 0 ? { updates: this.options.encode(updates) } : {}),
    };
    this.batches.push(batch);
    this.heldRows += batch.count;
    while (this.heldRows > this.capacityRows && this.batches.length > 1) {
      this.heldRows -= this.batches.shift()!.count;
    }
    for (const listener of this.listeners) listener();
  }

  /** The batch with this index, or the oldest held one after it when it was dropped. */
  from(index: number): SealedBatch | undefined {
    const first = this.batches[0];
    if (!first) return undefined;
    return this.batches[Math.max(0, index - first.index)];
  }

  /** Index the next sealed batch will get. */
  get head(): number {
    return this.nextIndex;
  }

  onSealed(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = [];
    this.updates.clear();
    this.batches.length = 0;
    this.heldRows = 0;
  }

  dispose(): void {
    this.clear();
    this.listeners.clear();
  }
}
