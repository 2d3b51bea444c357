// Two simulated VMBus rings between a host and a guest, as windbg-uefi shares them (the guest's
// send ring and its receive ring, 0x2000 data bytes each): each end is a PipeTransport that
// writes whole messages as ring packets (descriptor, pipe header, message, trailer) and reads
// the other ring. A writer whose ring is full waits for the reader, as a real guest does.
// Occupancy, high-water mark and refused writes per ring are a subscribable stat.

import { VmbusRing } from '../../../protocol/vmbus/ring';
import type { PipeTransport, PipeTransportHandlers } from '../vmbus/pipe-transport';

/** windbg-uefi's ring data size (each ring: one control page + 2 data pages). */
export const WINDBG_UEFI_RING_SIZE = 0x2000;
/** Messages a full ring may keep waiting before the writer's surplus is dropped (and counted). */
const MAX_BACKLOG = 256;

export type RingName = 'host->guest' | 'guest->host';

export interface RingStats {
  readonly ring: RingName;
  readonly size: number;
  readonly occupancy: number;
  readonly highWater: number;
  /** Writes that found the ring full (the writer waited). */
  readonly refused: number;
  readonly packets: number;
  /** Messages lost: the backlog behind a full ring overflowed, or a message never fits. */
  readonly dropped: number;
  /** Corrupt packets the reader skipped. */
  readonly corrupt: number;
}

class RingEnd implements PipeTransport {
  readonly boundaries = 'message';
  peer!: RingEnd;
  handlers: PipeTransportHandlers | undefined;
  highWater = 0;
  packets = 0;
  dropped = 0;
  corrupt = 0;
  private backlog: Uint8Array[] = [];
  private paused = false;
  private readScheduled = false;
  private transId = 0n;
  closed = false;

  constructor(
    readonly description: string,
    readonly name: RingName,
    /** The ring this end writes; the peer reads it. */
    readonly out: VmbusRing,
    private readonly changed: () => void,
  ) {}

  start(handlers: PipeTransportHandlers): void {
    this.handlers = handlers;
    this.scheduleRead();
  }

  write(message: Uint8Array): boolean {
    if (this.closed) return true;
    if (VmbusRing.footprint(message.length) >= this.out.size) {
      this.dropped++;
      this.changed();
      return true;
    }
    if (this.backlog.length === 0 && this.put(message)) return true;
    if (this.backlog.length >= MAX_BACKLOG) this.dropped++;
    else this.backlog.push(message);
    return false;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.scheduleRead();
  }

  close(): void {
    if (this.closed) return;
    this.shut();
    this.peer.shut();
  }

  /** The peer signalled: read our incoming ring on a later turn (an interrupt, not a call). */
  scheduleRead(): void {
    if (this.readScheduled || this.closed) return;
    this.readScheduled = true;
    setImmediate(() => {
      this.readScheduled = false;
      this.readIncoming();
    });
  }

  /** Room appeared in our outgoing ring. */
  flushBacklog(): void {
    if (this.backlog.length === 0) return;
    while (this.backlog.length > 0 && this.put(this.backlog[0]!)) this.backlog.shift();
    if (this.backlog.length === 0) this.handlers?.drain();
  }

  shut(): void {
    if (this.closed) return;
    this.closed = true;
    this.backlog = [];
    const handlers = this.handlers;
    setImmediate(() => handlers?.close());
  }

  private put(message: Uint8Array): boolean {
    if (!this.out.write(message, this.transId++)) {
      this.changed();
      return false;
    }
    this.packets++;
    this.highWater = Math.max(this.highWater, this.out.occupancy);
    this.changed();
    this.peer.scheduleRead();
    return true;
  }

  private readIncoming(): void {
    const handlers = this.handlers;
    if (!handlers || this.paused || this.closed) return;
    const ring = this.peer.out;
    let read = false;
    while (!this.paused && !this.closed) {
      const result = ring.read();
      if (result === undefined) break;
      read = true;
      if (result.ok) handlers.data(result.packet.message);
      else this.peer.corrupt++;
    }
    if (read) {
      this.changed();
      this.peer.flushBacklog();
    }
  }
}

export class SimVmbusRings {
  private readonly hostEnd: RingEnd;
  private readonly guestEnd: RingEnd;
  private readonly listeners = new Set<(stats: readonly RingStats[]) => void>();
  private notifyScheduled = false;

  constructor(size = WINDBG_UEFI_RING_SIZE) {
    const changed = (): void => this.scheduleNotify();
    this.hostEnd = new RingEnd('sim:vmbus', 'host->guest', new VmbusRing(size), changed);
    this.guestEnd = new RingEnd('sim:vmbus guest', 'guest->host', new VmbusRing(size), changed);
    this.hostEnd.peer = this.guestEnd;
    this.guestEnd.peer = this.hostEnd;
  }

  /** The host's end: writes the guest's receive ring, reads its send ring. */
  get host(): PipeTransport {
    return this.hostEnd;
  }

  /** The guest's end. */
  get guest(): PipeTransport {
    return this.guestEnd;
  }

  get closed(): boolean {
    return this.hostEnd.closed;
  }

  stats(): RingStats[] {
    return [this.hostEnd, this.guestEnd].map((end) => ({
      ring: end.name,
      size: end.out.size,
      occupancy: end.out.occupancy,
      highWater: end.highWater,
      refused: end.out.refused,
      packets: end.packets,
      dropped: end.dropped,
      corrupt: end.corrupt,
    }));
  }

  /** Called with fresh stats at most once per event-loop turn after a change; returns the disposer. */
  subscribe(listener: (stats: readonly RingStats[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.hostEnd.close();
  }

  private scheduleNotify(): void {
    if (this.notifyScheduled || this.listeners.size === 0) return;
    this.notifyScheduled = true;
    setImmediate(() => {
      this.notifyScheduled = false;
      const stats = this.stats();
      for (const listener of [...this.listeners]) listener(stats);
    });
  }
}

/** "h->g 1.2/8 KiB (max 3.4) g->h ..." for status lines. */
export function formatRingStats(stats: readonly RingStats[]): string {
  const kib = (n: number): string => (n / 1024).toFixed(1);
  return stats
    .map(
      (s) =>
        `${s.ring === 'host->guest' ? 'ring h->g' : 'ring g->h'} ${kib(s.occupancy)}/${kib(s.size)} KiB (max ${kib(s.highWater)}` +
        `${s.refused > 0 ? `, ${s.refused} full` : ''}${s.dropped > 0 ? `, ${s.dropped} lost` : ''})`,
    )
    .join(' | ');
}
