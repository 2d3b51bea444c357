// Incremental KD serial framing decoder: one instance per direction turns a byte stream, cut
// anywhere, into KdEvents. The events depend only on the bytes, never on where the chunks were
// cut (flush() is the one, explicit, exception).
//
// Framing follows ReactOS kdcom (kddll.c KdReceivePacket / KdpReceivePacketLeader) with the
// differences PROTOCOL.md settles: the LAST four bytes of a longer leader run are the leader,
// a 0x62 run met while scanning is a break-in (in the debugger's stream only: the target never
// sends one), everything else not in a packet is counted noise.
//
// Two things end a packet or leader before its bytes do, as they make the receiver give up on
// it: a new connection of the sender (restart(), told by whoever sees the connection), and a
// pause longer than kdcom's receive timeout (arrive(), given the chunks' times).

import { byteSum } from './byte-sums';
import {
  BYTE_BREAKIN,
  BYTE_CONTROL_LEADER,
  BYTE_DATA_LEADER,
  HEADER_SIZE,
  KD_RECEIVE_TIMEOUT_MS,
  PACKET_MAX_SIZE,
  PACKET_TRAILER,
} from './constants';
import type {
  GarbageReason,
  KdBreakinEvent,
  KdEventSink,
  KdGarbageEvent,
  KdPacketEvent,
} from './events';

export interface KdDecoderOptions {
  /** Longest garbage event; a longer noise run is split every this many bytes. Default 65536. */
  maxGarbageRun?: number;
  /**
   * Stream offset of the first byte pushed (default 0): a decoder resumed at a point where an
   * earlier one was idle reports the same offsets as that one would have.
   */
  startOffset?: number;
  /**
   * Payloads are views of the pushed bytes (or of the decoder's carry buffer), valid only
   * while `emit` runs, instead of copies of their own: for consumers that read a payload there
   * and keep nothing of it (the session pipeline). Saves a copy of every payload byte.
   */
  borrowPayloads?: boolean;
  /**
   * Carry on from another decoder's snapshot() (overrides startOffset): fed the bytes that
   * followed it, this decoder emits exactly the events that one did. Options such as
   * maxGarbageRun must be the same as that decoder's.
   */
  resume?: KdDecoderSnapshot;
  /**
   * 0x62 bytes are break-in requests (default): the debugger's stream. False for the target's
   * stream, where kdcom never sends one and such bytes are noise.
   */
  breakins?: boolean;
  /**
   * A packet or leader whose next bytes arrive (arrive()) more than this many ms after the
   * previous ones is abandoned, as kdcom's receiver does (default KD_RECEIVE_TIMEOUT_MS;
   * Infinity never abandons).
   */
  receiveTimeoutMs?: number;
}

/**
 * Where a decoder stands between two pushes (see snapshot()): the pending noise, leader or
 * break-in run as numbers, and while a packet spans the cut, a copy of its bytes so far. Small
 * (a few numbers; a carried packet adds at most 16 + 4000 + 1 bytes) and never changed after it
 * is made: the same snapshot may be resumed any number of times.
 */
export interface KdDecoderSnapshot {
  /** Stream offset of the next byte. */
  readonly position: number;
  readonly garbageStart: number;
  readonly garbageLength: number;
  /** 0 = no run; else the run's byte (0x30, 0x69 leader candidates, 0x62 break-in). */
  readonly runByte: number;
  readonly runStart: number;
  readonly runCount: number;
  /** Stream offset of the carried packet's leader (when `carried`). */
  readonly carryOffset: number;
  /** The bytes of the packet being assembled, leader included; absent when there is none. */
  readonly carried: Uint8Array | undefined;
  /** Time given to the last arrive() (NaN when none was). */
  readonly lastTimeMs: number;
}

const DEFAULT_MAX_GARBAGE_RUN = 65536;
const LEADER_SIZE = 4;
/** Header bytes after the leader: type, ByteCount, id, checksum. */
const HEADER_REST = HEADER_SIZE - LEADER_SIZE;
const CARRY_SIZE = HEADER_SIZE + PACKET_MAX_SIZE + 1;
const SLAB_SIZE = 256 * 1024;
/** Below this, a byte loop beats creating a subarray view for TypedArray.set. */
const SMALL_COPY = 64;
/**
 * Control packets have no payload. Sharing one zero-length array saves an allocation per
 * ACK; there is nothing in it to mutate.
 */
const EMPTY_PAYLOAD = new Uint8Array(0);

// Event constructors: one object literal per kind, so every event of a kind has the same
// hidden class (consumers' property reads stay monomorphic).
function packetEvent(
  offset: number,
  leader: 'data' | 'control',
  type: number,
  byteCount: number,
  id: number,
  checksum: number,
  checksumOk: boolean,
  payload: Uint8Array,
  length: number,
): KdPacketEvent {
  return {
    kind: 'packet',
    offset,
    leader,
    type,
    byteCount,
    id,
    checksum,
    checksumOk,
    payload,
    length,
  };
}

function garbageEvent(offset: number, length: number, reason: GarbageReason): KdGarbageEvent {
  return { kind: 'garbage', offset, length, reason };
}

function breakinEvent(offset: number, length: number): KdBreakinEvent {
  return { kind: 'breakin', offset, length };
}

export class KdStreamDecoder {
  private readonly maxGarbageRun: number;
  /** BYTE_BREAKIN, or -1 (matches no byte) when 0x62 is noise in this stream. */
  private readonly breakinByte: number;
  private readonly receiveTimeoutMs: number;
  /** Time of the last arrive(): NaN compares false, so untimed bytes never time out. */
  private lastTimeMs = NaN;
  /** Stream offset of the next byte to be pushed. */
  private base = 0;
  /**
   * During push: the stream offset of index 0 of the pushed array (base - start), and the
   * end of the pushed range. Ranges let a caller push a frame out of its read buffer
   * without making a view of it.
   */
  private origin = 0;
  private limit = 0;

  // Scanning: a pending noise run, then possibly a pending run of one special byte
  // (0x30 / 0x69 leader candidates, 0x62 break-in). runByte 0 = no run.
  private garbageStart = 0;
  private garbageLength = 0;
  private runByte = 0;
  private runStart = 0;
  private runCount = 0;

  // A packet that spans chunks is assembled (leader bytes included) in carryBuf from
  // carryBase: in `carry` until its header is known, then, for a data packet with a body, in
  // its own place in the slab, so its payload is not copied a second time when it completes
  // (a kdcom sender writes header, body and trailer separately: most packets span chunks).
  private readonly carry = new Uint8Array(CARRY_SIZE);
  private carryBuf = this.carry;
  private carryBase = 0;
  private carrying = false;
  private carried = 0;
  private carryIsData = false;
  private carryOffset = 0;

  // Allocated on first use: a borrowing decoder never needs one.
  private slab = EMPTY_PAYLOAD;
  private slabUsed = SLAB_SIZE;
  private readonly borrow: boolean;

  constructor(options: KdDecoderOptions = {}) {
    const max = options.maxGarbageRun ?? DEFAULT_MAX_GARBAGE_RUN;
    // A nonsense limit must not make the decoder loop forever or throw: clamp it.
    this.maxGarbageRun = Number.isFinite(max) && max >= 1 ? Math.floor(max) : 1;
    const start = options.startOffset ?? 0;
    this.base = Number.isSafeInteger(start) && start > 0 ? start : 0;
    this.borrow = options.borrowPayloads === true;
    this.breakinByte = options.breakins === false ? -1 : BYTE_BREAKIN;
    const timeout = options.receiveTimeoutMs ?? KD_RECEIVE_TIMEOUT_MS;
    this.receiveTimeoutMs = timeout >= 0 ? timeout : KD_RECEIVE_TIMEOUT_MS;
    if (options.resume) this.restore(options.resume);
  }

  /**
   * The state to resume from (options.resume) after what was pushed so far; taken between
   * pushes, at any cut of the stream. Copies the carried bytes: later pushes do not change it.
   */
  snapshot(): KdDecoderSnapshot {
    return Object.freeze({
      position: this.base,
      garbageStart: this.garbageStart,
      garbageLength: this.garbageLength,
      runByte: this.runByte,
      runStart: this.runStart,
      runCount: this.runCount,
      carryOffset: this.carryOffset,
      carried: this.carrying
        ? this.carryBuf.slice(this.carryBase, this.carryBase + this.carried)
        : undefined,
      lastTimeMs: this.lastTimeMs,
    });
  }

  private restore(from: KdDecoderSnapshot): void {
    const carried = from.carried;
    if (carried !== undefined && (carried.length < LEADER_SIZE || carried.length >= CARRY_SIZE)) {
      throw new RangeError(`not a decoder snapshot: ${carried.length} carried bytes`);
    }
    this.base = from.position;
    this.garbageStart = from.garbageStart;
    this.garbageLength = from.garbageLength;
    this.runByte = from.runByte;
    this.runStart = from.runStart;
    this.runCount = from.runCount;
    this.carryOffset = from.carryOffset;
    this.lastTimeMs = from.lastTimeMs;
    if (carried === undefined) return;
    this.carry.set(carried);
    this.carried = carried.length;
    this.carryIsData = carried[0] === BYTE_DATA_LEADER;
    this.carrying = true;
    this.toSlab();
  }

  /** Bytes consumed so far (= the next byte's stream offset). */
  get position(): number {
    return this.base;
  }

  /**
   * Nothing pending: no partial packet, no noise, leader or break-in run. What follows is
   * decoded the same by this decoder and by a fresh one started at `position`.
   */
  get idle(): boolean {
    return !this.carrying && this.runByte === 0 && this.garbageLength === 0;
  }

  /**
   * Stream offset of the first byte pushed and not yet reported in an event (= position when
   * idle): every event still to come starts at or after it.
   */
  get unreported(): number {
    let at = this.base;
    if (this.carrying) at = Math.min(at, this.carryOffset);
    if (this.runByte !== 0) at = Math.min(at, this.runStart);
    if (this.garbageLength > 0) at = Math.min(at, this.garbageStart);
    return at;
  }

  /** Bytes currently held for an unfinished packet (bounded by 16 + 4000 + 1). */
  get pending(): number {
    return this.carrying ? this.carried : 0;
  }

  /**
   * Feed the next chunk (any size, including 0). Events are passed to `emit` in stream order.
   * `position` and `pending` are meant to be read between calls, not from inside `emit`. An
   * exception thrown by `emit` propagates and leaves this decoder unusable.
   */
  push(chunk: Uint8Array, emit: KdEventSink): void {
    this.pushRange(chunk, 0, chunk.length, emit);
  }

  /** push(bytes.subarray(start, end), emit) without the view; bytes are read during the call only. */
  pushRange(bytes: Uint8Array, start: number, end: number, emit: KdEventSink): void {
    this.origin = this.base - start;
    this.limit = end;
    let i = start;
    while (i < end) {
      i = this.carrying ? this.fill(bytes, i, emit) : this.scan(bytes, i, emit);
    }
    this.base += end - start;
  }

  /**
   * The next bytes arrive at `timeMs` (any clock, per stream non-decreasing). When a packet or
   * leader is being assembled and its bytes stopped for longer than receiveTimeoutMs, it is
   * ended as 'truncated' garbage (a short leader run as noise), as kdcom's KdReceivePacket
   * abandons it (KdPacketTimedOut), and the next bytes are scanned afresh. A pause in noise
   * changes nothing. Call it before pushing each timed chunk; a few operations per chunk.
   */
  arrive(timeMs: number, emit: KdEventSink): void {
    if (
      timeMs - this.lastTimeMs > this.receiveTimeoutMs &&
      (this.carrying || (this.runByte !== 0 && this.runByte !== BYTE_BREAKIN))
    ) {
      this.end(emit);
    }
    this.lastTimeMs = timeMs;
  }

  /**
   * The sender reconnected: what it was sending when it vanished is over. Ends the pending
   * state as at end of stream (end()), and decodes the bytes pushed next from scratch, at
   * offsets that go on from `position`.
   */
  restart(emit: KdEventSink): void {
    this.end(emit);
  }

  /**
   * Live use after an idle period: emit a pending garbage or break-in run now instead of
   * waiting for the byte that ends it. Never emits a partial packet.
   */
  flush(emit: KdEventSink): void {
    if (this.runByte === BYTE_BREAKIN) {
      this.emitBreakin(emit);
      return; // a break-in run starts only after the garbage before it was emitted
    }
    if (this.runByte !== 0 && this.runCount > LEADER_SIZE) {
      // Whatever follows, all but the last four bytes of a leader run are noise.
      const extra = this.runCount - LEADER_SIZE;
      this.noise(this.runStart, extra, emit);
      this.runStart += extra;
      this.runCount = LEADER_SIZE;
    }
    this.emitGarbage(emit);
  }

  /**
   * End of stream: flush, then report an unfinished packet as garbage reason 'truncated'. The
   * decoder is then idle; bytes pushed after it start a new stream (see restart()).
   */
  end(emit: KdEventSink): void {
    const run = this.runByte;
    if (run === BYTE_BREAKIN) {
      this.emitBreakin(emit);
    } else if (run !== 0) {
      // Settle the leader run before emitting the noise before it, so a short run joins it.
      this.runByte = 0;
      if (this.runCount >= LEADER_SIZE) {
        const extra = this.runCount - LEADER_SIZE;
        if (extra > 0) this.noise(this.runStart, extra, emit);
        this.emitGarbage(emit);
        emit(garbageEvent(this.runStart + extra, LEADER_SIZE, 'truncated'));
      } else {
        this.noise(this.runStart, this.runCount, emit);
        this.emitGarbage(emit);
      }
    } else {
      this.emitGarbage(emit);
    }
    if (this.carrying) {
      emit(garbageEvent(this.carryOffset, this.carried, 'truncated'));
      this.carrying = false;
      this.carried = 0;
      this.carryBuf = this.carry;
      this.carryBase = 0;
    }
  }

  /** Scans chunk from `start` for leaders; decodes whole packets in place. Returns the next index. */
  private scan(chunk: Uint8Array, start: number, emit: KdEventSink): number {
    const len = this.limit;
    const base = this.origin;
    const breakin = this.breakinByte;
    let i = start;
    while (i < len) {
      const c = chunk[i]!;
      const run = this.runByte;
      if (run !== 0) {
        if (c === run) {
          this.runCount++;
          i++;
          continue;
        }
        this.runByte = 0;
        if (run === BYTE_BREAKIN) {
          emit(breakinEvent(this.runStart, this.runCount));
        } else if (this.runCount >= LEADER_SIZE) {
          // The run ended at a different byte: its last four bytes are a leader and `c` is
          // header byte 4 (no packet type has a leader byte as its low byte).
          const extra = this.runCount - LEADER_SIZE;
          if (extra > 0) this.noise(this.runStart, extra, emit);
          this.emitGarbage(emit);
          i = this.packet(chunk, i, len, run === BYTE_DATA_LEADER, this.runStart + extra, emit);
          if (this.carrying) return i;
          continue;
        } else {
          this.noise(this.runStart, this.runCount, emit);
        }
      }
      if (c === BYTE_DATA_LEADER || c === BYTE_CONTROL_LEADER) {
        // Fast path: a clean four-byte leader and the byte after it are in this chunk.
        if (
          i + LEADER_SIZE < len &&
          chunk[i + 1] === c &&
          chunk[i + 2] === c &&
          chunk[i + 3] === c &&
          chunk[i + 4] !== c
        ) {
          this.emitGarbage(emit);
          i = this.packet(chunk, i + LEADER_SIZE, len, c === BYTE_DATA_LEADER, base + i, emit);
          if (this.carrying) return i;
          continue;
        }
        this.runByte = c;
        this.runStart = base + i;
        this.runCount = 1;
      } else if (c === breakin) {
        this.emitGarbage(emit);
        this.runByte = c;
        this.runStart = base + i;
        this.runCount = 1;
      } else {
        // A stretch of plain noise: count it in one go.
        let j = i + 1;
        while (j < len) {
          const d = chunk[j]!;
          if (d === BYTE_DATA_LEADER || d === BYTE_CONTROL_LEADER || d === breakin) break;
          j++;
        }
        this.noise(base + i, j - i, emit);
        i = j;
        continue;
      }
      i++;
    }
    return i;
  }

  /**
   * A leader was found; `p` indexes header byte 4 (the PacketType) in `buf`, whose bytes end
   * at `len`; `offset` is the stream offset of the leader. Decodes the packet if all of it is
   * there, else starts carrying it. Returns the index after what was consumed.
   */
  private packet(
    buf: Uint8Array,
    p: number,
    len: number,
    isData: boolean,
    offset: number,
    emit: KdEventSink,
    inSlab = false,
  ): number {
    if (p + HEADER_REST > len) return this.startCarry(buf, p, len, isData, offset);
    const type = buf[p]! | (buf[p + 1]! << 8);
    const byteCount = buf[p + 2]! | (buf[p + 3]! << 8);
    const id = (buf[p + 4]! | (buf[p + 5]! << 8) | (buf[p + 6]! << 16) | (buf[p + 7]! << 24)) >>> 0;
    const checksum =
      (buf[p + 8]! | (buf[p + 9]! << 8) | (buf[p + 10]! << 16) | (buf[p + 11]! << 24)) >>> 0;
    const body = p + HEADER_REST;
    if (!isData) {
      emit(
        packetEvent(
          offset,
          'control',
          type,
          byteCount,
          id,
          checksum,
          true,
          EMPTY_PAYLOAD,
          HEADER_SIZE,
        ),
      );
      return body;
    }
    if (byteCount > PACKET_MAX_SIZE) {
      // kdcom answers RESEND and reads on after the header.
      emit(garbageEvent(offset, HEADER_SIZE, 'bad-length'));
      return body;
    }
    const trailer = body + byteCount;
    if (trailer >= len) return this.startCarry(buf, p, len, isData, offset);
    const length = HEADER_SIZE + byteCount + 1;
    if (buf[trailer] !== PACKET_TRAILER) {
      emit(garbageEvent(offset, length, 'bad-trailer'));
      return trailer + 1;
    }
    // Own copy (unless borrowing): the chunk may be a Node Buffer, whose slice() is a view. A
    // copy plus a separate sum measured faster than one loop that copies and sums. A packet
    // assembled in the slab is its own copy already.
    const payload =
      (inSlab || this.borrow) && byteCount > 0
        ? new Uint8Array(buf.buffer, buf.byteOffset + body, byteCount)
        : this.copyOut(buf, body, byteCount);
    // Summing a Uint8Array of our making reads one array type always (buf may be a Node Buffer).
    const ok = byteSum(payload) === checksum;
    emit(packetEvent(offset, 'data', type, byteCount, id, checksum, ok, payload, length));
    return trailer + 1;
  }

  /**
   * An own copy of buf[from, from + n) carved from a slab: one backing store per 256 KiB
   * instead of one per payload (a typed array of more than 64 bytes gets a backing store of
   * its own, and those cost more than the decoding). A kept payload keeps its slab alive.
   */
  private copyOut(buf: Uint8Array, from: number, n: number): Uint8Array {
    if (n === 0) return EMPTY_PAYLOAD;
    const at = this.reserve(n);
    const slab = this.slab;
    if (n <= SMALL_COPY) {
      for (let k = 0; k < n; k++) slab[at + k] = buf[from + k]!;
    } else {
      slab.set(new Uint8Array(buf.buffer, buf.byteOffset + from, n), at);
    }
    return new Uint8Array(slab.buffer, at, n);
  }

  /** n bytes of the slab (a new slab when they do not fit); returns their index. */
  private reserve(n: number): number {
    if (this.slabUsed + n > SLAB_SIZE) {
      this.slab = new Uint8Array(SLAB_SIZE);
      this.slabUsed = 0;
    }
    const at = this.slabUsed;
    // 8-byte aligned starts keep the word-wise checksum on its fast path (a packet assembled
    // in the slab has its payload 16 bytes in: aligned too).
    this.slabUsed = (at + n + 7) & ~7;
    return at;
  }

  /** Copies an incomplete packet's bytes from buf[p..len) (header byte 4 on) into the carry. */
  private startCarry(
    buf: Uint8Array,
    p: number,
    len: number,
    isData: boolean,
    offset: number,
  ): number {
    const carry = this.carry;
    const leaderByte = isData ? BYTE_DATA_LEADER : BYTE_CONTROL_LEADER;
    carry[0] = leaderByte;
    carry[1] = leaderByte;
    carry[2] = leaderByte;
    carry[3] = leaderByte;
    // Callers come here only when the packet does not fit, so the rest of buf is all its own.
    this.copyIn(buf, p, len - p, LEADER_SIZE);
    this.carried = LEADER_SIZE + len - p;
    this.carryIsData = isData;
    this.carryOffset = offset;
    this.carrying = true;
    this.toSlab();
    return len;
  }

  /** Bytes the carried packet has on the wire, as far as the carried bytes tell. */
  private carryNeed(): number {
    if (this.carried < HEADER_SIZE || !this.carryIsData) return HEADER_SIZE;
    const at = this.carryBase + 6;
    const byteCount = this.carryBuf[at]! | (this.carryBuf[at + 1]! << 8);
    return byteCount > PACKET_MAX_SIZE ? HEADER_SIZE : HEADER_SIZE + byteCount + 1;
  }

  /** Once a carried data packet's header announces a body, moves the packet to the slab. */
  private toSlab(): void {
    // A borrowed payload may be a view of the carry: it is read before the carry is reused.
    if (this.borrow || this.carryBuf !== this.carry) return;
    const need = this.carryNeed();
    if (need <= HEADER_SIZE + 1) return;
    const at = this.reserve(need);
    const slab = this.slab;
    const carry = this.carry;
    for (let k = 0; k < this.carried; k++) slab[at + k] = carry[k]!;
    this.carryBuf = slab;
    this.carryBase = at;
  }

  /** Continues a carried packet with chunk[i..]; decodes it once complete. Returns the next index. */
  private fill(chunk: Uint8Array, start: number, emit: KdEventSink): number {
    const len = this.limit;
    let i = start;
    for (;;) {
      const need = this.carryNeed();
      const take = Math.min(need - this.carried, len - i);
      this.copyIn(chunk, i, take, this.carried);
      this.carried += take;
      i += take;
      if (this.carried < need) return i;
      // The header just completed and announces a body: carry on.
      if (this.carryNeed() === need) break;
      this.toSlab();
    }
    const buf = this.carryBuf;
    const base = this.carryBase;
    this.carrying = false;
    this.carried = 0;
    this.carryBuf = this.carry;
    this.carryBase = 0;
    this.packet(
      buf,
      base + LEADER_SIZE,
      base + CARRY_SIZE,
      this.carryIsData,
      this.carryOffset,
      emit,
      buf !== this.carry,
    );
    return i;
  }

  private copyIn(src: Uint8Array, from: number, count: number, to: number): void {
    const carry = this.carryBuf;
    const at = this.carryBase + to;
    if (count < SMALL_COPY) {
      for (let k = 0; k < count; k++) carry[at + k] = src[from + k]!;
    } else {
      carry.set(src.subarray(from, from + count), at);
    }
  }

  /** Adds `count` noise bytes starting at stream offset `start` to the pending noise run. */
  private noise(start: number, count: number, emit: KdEventSink): void {
    if (this.garbageLength === 0) this.garbageStart = start;
    let length = this.garbageLength + count;
    const max = this.maxGarbageRun;
    // Split points count from the run's start, so they do not depend on the chunking.
    while (length >= max) {
      emit(garbageEvent(this.garbageStart, max, 'noise'));
      this.garbageStart += max;
      length -= max;
    }
    this.garbageLength = length;
  }

  private emitGarbage(emit: KdEventSink): void {
    const length = this.garbageLength;
    if (length === 0) return;
    this.garbageLength = 0;
    const start = this.garbageStart;
    this.garbageStart = start + length;
    emit(garbageEvent(start, length, 'noise'));
  }

  private emitBreakin(emit: KdEventSink): void {
    this.runByte = 0;
    emit(breakinEvent(this.runStart, this.runCount));
  }
}
