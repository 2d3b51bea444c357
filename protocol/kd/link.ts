// The KD serial link layer of one side (target or debugger): packet ids, ACK/RESEND/RESET,
// retransmission. Pure: time comes from injected timers, bytes leave through `send`, and
// received bytes arrive as framing events (KdStreamDecoder output), so it is unit-testable
// without sockets. Behaviour follows kdcom (ReactOS kddll.c) and the debugger side of the
// NT debugger (windbg64 packet.c); see PROTOCOL.md "Ids".

import {
  INITIAL_PACKET_ID,
  PACKET_MAX_SIZE,
  PacketType,
  SYNC_PACKET_ID,
  packetTypeName,
} from './constants';
import { encodeAck, encodeBreakin, encodeDataPacket, encodeResend, encodeReset } from './encoder';
import { KdStreamDecoder } from './decoder';
import type { KdEvent, KdPacketEvent } from './events';

/** Injected time source: `set` schedules `fn` after `ms` and returns a cancel function. */
export interface LinkTimers {
  set(ms: number, fn: () => void): () => void;
}

export type LinkRole = 'target' | 'debugger';

export interface KdLinkOptions {
  readonly role: LinkRole;
  /** Writes bytes to the peer. Called synchronously from the link's methods. */
  readonly send: (bytes: Uint8Array) => void;
  readonly timers: LinkTimers;
  /** How long a data packet waits for its ACK before it is sent again. */
  readonly ackTimeoutMs?: number;
  /** Transmissions of one packet (first send included) before its send() rejects. */
  readonly maxSends?: number;
  /** Accepted packets held for a later receive() (out of the expected order); the oldest go first. */
  readonly queueLimit?: number;
  /** A break-in byte (0x62) arrived. */
  readonly onBreakin?: () => void;
  /**
   * A RESET arrived: counters are back to the initial values, the outgoing queue and the
   * received queue are dropped (and, for the target, pending receive() calls rejected).
   */
  readonly onReset?: () => void;
}

/** A data packet accepted by the link (good checksum, new id). */
export interface LinkPacket {
  readonly type: number;
  readonly id: number;
  readonly payload: Uint8Array;
}

export interface LinkStats {
  dataSent: number;
  retransmits: number;
  timeouts: number;
  acksSent: number;
  acksReceived: number;
  strayAcks: number;
  resendsSent: number;
  resendsReceived: number;
  resetsSent: number;
  resetsReceived: number;
  accepted: number;
  duplicates: number;
  badChecksums: number;
  badPackets: number;
  garbageBytes: number;
  breakins: number;
  queueDropped: number;
  /** Own packets counted as delivered because a data packet came while waiting for their ACK. */
  impliedAcks: number;
}

export type LinkErrorReason = 'timeout' | 'reset' | 'closed';

export class LinkError extends Error {
  override readonly name = 'LinkError';
  constructor(
    readonly reason: LinkErrorReason,
    message: string,
  ) {
    super(message);
  }
}

interface Outgoing {
  readonly type: number;
  readonly payload: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (error: LinkError) => void;
}

interface Waiter {
  readonly types: readonly number[] | undefined;
  readonly resolve: (packet: LinkPacket) => void;
  readonly reject: (error: LinkError) => void;
  cancelTimer?: () => void;
}

// The target boots with SYNC set in its send id; the debugger never sets it (windbg64
// DmKdNextPacketToSend). After a RESET both use INITIAL_PACKET_ID (ReactOS kddll.c resets
// CurrentPacketId to INITIAL_PACKET_ID; PROTOCOL.md said INITIAL | SYNC).
const BOOT_TARGET_SEND_ID = (INITIAL_PACKET_ID | SYNC_PACKET_ID) >>> 0;
const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

export function emptyLinkStats(): LinkStats {
  return {
    dataSent: 0,
    retransmits: 0,
    timeouts: 0,
    acksSent: 0,
    acksReceived: 0,
    strayAcks: 0,
    resendsSent: 0,
    resendsReceived: 0,
    resetsSent: 0,
    resetsReceived: 0,
    accepted: 0,
    duplicates: 0,
    badChecksums: 0,
    badPackets: 0,
    garbageBytes: 0,
    breakins: 0,
    queueDropped: 0,
    impliedAcks: 0,
  };
}

export class KdLink {
  readonly stats: LinkStats = emptyLinkStats();
  /** CurrentPacketId: the id of the next (or in-flight) data packet this side sends. */
  private sendId: number;
  /** RemotePacketId: the id expected on the peer's next new data packet. */
  private remoteId = INITIAL_PACKET_ID;
  private readonly outgoing: Outgoing[] = [];
  private inFlight: Outgoing | undefined;
  private sends = 0;
  private cancelAckTimer: (() => void) | undefined;
  private readonly inbox: LinkPacket[] = [];
  private readonly waiters: Waiter[] = [];
  private closed = false;
  private readonly decoder = new KdStreamDecoder();
  private readonly onEvent = (event: KdEvent): void => this.handle(event);
  private readonly ackTimeoutMs: number;
  private readonly maxSends: number;
  private readonly queueLimit: number;

  constructor(private readonly options: KdLinkOptions) {
    this.sendId = options.role === 'target' ? BOOT_TARGET_SEND_ID : INITIAL_PACKET_ID;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 1000;
    this.maxSends = Math.max(1, options.maxSends ?? 8);
    this.queueLimit = Math.max(1, options.queueLimit ?? 16);
  }

  get currentPacketId(): number {
    return this.sendId;
  }
  get remotePacketId(): number {
    return this.remoteId;
  }
  /** Data packets not yet acknowledged (in flight + queued). */
  get pendingSends(): number {
    return this.outgoing.length + (this.inFlight ? 1 : 0);
  }
  /** Accepted packets waiting for a receive(). */
  get queued(): number {
    return this.inbox.length;
  }

  /**
   * Queues a data packet. Packets go out one at a time, each after the previous one's ACK.
   * Resolves when acknowledged; rejects after maxSends unacknowledged sends, on a RESET
   * (the peer starts over; the caller decides what to send again) or on close().
   */
  send(type: number, payload: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new LinkError('closed', 'link closed'));
    if (payload.length > PACKET_MAX_SIZE) {
      return Promise.reject(
        new RangeError(`payload of ${payload.length} bytes is over ${PACKET_MAX_SIZE}`),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.outgoing.push({ type, payload, resolve, reject });
      this.pump();
    });
  }

  /**
   * The next accepted data packet of one of `types` (any type when omitted). Packets of
   * other types stay queued for a later receive(), like windbg-uefi's out-of-order queue.
   * With `timeoutMs`, rejects with reason 'timeout' when nothing fitting arrives in time.
   */
  receive(types?: readonly number[], timeoutMs?: number): Promise<LinkPacket> {
    if (this.closed) return Promise.reject(new LinkError('closed', 'link closed'));
    const index = this.inbox.findIndex((p) => types === undefined || types.includes(p.type));
    if (index >= 0) return Promise.resolve(this.inbox.splice(index, 1)[0]!);
    return new Promise<LinkPacket>((resolve, reject) => {
      const waiter: Waiter = { types, resolve, reject };
      if (timeoutMs !== undefined) {
        waiter.cancelTimer = this.options.timers.set(timeoutMs, () => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
          const names = types?.map(packetTypeName).join('/') ?? 'data';
          reject(new LinkError('timeout', `no ${names} packet within ${timeoutMs} ms`));
        });
      }
      this.waiters.push(waiter);
    });
  }

  /** Sends RESET and returns to the initial ids (the debugger starts a session this way). */
  reset(): void {
    if (this.closed) return;
    this.options.send(encodeReset());
    this.stats.resetsSent++;
    this.restart(false);
  }

  /** Sends the break-in byte. */
  breakin(): void {
    if (!this.closed) this.options.send(encodeBreakin());
  }

  /** Feeds raw bytes from the peer (any chunking). */
  feed(chunk: Uint8Array): void {
    if (this.closed) return;
    this.decoder.push(chunk, this.onEvent);
    // A break-in byte is reported when the run ends; live, nothing may follow it for a while.
    this.decoder.flush(this.onEvent);
  }

  /** Feeds one framing event from the peer's byte stream. */
  handle(event: KdEvent): void {
    if (this.closed) return;
    switch (event.kind) {
      case 'breakin':
        this.stats.breakins++;
        this.options.onBreakin?.();
        return;
      case 'garbage':
        this.stats.garbageBytes += event.length;
        // kdcom asks again for a packet it could not read whole; plain noise is skipped.
        if (event.reason === 'bad-length' || event.reason === 'bad-trailer') {
          this.stats.badPackets++;
          this.sendResend();
        }
        return;
      case 'packet':
        if (event.leader === 'control') this.handleControl(event);
        else this.handleData(event);
        return;
    }
  }

  /** Stops timers and rejects everything pending. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopAckTimer();
    const error = new LinkError('closed', 'link closed');
    this.dropOutgoing(error);
    for (const waiter of this.waiters.splice(0)) {
      waiter.cancelTimer?.();
      waiter.reject(error);
    }
    this.inbox.length = 0;
  }

  private handleControl(event: KdPacketEvent): void {
    switch (event.type) {
      case PacketType.ACKNOWLEDGE: {
        const expected = (this.sendId & ~SYNC_PACKET_ID) >>> 0;
        if (this.inFlight && (event.id === expected || event.id === this.sendId)) {
          this.stats.acksReceived++;
          this.delivered();
        } else {
          this.stats.strayAcks++;
        }
        return;
      }
      case PacketType.RESET:
        this.stats.resetsReceived++;
        if (this.options.role === 'target') {
          this.options.send(encodeReset());
          this.stats.resetsSent++;
        }
        // The target starts over, so whoever waits for its packets is told; the debugger
        // takes the RESET as the answer to its own and keeps waiting.
        this.restart(this.options.role === 'target');
        this.options.onReset?.();
        return;
      case PacketType.RESEND:
        this.stats.resendsReceived++;
        if (this.inFlight) this.transmit(true);
        return;
      default:
        // An unknown control type: kdcom treats it like RESEND.
        if (this.inFlight) this.transmit(true);
        return;
    }
  }

  private handleData(event: KdPacketEvent): void {
    if (!event.checksumOk || event.byteCount !== event.payload.length) {
      this.stats.badChecksums++;
      this.sendResend();
      return;
    }
    const bare = (event.id & ~SYNC_PACKET_ID) >>> 0;
    if (bare !== INITIAL_PACKET_ID && bare !== (INITIAL_PACKET_ID ^ 1) >>> 0) {
      this.stats.badPackets++;
      this.sendResend();
      return;
    }
    const sync = (event.id & SYNC_PACKET_ID) !== 0;
    const fresh = sync || bare === this.remoteId;
    if (this.inFlight && fresh) {
      // The peer has moved on, so it got our packet and its ACK was lost: count ours as
      // delivered and ask for this one again (kdcom answers RESEND here).
      this.stats.impliedAcks++;
      this.sendResend();
      this.delivered();
      return;
    }
    // ACK ids never carry SYNC (windbg64 packet.c), and kdcom compares without it.
    this.options.send(encodeAck(bare));
    this.stats.acksSent++;
    if (!fresh) {
      this.stats.duplicates++;
      return;
    }
    // A SYNC id means the target (re)started: the debugger follows its numbering and starts
    // its own over (windbg64 packet.c).
    if (sync && this.options.role === 'debugger') this.sendId = INITIAL_PACKET_ID;
    this.remoteId = (bare ^ 1) >>> 0;
    this.stats.accepted++;
    this.deliver({ type: event.type, id: event.id, payload: event.payload });
  }

  private deliver(packet: LinkPacket): void {
    const index = this.waiters.findIndex(
      (w) => w.types === undefined || w.types.includes(packet.type),
    );
    if (index >= 0) {
      const waiter = this.waiters.splice(index, 1)[0]!;
      waiter.cancelTimer?.();
      waiter.resolve(packet);
      return;
    }
    if (this.inbox.length >= this.queueLimit) {
      this.inbox.shift();
      this.stats.queueDropped++;
    }
    this.inbox.push(packet);
  }

  private sendResend(): void {
    this.options.send(encodeResend());
    this.stats.resendsSent++;
  }

  private restart(rejectWaiters: boolean): void {
    this.sendId = INITIAL_PACKET_ID;
    this.remoteId = INITIAL_PACKET_ID;
    this.stopAckTimer();
    const error = new LinkError('reset', 'the link was reset');
    this.dropOutgoing(error);
    this.inbox.length = 0;
    if (!rejectWaiters) return;
    for (const waiter of this.waiters.splice(0)) {
      waiter.cancelTimer?.();
      waiter.reject(error);
    }
  }

  private dropOutgoing(error: LinkError): void {
    const dropped = this.inFlight ? [this.inFlight, ...this.outgoing] : [...this.outgoing];
    this.inFlight = undefined;
    this.outgoing.length = 0;
    for (const entry of dropped) entry.reject(error);
  }

  private delivered(): void {
    const done = this.inFlight;
    this.stopAckTimer();
    this.inFlight = undefined;
    this.sendId = ((this.sendId ^ 1) & ~SYNC_PACKET_ID) >>> 0;
    done?.resolve();
    this.pump();
  }

  private pump(): void {
    if (this.inFlight || this.closed) return;
    const next = this.outgoing.shift();
    if (!next) return;
    this.inFlight = next;
    this.sends = 0;
    this.transmit(false);
  }

  private transmit(again: boolean): void {
    const packet = this.inFlight;
    if (!packet) return;
    this.stopAckTimer();
    if (again) this.stats.retransmits++;
    else this.stats.dataSent++;
    this.sends++;
    // Arm the timer first: send() may re-enter handle() (an in-process peer answering at once).
    this.cancelAckTimer = this.options.timers.set(this.ackTimeoutMs, () => this.onAckTimeout());
    this.options.send(encodeDataPacket(packet.type, this.sendId, packet.payload));
  }

  private onAckTimeout(): void {
    this.cancelAckTimer = undefined;
    const packet = this.inFlight;
    if (!packet) return;
    this.stats.timeouts++;
    if (this.sends < this.maxSends) {
      this.transmit(true);
      return;
    }
    this.inFlight = undefined;
    packet.reject(
      new LinkError(
        'timeout',
        `no ACK for ${packetTypeName(packet.type)} id ${hex(this.sendId)} after ${this.sends} sends`,
      ),
    );
    this.pump();
  }

  private stopAckTimer(): void {
    this.cancelAckTimer?.();
    this.cancelAckTimer = undefined;
  }
}
