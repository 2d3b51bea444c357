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
  /** Ring buffer of held records: [head, head + count) modulo capacity. */
  private ring: (PacketRecord | undefined)[] = new Array<PacketRecord | undefined>(64);
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
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) % this.ring.length] = record;
    this.count++;
    while (this.count > 0) {
      const first = this.ring[this.head]!;
      if (this.count <= this.window && this.tracker.isOpen(first)) break;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.ring.length;
      this.count--;
      this.pass(first);
    }
  }

  /** Passes on everything still held (end of input). */
  end(): void {
    while (this.count > 0) {
      const first = this.ring[this.head]!;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.ring.length;
      this.count--;
      this.pass(first);
    }
  }

  private grow(): void {
    const size = this.ring.length;
    const next = new Array<PacketRecord | undefined>(size * 2).fill(undefined);
    for (let i = 0; i < this.count; i++) next[i] = this.ring[(this.head + i) % size];
    this.ring = next;
    this.head = 0;
  }
}
