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
  private items: PacketRecord[] = [];
  private head = 0;

  constructor(
    private readonly tracker: SessionTracker,
    private readonly pass: (record: PacketRecord) => void,
    private readonly window = 1024,
  ) {}

  add(record: PacketRecord): void {
    this.items.push(record);
    const items = this.items;
    let head = this.head;
    while (head < items.length) {
      const first = items[head]!;
      if (items.length - head <= this.window && this.tracker.isOpen(first)) break;
      this.pass(first);
      head++;
    }
    if (head === items.length) {
      this.items = [];
      head = 0;
    } else if (head > 4096) {
      this.items = items.slice(head);
      head = 0;
    }
    this.head = head;
  }

  /** Passes on everything still held (end of input). */
  end(): void {
    const items = this.items;
    this.items = [];
    for (let i = this.head; i < items.length; i++) this.pass(items[i]!);
    this.head = 0;
  }
}
