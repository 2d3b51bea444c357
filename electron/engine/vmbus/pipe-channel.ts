// The host side of windbg-uefi's VMBus pipe as a KD byte stream: what the bridge writes goes
// out as data messages, the payloads of the VM's data messages come back as bytes. Bad
// messages are counted and reported in one line, never thrown. With feedback on (windbg-uefi's
// "SyncFeedBack"), every data message of the VM gets a feedback reply carrying its seqnum, and
// our own messages go one at a time, each resent until the VM's reply for it arrives.
//
// The seed's host relay had two quirks we do not copy:
// - It dropped zero-length RESETs from WinDbg until it had seen another control packet. It
//   read WinDbg before the VMBus channel was open, so WinDbg's early RESETs piled up and
//   reached the guest in a burst. Here the bridge attaches the target only once the channel
//   is open, and drops (and counts) what WinDbg sent before, which covers that case; later
//   RESETs are KD packets the guest's kddll handles, and WinDbg needs them answered.
// - It cut WinDbg's bytes at KD packet boundaries and sent a buffer starting with the
//   break-in byte 0x62 as one message as it was. windbg-uefi's guest reads the pipe as a byte
//   stream (its input ring feeds KdpReceiveBuffer any number of bytes), so packet boundaries
//   do not matter to it; we send each write at once (a break-in byte as soon as it comes) and
//   coalesce only what waits behind an unacknowledged message in feedback mode.

import { Duplex } from 'node:stream';
import {
  HOST_FIRST_SEQ,
  PipeFlag,
  VM_FIRST_SEQ,
  decodePipeMessage,
  encodePipeData,
  encodePipeFeedback,
} from '../../../protocol/vmbus/pipe-message';
import { MessageReader, type ReaderItem } from './message-reader';
import type { PipeTransport } from './pipe-transport';

/** Timers, injectable so tests drive resends without waiting. */
export interface PipeClock {
  setTimeout(fn: () => void, ms: number): () => void;
  now(): number;
}

export const systemClock: PipeClock = {
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref?.();
    return () => clearTimeout(timer);
  },
  now: () => Date.now(),
};

export interface PipeChannelOptions {
  /** Which end we are: the host (bridge) or the VM (the simulated guest). */
  readonly role?: 'host' | 'vm';
  /** windbg-uefi's feedback/resend mode (`--feedback`); off by default, as in windbg-uefi. */
  readonly feedback?: boolean;
  /** How long to wait for the peer's feedback before resending (windbg-uefi: 30 s). */
  readonly resendMs?: number;
  /** Largest payload per data message; longer writes are split (default 4096). */
  readonly maxPayload?: number;
  /** KD bytes waiting to be sent before write() asks the writer to wait (default 64 KiB). */
  readonly maxQueuedBytes?: number;
  readonly clock?: PipeClock;
  /** One line per kind of trouble, at most once per `reportEveryMs` (default 1000) each. */
  readonly report?: (line: string) => void;
  readonly reportEveryMs?: number;
}

/** How the bridge's target speaks windbg-uefi's pipe messages (`--mode vmbus`, `--feedback`). */
export type VmbusDialOptions = Omit<PipeChannelOptions, 'role'> & {
  /** Sees each connected channel (its stats, for status lines). */
  readonly onChannel?: (channel: PipeChannel) => void;
};

export interface PipeChannelStats {
  messagesOut: number;
  messagesIn: number;
  payloadBytesOut: number;
  payloadBytesIn: number;
  /** Reads that were not a message (bad magic, msgsize, short). */
  badMessages: number;
  badChecksums: number;
  feedbackSent: number;
  feedbackReceived: number;
  /** Feedback for a seqnum we were not waiting for. */
  strayFeedback: number;
  /** Data messages the peer sent again (feedback mode): answered, not delivered twice. */
  duplicates: number;
  resends: number;
  /** KD bytes accepted and not yet sent (feedback mode waits for the peer). */
  queuedBytes: number;
  awaitingFeedback: boolean;
}

const DEFAULTS = {
  resendMs: 30_000,
  maxPayload: 4096,
  maxQueuedBytes: 64 * 1024,
  reportEveryMs: 1000,
};

interface Outstanding {
  readonly seq: number;
  readonly message: Uint8Array;
  cancelTimer: () => void;
}

/** Sequence numbers: a counter incremented before use, never 0 (0 means "none" to the seed). */
function nextSeq(seq: number): number {
  const next = (seq + 1) >>> 0;
  return next === 0 ? 1 : next;
}

export class PipeChannel extends Duplex {
  readonly stats: PipeChannelStats = {
    messagesOut: 0,
    messagesIn: 0,
    payloadBytesOut: 0,
    payloadBytesIn: 0,
    badMessages: 0,
    badChecksums: 0,
    feedbackSent: 0,
    feedbackReceived: 0,
    strayFeedback: 0,
    duplicates: 0,
    resends: 0,
    queuedBytes: 0,
    awaitingFeedback: false,
  };
  private readonly role: 'host' | 'vm';
  private readonly feedback: boolean;
  private readonly resendMs: number;
  private readonly maxPayload: number;
  private readonly maxQueuedBytes: number;
  private readonly clock: PipeClock;
  private readonly reader: MessageReader;
  private seq: number;
  private lastPeerSeq: number | undefined;
  /** Feedback mode: bytes waiting behind the outstanding message. */
  private queue: Uint8Array[] = [];
  private outstanding: Outstanding | undefined;
  /** A write whose callback waits for room (transport drain or queue below the bound). */
  private heldCallback: (() => void) | undefined;
  private transportBlocked = false;
  private readonly lastReport = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();
  private ended = false;

  constructor(
    private readonly transport: PipeTransport,
    private readonly options: PipeChannelOptions = {},
  ) {
    super({ allowHalfOpen: false });
    this.role = options.role ?? 'host';
    this.feedback = options.feedback ?? false;
    this.resendMs = options.resendMs ?? DEFAULTS.resendMs;
    this.maxPayload = Math.max(1, options.maxPayload ?? DEFAULTS.maxPayload);
    this.maxQueuedBytes = options.maxQueuedBytes ?? DEFAULTS.maxQueuedBytes;
    this.clock = options.clock ?? systemClock;
    this.reader = new MessageReader(transport.boundaries);
    // The host's counter sits at 0x5686 and is incremented before use; the VM's first is 2.
    this.seq = (this.role === 'host' ? HOST_FIRST_SEQ : VM_FIRST_SEQ) - 1;
    transport.start({
      data: (bytes) => this.onRead(bytes),
      drain: () => this.onTransportDrain(),
      close: (error) => this.onTransportClose(error),
    });
  }

  get description(): string {
    return this.transport.description;
  }

  // --- Outgoing KD bytes ---------------------------------------------------------------

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.feedback) {
      this.queue.push(bytes);
      this.stats.queuedBytes += bytes.length;
      this.pump();
      if (this.stats.queuedBytes > this.maxQueuedBytes) this.holdCallback(callback);
      else callback();
      return;
    }
    let ok = true;
    for (let at = 0; at < bytes.length; at += this.maxPayload) {
      ok = this.sendData(bytes.subarray(at, Math.min(bytes.length, at + this.maxPayload))) && ok;
    }
    if (ok) callback();
    else {
      this.transportBlocked = true;
      this.holdCallback(callback);
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.transport.close();
    callback();
  }

  override _read(): void {
    this.transport.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.outstanding?.cancelTimer();
    this.outstanding = undefined;
    this.queue = [];
    this.stats.queuedBytes = 0;
    this.transport.close();
    callback(error);
  }

  private holdCallback(callback: () => void): void {
    this.heldCallback = callback;
  }

  private releaseCallback(): void {
    const callback = this.heldCallback;
    if (!callback) return;
    if (this.transportBlocked || this.stats.queuedBytes > this.maxQueuedBytes) return;
    this.heldCallback = undefined;
    callback();
  }

  private sendData(payload: Uint8Array): boolean {
    this.seq = nextSeq(this.seq);
    const message = encodePipeData(this.seq, payload);
    this.stats.messagesOut++;
    this.stats.payloadBytesOut += payload.length;
    return this.transport.write(message);
  }

  /** Feedback mode: sends the next message when none waits for the peer's reply. */
  private pump(): void {
    if (this.outstanding || this.queue.length === 0 || this.destroyed) return;
    const payload = this.takeQueued(this.maxPayload);
    this.seq = nextSeq(this.seq);
    const message = encodePipeData(this.seq, payload);
    this.stats.messagesOut++;
    this.stats.payloadBytesOut += payload.length;
    const outstanding: Outstanding = { seq: this.seq, message, cancelTimer: () => undefined };
    this.outstanding = outstanding;
    this.stats.awaitingFeedback = true;
    this.armResend(outstanding);
    if (!this.transport.write(message)) this.transportBlocked = true;
    this.releaseCallback();
  }

  private takeQueued(max: number): Uint8Array {
    let size = 0;
    for (const piece of this.queue) {
      size += piece.length;
      if (size >= max) break;
    }
    const payload = new Uint8Array(Math.min(size, max));
    let at = 0;
    while (at < payload.length) {
      const piece = this.queue[0]!;
      const take = Math.min(piece.length, payload.length - at);
      payload.set(piece.subarray(0, take), at);
      at += take;
      if (take === piece.length) this.queue.shift();
      else this.queue[0] = piece.subarray(take);
    }
    this.stats.queuedBytes -= payload.length;
    return payload;
  }

  private armResend(outstanding: Outstanding): void {
    outstanding.cancelTimer = this.clock.setTimeout(() => {
      if (this.outstanding !== outstanding || this.destroyed) return;
      this.stats.resends++;
      this.say(
        'resend',
        `no feedback for message ${hex(outstanding.seq)} within ${this.resendMs} ms: sent it again (${this.stats.resends} resends so far)`,
      );
      this.transport.write(outstanding.message);
      this.armResend(outstanding);
    }, this.resendMs);
  }

  private onTransportDrain(): void {
    this.transportBlocked = false;
    this.releaseCallback();
  }

  // --- Incoming messages -----------------------------------------------------------------

  private onRead(bytes: Uint8Array): void {
    this.reader.push(bytes, (item) => this.onItem(item));
  }

  private onItem(item: ReaderItem): void {
    if (item.kind === 'damage') {
      this.stats.badMessages++;
      this.say(
        'bad',
        `skipped ${item.length} bytes: ${item.why} (${this.stats.badMessages} bad so far)`,
      );
      return;
    }
    const decoded = decodePipeMessage(item.bytes);
    if (!decoded.ok) {
      this.stats.badMessages++;
      this.say('bad', `bad message: ${decoded.error} (${this.stats.badMessages} bad so far)`);
      return;
    }
    const message = decoded.message;
    if (!message.checksumOk) {
      // No feedback for it: in feedback mode the peer sends it again.
      this.stats.badChecksums++;
      this.say(
        'checksum',
        `message ${hex(message.seq)} has a bad checksum ${hex(message.checksum)}; dropped (${this.stats.badChecksums} so far)`,
      );
      return;
    }
    if (message.kind === 'feedback') {
      this.onFeedback(message.seq, message.flag);
      return;
    }
    if (message.flag !== PipeFlag.DATA) {
      this.stats.badMessages++;
      this.say('bad', `data message ${hex(message.seq)} with flag ${message.flag}; dropped`);
      return;
    }
    this.stats.messagesIn++;
    if (this.feedback) {
      this.sendFeedback(message.seq);
      if (message.seq === this.lastPeerSeq) {
        // Our reply was late or lost and the peer resent: deliver its bytes once.
        this.stats.duplicates++;
        return;
      }
    }
    this.lastPeerSeq = message.seq;
    if (message.payload.length === 0) return;
    this.stats.payloadBytesIn += message.payload.length;
    if (
      !this.ended &&
      !this.push(
        Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.length),
      )
    ) {
      this.transport.pause();
    }
  }

  private sendFeedback(seq: number): void {
    this.stats.feedbackSent++;
    this.transport.write(encodePipeFeedback(seq, this.role === 'host'));
  }

  private onFeedback(seq: number, flag: number): void {
    const expected = this.role === 'host' ? PipeFlag.FEEDBACK_FROM_VM : PipeFlag.FEEDBACK_FROM_HOST;
    if (!this.feedback) {
      this.stats.strayFeedback++;
      this.say(
        'mode',
        `the ${this.role === 'host' ? 'VM' : 'host'} sends feedback replies: it runs in feedback mode; use --feedback`,
      );
      return;
    }
    const outstanding = this.outstanding;
    if (flag !== expected || outstanding === undefined || outstanding.seq !== seq) {
      this.stats.strayFeedback++;
      this.say(
        'stray',
        `feedback for message ${hex(seq)} (flag ${flag}) we were not waiting for; ignored (${this.stats.strayFeedback} so far)`,
      );
      return;
    }
    this.stats.feedbackReceived++;
    outstanding.cancelTimer();
    this.outstanding = undefined;
    this.stats.awaitingFeedback = false;
    this.pump();
  }

  private onTransportClose(error?: Error): void {
    if (this.ended || this.destroyed) return;
    this.ended = true;
    this.outstanding?.cancelTimer();
    if (error) {
      this.destroy(error);
      return;
    }
    this.push(null);
    // The relay waits for 'close': a vanished peer ends both directions.
    this.destroy();
  }

  private say(kind: string, line: string): void {
    const report = this.options.report;
    if (!report) return;
    const now = this.clock.now();
    const last = this.lastReport.get(kind);
    const every = this.options.reportEveryMs ?? DEFAULTS.reportEveryMs;
    if (last !== undefined && now - last < every) {
      this.suppressed.set(kind, (this.suppressed.get(kind) ?? 0) + 1);
      return;
    }
    this.lastReport.set(kind, now);
    const skipped = this.suppressed.get(kind) ?? 0;
    this.suppressed.delete(kind);
    report(
      `${this.transport.description}: ${line}${skipped > 0 ? ` (+${skipped} like it not shown)` : ''}`,
    );
  }
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
