// Holding records until they are final: a printer or exporter that sees each record once
// wants a data packet with its `ack` and a request with its `pair` (PacketRecords are
// emitted before their partners arrive; see tracker.ts).

import type { PacketRecord } from './record';
import type { SessionTracker } from './tracker';

/**
 * Passes records on in their order once the tracker has settled them; at most `window`
 * records wait, so a request that is never answered delays the output only that much.
 */
export class SettleQueue {
  /** Ring buffer of held records, [head, head + count) masked by its power-of-two size. */
  private ring: (PacketRecord | undefined)[] = new Array<PacketRecord | undefined>(64).fill(
    undefined,
  );
  private mask = 63;
  private head = 0;
  private count = 0;

  constructor(
    private readonly tracker: SessionTracker,
    private readonly pass: (record: PacketRecord) => void,
    private readonly window = 1024,
  ) {}

  add(record: PacketRecord): void {
    // The common case: nothing held and the record is already final.
    if (this.count === 0 && !this.tracker.isOpen(record)) {
      this.pass(record);
      return;
    }
    if (this.count > this.mask) this.grow();
    this.ring[(this.head + this.count) & this.mask] = record;
    this.count++;
    this.drain(false);
  }

  /** Passes on everything still held (end of input). */
  end(): void {
    this.drain(true);
  }

  /** `pass` must not add to this queue (nothing here calls back into it). */
  private drain(all: boolean): void {
    const ring = this.ring;
    const mask = this.mask;
    let head = this.head;
    let count = this.count;
    while (count > 0) {
      const first = ring[head]!;
      if (!all && count <= this.window && this.tracker.isOpen(first)) break;
      ring[head] = undefined;
      head = (head + 1) & mask;
      count--;
      this.pass(first);
    }
    this.head = head;
    this.count = count;
  }

  private grow(): void {
    const size = this.ring.length;
    const next = new Array<PacketRecord | undefined>(size * 2).fill(undefined);
    for (let i = 0; i < this.count; i++) next[i] = this.ring[(this.head + i) & this.mask];
    this.ring = next;
    this.mask = size * 2 - 1;
    this.head = 0;
  }
}
