// The session tracker: turns both directions' framing events into PacketRecords annotated with
// what the two KD state machines make of them (PROTOCOL.md "Ids"; ReactOS kddll.c).
//
// Each side of a KD link keeps CurrentPacketId (what it sends) and RemotePacketId (what it
// expects). We watch from the middle, so we keep, per direction, the receiver's view: the
// last id it accepted and the id it expects next. Two id schemes exist:
//   serial (kdcom): ids alternate INITIAL_PACKET_ID and INITIAL_PACKET_ID ^ 1, with the SYNC
//     bit set on a side's first packet after a reset; RESET returns both sides to INITIAL.
//   KDNET: ids count up by 2 (target 0, 2, 4, ...; debugger 0x80000000, 0x80000002, ...) and
//     RESET leaves them alone.
// The scheme is read off each accepted id, so a capture that starts mid-session or mixes in a
// reconnect is judged by what it shows, and nothing is flagged until a baseline exists.
//
// Links that point forward in time (a data packet's `ack`, a request's `pair`) are only known
// later: the tracker writes them into the record it emitted earlier (it owns it) and reports
// that record again through `onUpdate`, so a consumer holding a copy can patch it.
// Memory is bounded: per direction a few references, plus at most `maxPendingRequests`
// unanswered manipulate requests.

import {
  INITIAL_PACKET_ID,
  ManipulateApi,
  PacketType,
  SYNC_PACKET_ID,
  packetTypeName,
} from '../kd/constants';
import type {
  Direction,
  KdBreakinEvent,
  KdEvent,
  KdGarbageEvent,
  KdPacketEvent,
} from '../kd/events';
import type { PacketSummary } from '../kd/summary';
import { PacketFlag, type PacketRecord } from './record';
import type { SessionSummary } from './summary';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type MutableRecord = Mutable<PacketRecord>;

export interface SessionTrackerOptions {
  /** Every record, in the order the bytes were seen. */
  readonly onRecord: (record: PacketRecord) => void;
  /** A record emitted earlier got a forward link (`ack`, `pair`) or lost NO_RESPONSE. */
  readonly onUpdate?: (record: PacketRecord) => void;
  /** Unanswered manipulate requests remembered for pairing (oldest forgotten first). */
  readonly maxPendingRequests?: number;
  /** Distinct API names counted in the summary; later ones are counted under "other". */
  readonly maxApiNames?: number;
  /**
   * Carry on from a checkpoint() of another tracker: records are numbered from its `no` on and
   * annotated exactly as that tracker would have (the summary counts only what follows).
   */
  readonly resume?: TrackerCheckpoint;
}

/**
 * What an earlier record the tracker still refers to must say about itself: enough to link,
 * flag and pair later records to it (a RESEND's resendOf, an ACK's ack, a reply's pair/RTT).
 */
export interface RecordStub {
  readonly no: number;
  readonly time: number;
  readonly dir: Direction;
  readonly kind: PacketRecord['kind'];
  readonly id: number | undefined;
  readonly api: number | undefined;
  readonly flags: number;
}

export interface DirectionCheckpoint {
  readonly lastAccepted: number;
  readonly lastAcceptedChecksum: number;
  readonly lastAcceptedByteCount: number;
  readonly lastAcceptedAcked: boolean;
  readonly expected: number;
  readonly lastDataId: number;
  readonly lastData: RecordStub | undefined;
  readonly awaitingAck: RecordStub | undefined;
  readonly resendRequested: boolean;
}

/** The tracker's state between two records, small (a few stubs): see SessionTrackerOptions.resume. */
export interface TrackerCheckpoint {
  /** Records numbered so far: the next one gets no + 1. */
  readonly no: number;
  readonly sides: readonly [DirectionCheckpoint, DirectionCheckpoint];
  /** Unanswered manipulate requests, oldest first. */
  readonly pending: readonly RecordStub[];
}

function stubOf(record: PacketRecord): RecordStub {
  return {
    no: record.no,
    time: record.time,
    dir: record.dir,
    kind: record.kind,
    id: record.id,
    api: record.api,
    flags: record.flags,
  };
}

/** Requests the target does not answer with a manipulate reply (it runs, reboots or crashes). */
const NO_REPLY_APIS = new Set<number>([
  ManipulateApi.Continue,
  ManipulateApi.Continue2,
  ManipulateApi.Reboot,
  ManipulateApi.CauseBugCheck,
]);

const NONE = -1;
const NOT_SYNC = ~SYNC_PACKET_ID;

/** The id without the SYNC bit: the one ACKs are compared on (kddll.c). */
function normalId(id: number): number {
  return (id & NOT_SYNC) >>> 0;
}

function isSerialId(normal: number): boolean {
  return (normal & ~1) >>> 0 === INITIAL_PACKET_ID;
}

function nextId(normal: number): number {
  return isSerialId(normal) ? (normal ^ 1) >>> 0 : (normal + 2) >>> 0;
}

/** What the receiving side of one direction knows about the packets sent in it. */
class DirectionState {
  /** Normalised id of the last data packet accepted as new. */
  lastAccepted = NONE;
  /** That packet's checksum and ByteCount: a retransmission repeats them. */
  lastAcceptedChecksum = 0;
  lastAcceptedByteCount = -1;
  /** That packet (or its latest copy) was acknowledged. */
  lastAcceptedAcked = false;
  /** Normalised id the receiver expects next; NONE until a baseline exists. */
  expected = NONE;
  /** Normalised id of the last data packet seen (good or not). */
  lastDataId = NONE;
  /** The last data packet or garbled packet: what a RESEND from the peer asks for. */
  lastData: MutableRecord | undefined;
  /** The last good data packet still waiting for its ACK. */
  awaitingAck: MutableRecord | undefined;
  /** The peer sent RESEND since the last data packet of this direction. */
  resendRequested = false;
  bytes = 0;

  checkpoint(): DirectionCheckpoint {
    return {
      lastAccepted: this.lastAccepted,
      lastAcceptedChecksum: this.lastAcceptedChecksum,
      lastAcceptedByteCount: this.lastAcceptedByteCount,
      lastAcceptedAcked: this.lastAcceptedAcked,
      expected: this.expected,
      lastDataId: this.lastDataId,
      lastData: this.lastData && stubOf(this.lastData),
      awaitingAck: this.awaitingAck && stubOf(this.awaitingAck),
      resendRequested: this.resendRequested,
    };
  }

  restore(from: DirectionCheckpoint, revive: (stub: RecordStub) => MutableRecord): void {
    this.lastAccepted = from.lastAccepted;
    this.lastAcceptedChecksum = from.lastAcceptedChecksum;
    this.lastAcceptedByteCount = from.lastAcceptedByteCount;
    this.lastAcceptedAcked = from.lastAcceptedAcked;
    this.expected = from.expected;
    this.lastDataId = from.lastDataId;
    this.lastData = from.lastData && revive(from.lastData);
    this.awaitingAck = from.awaitingAck && revive(from.awaitingAck);
    this.resendRequested = from.resendRequested;
  }

  reset(): void {
    // KDNET ids survive a RESET; serial ids start over at INITIAL.
    if (this.lastAccepted === NONE || isSerialId(this.lastAccepted)) {
      this.expected = this.lastAccepted === NONE ? NONE : INITIAL_PACKET_ID;
      this.lastAccepted = NONE;
      this.lastDataId = NONE;
    }
    this.lastData = undefined;
    this.awaitingAck = undefined;
    this.resendRequested = false;
  }
}

function dirIndex(dir: Direction): 0 | 1 {
  return dir === 'debugger->target' ? 0 : 1;
}

export class SessionTracker {
  private readonly onRecord: (record: PacketRecord) => void;
  private readonly onUpdate: ((record: PacketRecord) => void) | undefined;
  private readonly maxPending: number;
  private readonly maxApiNames: number;
  private readonly sides: [DirectionState, DirectionState] = [
    new DirectionState(),
    new DirectionState(),
  ];
  /** Unanswered manipulate requests, oldest first. */
  private readonly pending: MutableRecord[] = [];
  private no = 0;

  // Counters for the summary.
  private packets = 0;
  private dataPackets = 0;
  // Counters in boxes: a count goes up with one map lookup per packet instead of two.
  private readonly typeCounts = new Map<number, { n: number }>();
  private readonly apiCounts = new Map<string, { n: number }>();
  private garbageBytes = 0;
  private garbageRuns = 0;
  private breakins = 0;
  private checksumErrors = 0;
  private retransmits = 0;
  private resends = 0;
  private resets = 0;
  private unexpectedIds = 0;
  private strayAcks = 0;
  private requests = 0;
  private pairs = 0;
  private errorStatus = 0;
  private rttMin = Infinity;
  private rttMax = -Infinity;
  private rttSum = 0;

  constructor(options: SessionTrackerOptions) {
    this.onRecord = options.onRecord;
    this.onUpdate = options.onUpdate;
    this.maxPending = Math.max(1, options.maxPendingRequests ?? 64);
    this.maxApiNames = Math.max(1, options.maxApiNames ?? 512);
    const resume = options.resume;
    if (resume) {
      // One object per earlier record, so a stub the tracker holds twice is updated once.
      const revived = new Map<number, MutableRecord>();
      const revive = (stub: RecordStub): MutableRecord => {
        let record = revived.get(stub.no);
        if (!record) {
          record = this.newRecord(stub.dir, stub.kind, 0, 0, stub.time, undefined, stub.no);
          record.id = stub.id;
          record.api = stub.api;
          record.flags = stub.flags;
          revived.set(stub.no, record);
        }
        return record;
      };
      this.no = resume.no;
      this.sides[0].restore(resume.sides[0], revive);
      this.sides[1].restore(resume.sides[1], revive);
      for (const stub of resume.pending) this.pending.push(revive(stub));
    }
  }

  /**
   * The state a tracker needs to carry on after the last record (see options.resume). Small: a
   * few numbers per direction and a stub per record still referred to.
   */
  checkpoint(): TrackerCheckpoint {
    return {
      no: this.no,
      sides: [this.sides[0].checkpoint(), this.sides[1].checkpoint()],
      pending: this.pending.map(stubOf),
    };
  }

  /**
   * The record may still change: a good data packet waiting for its ACK, or a request
   * waiting for its reply. A consumer that prints records can hold them until they are
   * settled and print them whole (forward links included).
   */
  isOpen(record: PacketRecord): boolean {
    if (record.kind !== 'packet' || record.leader !== 'data') return false;
    if (this.sides[0].awaitingAck === record || this.sides[1].awaitingAck === record) return true;
    return (
      (record.flags & PacketFlag.NO_RESPONSE) !== 0 &&
      this.pending.includes(record as MutableRecord)
    );
  }

  /** Number the next record will get. */
  get nextNo(): number {
    return this.no + 1;
  }

  /** One framing event of `dir`. `summary` is describePacket's answer for data packets. */
  event(
    dir: Direction,
    event: KdEvent,
    time: number,
    frame?: number,
    summary?: PacketSummary,
  ): void {
    if (event.kind === 'packet') this.packet(dir, event, time, frame, summary);
    else if (event.kind === 'breakin') this.breakin(dir, event, time, frame);
    else this.garbage(dir, event, time, frame);
  }

  breakin(dir: Direction, event: KdBreakinEvent, time: number, frame?: number): void {
    if (dir === 'target->debugger') {
      // Only the debugger sends break-ins (kdcom): 0x62 from the target is line noise.
      const { offset, length } = event;
      this.garbage(dir, { kind: 'garbage', offset, length, reason: 'noise' }, time, frame);
      return;
    }
    const record = this.newRecord(dir, 'breakin', event.offset, event.length, time, frame);
    record.flags = PacketFlag.BREAKIN;
    this.breakins++;
    this.sides[dirIndex(dir)].bytes += event.length;
    this.onRecord(record);
  }

  garbage(dir: Direction, event: KdGarbageEvent, time: number, frame?: number): void {
    const record = this.newRecord(dir, 'garbage', event.offset, event.length, time, frame);
    record.flags = PacketFlag.GARBAGE;
    record.garbageReason = event.reason;
    const side = this.sides[dirIndex(dir)];
    side.bytes += event.length;
    // kdcom answers a bad length or a bad trailer with RESEND: that RESEND asks for this.
    if (event.reason === 'bad-length' || event.reason === 'bad-trailer') side.lastData = record;
    this.garbageBytes += event.length;
    this.garbageRuns++;
    this.onRecord(record);
  }

  packet(
    dir: Direction,
    event: KdPacketEvent,
    time: number,
    frame?: number,
    summary?: PacketSummary,
  ): void {
    const record = this.newRecord(dir, 'packet', event.offset, event.length, time, frame);
    record.leader = event.leader;
    record.type = event.type;
    record.typeName = packetTypeName(event.type);
    record.id = event.id;
    record.byteCount = event.byteCount;
    record.checksumOk = event.checksumOk;
    if (summary !== undefined) {
      record.api = summary.api;
      record.apiName = summary.apiName;
      record.returnStatus = summary.returnStatus;
      record.newState = summary.newState;
      record.newStateName = summary.newStateName;
      record.text = summary.text;
      record.info = summary.info;
    }
    const index = dirIndex(dir);
    this.sides[index].bytes += event.length;
    this.packets++;
    const typeCount = this.typeCounts.get(event.type);
    if (typeCount !== undefined) typeCount.n++;
    else this.typeCounts.set(event.type, { n: 1 });
    if (event.leader === 'data') this.dataPacket(index, record, event.checksum);
    else this.controlPacket(index, record);
    this.onRecord(record);
  }

  private dataPacket(index: 0 | 1, record: MutableRecord, checksum: number): void {
    const side = this.sides[index];
    const normal = normalId(record.id!);
    this.dataPackets++;
    if (record.apiName !== undefined) this.countApi(record.apiName);
    if (!record.checksumOk) {
      // The receiver drops it and asks again; its id is not accepted.
      record.flags |= PacketFlag.CHECKSUM_ERROR;
      this.checksumErrors++;
      side.lastDataId = normal;
      side.lastData = record;
      side.resendRequested = false;
      return;
    }
    // Same id as the accepted packet is a retransmission, unless that packet was never
    // acknowledged and this one carries other bytes: a sender that gave up (kdcom lets a
    // DbgPrint time out without flipping its id) sends its next packet with the same id.
    const duplicate =
      normal === side.lastAccepted &&
      (side.lastAcceptedAcked ||
        (checksum === side.lastAcceptedChecksum &&
          record.byteCount === side.lastAcceptedByteCount));
    const answersResend = side.resendRequested && normal === side.lastDataId;
    if (duplicate || answersResend) {
      record.flags |= PacketFlag.RETRANSMIT;
      this.retransmits++;
      if (
        side.lastData !== undefined &&
        side.lastData.kind === 'packet' &&
        normal === side.lastDataId
      )
        record.resendOf = side.lastData.no;
    } else if (side.expected !== NONE && normal !== side.expected && normal !== side.lastAccepted) {
      record.flags |= PacketFlag.UNEXPECTED_ID;
      this.unexpectedIds++;
    }
    if (!duplicate) {
      // kdcom ACKs and drops an unexpected id; we take it as the new baseline so one lost
      // packet is flagged once, not forever.
      side.lastAccepted = normal;
      side.lastAcceptedChecksum = checksum;
      side.lastAcceptedByteCount = record.byteCount!;
      side.lastAcceptedAcked = false;
      side.expected = nextId(normal);
      if (record.type === PacketType.STATE_MANIPULATE && record.api !== undefined)
        this.manipulate(index, record);
    }
    side.lastDataId = normal;
    side.lastData = record;
    side.awaitingAck = record;
    side.resendRequested = false;
  }

  private controlPacket(index: 0 | 1, record: MutableRecord): void {
    const peer = this.sides[index === 0 ? 1 : 0];
    switch (record.type) {
      case PacketType.ACKNOWLEDGE: {
        const waiting = peer.awaitingAck;
        if (waiting !== undefined && normalId(waiting.id!) === normalId(record.id!)) {
          record.ack = waiting.no;
          waiting.ack = record.no;
          peer.awaitingAck = undefined;
          if (normalId(waiting.id!) === peer.lastAccepted) peer.lastAcceptedAcked = true;
          this.onUpdate?.(waiting);
        } else {
          record.flags |= PacketFlag.STRAY_ACK;
          this.strayAcks++;
        }
        break;
      }
      case PacketType.RESEND:
        record.flags |= PacketFlag.RESEND;
        this.resends++;
        if (peer.lastData !== undefined) record.resendOf = peer.lastData.no;
        peer.resendRequested = true;
        break;
      case PacketType.RESET:
        record.flags |= PacketFlag.RESET;
        this.resets++;
        this.sides[0].reset();
        this.sides[1].reset();
        // Requests sent before a reset will not be answered; they keep NO_RESPONSE.
        this.pending.length = 0;
        break;
      default:
        break;
    }
  }

  private manipulate(index: 0 | 1, record: MutableRecord): void {
    const api = record.api!;
    if (index === 0) {
      if (NO_REPLY_APIS.has(api)) return;
      record.flags |= PacketFlag.NO_RESPONSE;
      this.requests++;
      if (this.pending.length >= this.maxPending) this.pending.shift();
      this.pending.push(record);
      return;
    }
    // A reply: NTSTATUS with the severity bit set (NT_SUCCESS false) is a failure.
    if (record.returnStatus !== undefined && (record.returnStatus | 0) < 0) {
      record.flags |= PacketFlag.ERROR_STATUS;
      this.errorStatus++;
    }
    // KD has one request outstanding at a time: the newest with the same API is the partner.
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const request = this.pending[i]!;
      if (request.api !== api) continue;
      this.pending.splice(i, 1);
      const rtt = record.time - request.time;
      record.pair = request.no;
      record.rttMs = rtt;
      request.pair = record.no;
      request.flags &= ~PacketFlag.NO_RESPONSE;
      this.pairs++;
      this.rttSum += rtt;
      if (rtt < this.rttMin) this.rttMin = rtt;
      if (rtt > this.rttMax) this.rttMax = rtt;
      this.onUpdate?.(request);
      return;
    }
  }

  private countApi(name: string): void {
    const count = this.apiCounts.get(name);
    if (count !== undefined) count.n++;
    else if (this.apiCounts.size < this.maxApiNames) this.apiCounts.set(name, { n: 1 });
    else {
      const other = this.apiCounts.get('other');
      if (other !== undefined) other.n++;
      else this.apiCounts.set('other', { n: 1 });
    }
  }

  /** Every field present (undefined when absent) so all records share one object shape. */
  private newRecord(
    dir: Direction,
    kind: PacketRecord['kind'],
    offset: number,
    length: number,
    time: number,
    frame: number | undefined,
    no = ++this.no,
  ): MutableRecord {
    return {
      no,
      time,
      dir,
      kind,
      offset,
      frame,
      length,
      leader: undefined,
      type: undefined,
      typeName: undefined,
      id: undefined,
      byteCount: undefined,
      checksumOk: undefined,
      api: undefined,
      apiName: undefined,
      returnStatus: undefined,
      newState: undefined,
      newStateName: undefined,
      text: undefined,
      info: undefined,
      garbageReason: undefined,
      flags: 0,
      pair: undefined,
      ack: undefined,
      rttMs: undefined,
      resendOf: undefined,
    };
  }

  summary(): SessionSummary {
    const byType: Record<string, number> = {};
    for (const type of [...this.typeCounts.keys()].sort((a, b) => a - b))
      byType[packetTypeName(type)] = this.typeCounts.get(type)!.n;
    const byApi: Record<string, number> = {};
    for (const [name, count] of this.apiCounts) byApi[name] = count.n;
    return {
      records: this.no,
      packets: this.packets,
      dataPackets: this.dataPackets,
      controlPackets: this.packets - this.dataPackets,
      bytes: { 'debugger->target': this.sides[0].bytes, 'target->debugger': this.sides[1].bytes },
      byType,
      byApi,
      garbageBytes: this.garbageBytes,
      garbageRuns: this.garbageRuns,
      breakins: this.breakins,
      checksumErrors: this.checksumErrors,
      retransmits: this.retransmits,
      resends: this.resends,
      resets: this.resets,
      unexpectedIds: this.unexpectedIds,
      strayAcks: this.strayAcks,
      pairs: this.pairs,
      // Requests dropped from `pending` by a RESET or the bound count as unanswered too.
      unanswered: this.requests - this.pairs,
      errorStatus: this.errorStatus,
      rttMs:
        this.pairs > 0
          ? { min: this.rttMin, avg: this.rttSum / this.pairs, max: this.rttMax }
          : undefined,
    };
  }
}
