import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManipulateApi, PacketType } from '../../protocol/kd/constants';
import type { Direction, KdEvent, KdPacketEvent } from '../../protocol/kd/events';
import type { PacketSummary } from '../../protocol/kd/summary';
import { PacketFlag, type PacketRecord } from '../../protocol/session/record';
import { SessionTracker } from '../../protocol/session/tracker';

const D2T: Direction = 'debugger->target';
const T2D: Direction = 'target->debugger';

/** Drives a tracker with hand-made framing events; offsets are counted per direction. */
class Harness {
  readonly records: PacketRecord[] = [];
  readonly updates: PacketRecord[] = [];
  readonly tracker = new SessionTracker({
    onRecord: (r) => this.records.push(r),
    onUpdate: (r) => this.updates.push(r),
    maxPendingRequests: 4,
  });
  private readonly offsets: Record<Direction, number> = {
    'debugger->target': 0,
    'target->debugger': 0,
  };
  time = 1000;

  private advance(dir: Direction, length: number): number {
    const offset = this.offsets[dir];
    this.offsets[dir] += length;
    return offset;
  }

  data(
    dir: Direction,
    type: number,
    id: number,
    summary?: PacketSummary,
    checksumOk = true,
    checksum = 0,
  ): PacketRecord {
    const event: KdPacketEvent = {
      kind: 'packet',
      offset: this.advance(dir, 16 + 56 + 1),
      leader: 'data',
      type,
      byteCount: 56,
      id,
      checksum,
      checksumOk,
      payload: new Uint8Array(56),
      length: 16 + 56 + 1,
    };
    this.tracker.event(dir, event, this.time, undefined, summary);
    return this.records.at(-1)!;
  }

  control(dir: Direction, type: number, id = 0): PacketRecord {
    const event: KdPacketEvent = {
      kind: 'packet',
      offset: this.advance(dir, 16),
      leader: 'control',
      type,
      byteCount: 0,
      id,
      checksum: 0,
      checksumOk: true,
      payload: new Uint8Array(0),
      length: 16,
    };
    this.tracker.event(dir, event, this.time);
    return this.records.at(-1)!;
  }

  ack = (dir: Direction, id: number): PacketRecord => this.control(dir, PacketType.ACKNOWLEDGE, id);
  reset = (dir: Direction): PacketRecord => this.control(dir, PacketType.RESET);
  resend = (dir: Direction): PacketRecord => this.control(dir, PacketType.RESEND);

  manip(dir: Direction, id: number, api: number, returnStatus = 0, checksumOk = true) {
    return this.data(
      dir,
      PacketType.STATE_MANIPULATE,
      id,
      { api, apiName: `api${api.toString(16)}`, returnStatus },
      checksumOk,
    );
  }
}

const flagsOf = (r: PacketRecord): string[] =>
  Object.entries(PacketFlag)
    .filter(([, bit]) => (r.flags & bit) !== 0)
    .map(([name]) => name);

describe('SessionTracker, serial ids', () => {
  it('links ACKs, pairs a request with its reply and measures the round trip', () => {
    const h = new Harness();
    const r1 = h.reset(D2T);
    const r2 = h.reset(T2D);
    expect(flagsOf(r1)).toEqual(['RESET']);
    expect(flagsOf(r2)).toEqual(['RESET']);
    const load = h.data(T2D, PacketType.STATE_CHANGE64, 0x80800800);
    // VirtualKD ACKs without the SYNC bit, ReactOS with the id as received: both match.
    const ack1 = h.ack(D2T, 0x80800000);
    expect(load.ack).toBe(ack1.no);
    expect(ack1.ack).toBe(load.no);
    expect(h.updates).toContain(load);

    const req = h.manip(D2T, 0x80800800, ManipulateApi.GetVersion);
    expect(flagsOf(req)).toEqual(['NO_RESPONSE']);
    const ack2 = h.ack(T2D, 0x80800800);
    expect(req.ack).toBe(ack2.no);
    h.time = 1012.5;
    const reply = h.manip(T2D, 0x80800001, ManipulateApi.GetVersion);
    h.ack(D2T, 0x80800001);
    expect(reply.flags).toBe(0);
    expect(reply.pair).toBe(req.no);
    expect(req.pair).toBe(reply.no);
    expect(reply.rttMs).toBeCloseTo(12.5);
    expect(flagsOf(req)).toEqual([]);
    expect(h.updates).toContain(req);

    // The next exchange uses the flipped ids: nothing is flagged.
    const req2 = h.manip(D2T, 0x80800001, ManipulateApi.ReadVirtualMemory);
    h.ack(T2D, 0x80800001);
    const reply2 = h.manip(T2D, 0x80800000, ManipulateApi.ReadVirtualMemory);
    h.ack(D2T, 0x80800000);
    expect(reply2.pair).toBe(req2.no);
    expect(h.records.filter((r) => r.flags !== 0 && !(r.flags & PacketFlag.RESET))).toEqual([]);

    const s = h.tracker.summary();
    expect(s.packets).toBe(h.records.length);
    expect(s.byType).toEqual({ STATE_MANIPULATE: 4, ACKNOWLEDGE: 5, RESET: 2, STATE_CHANGE64: 1 });
    expect(s.byApi).toEqual({ api3146: 2, api3130: 2 });
    expect(s.pairs).toBe(2);
    expect(s.unanswered).toBe(0);
    expect(s.rttMs).toEqual({ min: 0, avg: 6.25, max: 12.5 });
  });

  it('flags a duplicate as RETRANSMIT and links it to the copy it repeats', () => {
    const h = new Harness();
    const first = h.manip(D2T, 0x80800000, ManipulateApi.ReadVirtualMemory);
    // The ACK is lost; the debugger times out and sends the packet again.
    const again = h.manip(D2T, 0x80800000, ManipulateApi.ReadVirtualMemory);
    expect(flagsOf(again)).toEqual(['RETRANSMIT']);
    expect(again.resendOf).toBe(first.no);
    const ack = h.ack(T2D, 0x80800000);
    expect(again.ack).toBe(ack.no);
    expect(first.ack).toBeUndefined();
    // The duplicate is not a second request: the reply pairs with the first.
    const reply = h.manip(T2D, 0x80800001, ManipulateApi.ReadVirtualMemory);
    expect(reply.pair).toBe(first.no);
    expect(h.tracker.summary().retransmits).toBe(1);
  });

  it('takes a new packet under an unacknowledged id as new, not as a retransmission', () => {
    const h = new Harness();
    // No debugger listens: kdcom lets each DbgPrint time out without flipping its id.
    h.data(T2D, PacketType.DEBUG_IO, 0x80800000, undefined, true, 111);
    const next = h.data(T2D, PacketType.DEBUG_IO, 0x80800000, undefined, true, 222);
    expect(next.flags).toBe(0);
    // The same bytes again are a retransmission.
    expect(flagsOf(h.data(T2D, PacketType.DEBUG_IO, 0x80800000, undefined, true, 222))).toEqual([
      'RETRANSMIT',
    ]);
    // Once acknowledged, anything under that id is a repeat.
    h.ack(D2T, 0x80800000);
    expect(flagsOf(h.data(T2D, PacketType.DEBUG_IO, 0x80800000, undefined, true, 333))).toEqual([
      'RETRANSMIT',
    ]);
  });

  it('follows a checksum error through RESEND to the good copy', () => {
    const h = new Harness();
    h.manip(D2T, 0x80800000, ManipulateApi.GetVersion);
    h.ack(T2D, 0x80800000);
    h.manip(T2D, 0x80800000, ManipulateApi.GetVersion);
    h.ack(D2T, 0x80800000);
    const bad = h.manip(D2T, 0x80800001, ManipulateApi.GetContext, 0, false);
    expect(flagsOf(bad)).toEqual(['CHECKSUM_ERROR']);
    const resend = h.resend(T2D);
    expect(flagsOf(resend)).toEqual(['RESEND']);
    expect(resend.resendOf).toBe(bad.no);
    const good = h.manip(D2T, 0x80800001, ManipulateApi.GetContext);
    expect(flagsOf(good)).toEqual(['RETRANSMIT', 'NO_RESPONSE']);
    expect(good.resendOf).toBe(bad.no);
    h.ack(T2D, 0x80800001);
    const reply = h.manip(T2D, 0x80800001, ManipulateApi.GetContext);
    expect(reply.pair).toBe(good.no);
    const s = h.tracker.summary();
    expect([s.checksumErrors, s.resends, s.retransmits, s.unexpectedIds]).toEqual([1, 1, 1, 0]);
  });

  it('flags an unexpected id once, then follows the new baseline', () => {
    const h = new Harness();
    h.data(T2D, PacketType.DEBUG_IO, 0x80800000);
    const skipped = h.data(T2D, PacketType.DEBUG_IO, 0x80800000 + 0x10);
    expect(flagsOf(skipped)).toEqual(['UNEXPECTED_ID']);
    const next = h.data(T2D, PacketType.DEBUG_IO, 0x80800010 + 2);
    expect(next.flags).toBe(0);
  });

  it('flags an ACK that matches nothing waiting', () => {
    const h = new Harness();
    const stray = h.ack(D2T, 0x80800001);
    expect(flagsOf(stray)).toEqual(['STRAY_ACK']);
    h.data(T2D, PacketType.STATE_CHANGE64, 0x80800000);
    expect(flagsOf(h.ack(D2T, 0x80800001))).toEqual(['STRAY_ACK']);
    expect(h.tracker.summary().strayAcks).toBe(2);
  });

  it('returns both sides to INITIAL on RESET', () => {
    const h = new Harness();
    h.data(T2D, PacketType.STATE_CHANGE64, 0x80800000);
    h.data(T2D, PacketType.STATE_CHANGE64, 0x80800001);
    h.reset(D2T);
    h.reset(T2D);
    // Same id as before the reset: a new packet, not a retransmission.
    expect(h.data(T2D, PacketType.STATE_CHANGE64, 0x80800800).flags).toBe(0);
    expect(flagsOf(h.data(T2D, PacketType.STATE_CHANGE64, 0x80800000))).toEqual(['RETRANSMIT']);
    expect(flagsOf(h.data(T2D, PacketType.STATE_CHANGE64, 0x80800000 + 7))).toEqual([
      'UNEXPECTED_ID',
    ]);
  });

  it('marks failing replies, keeps NO_RESPONSE on unanswered requests, not on Continue', () => {
    const h = new Harness();
    const req = h.manip(D2T, 0x80800000, ManipulateApi.ReadVirtualMemory);
    const reply = h.manip(T2D, 0x80800000, ManipulateApi.ReadVirtualMemory, 0xc0000001);
    expect(flagsOf(reply)).toEqual(['ERROR_STATUS']);
    expect(reply.pair).toBe(req.no);
    const lost = h.manip(D2T, 0x80800001, ManipulateApi.GetContext);
    const cont = h.manip(D2T, 0x80800000, ManipulateApi.Continue2);
    expect(flagsOf(lost)).toEqual(['NO_RESPONSE']);
    expect(cont.flags).toBe(0);
    // A reply nobody asked for pairs with nothing.
    expect(h.manip(T2D, 0x80800001, ManipulateApi.WriteBreakPoint).pair).toBeUndefined();
    const s = h.tracker.summary();
    expect([s.pairs, s.unanswered, s.errorStatus]).toEqual([1, 1, 1]);
  });

  it('counts break-ins and garbage, and a RESEND after garbage points at it', () => {
    const h = new Harness();
    h.tracker.event(D2T, { kind: 'breakin', offset: 0, length: 1 }, 5);
    h.tracker.event(T2D, { kind: 'garbage', offset: 0, length: 90, reason: 'bad-trailer' }, 5);
    const resend = h.resend(D2T);
    const s = h.tracker.summary();
    expect(h.records.map((r) => r.kind)).toEqual(['breakin', 'garbage', 'packet']);
    expect(flagsOf(h.records[0]!)).toEqual(['BREAKIN']);
    expect(h.records[1]!.garbageReason).toBe('bad-trailer');
    expect(resend.resendOf).toBe(2);
    expect([s.breakins, s.garbageBytes, s.garbageRuns, s.records]).toEqual([1, 90, 1, 3]);
    expect(s.bytes).toEqual({ [D2T]: 1 + 16, [T2D]: 90 });
  });
});

describe('SessionTracker, KDNET ids', () => {
  it('accepts +2 steps without flags, keeps ids over RESET, still sees retransmissions', () => {
    const h = new Harness();
    // As in the real capture: DbgPrint, RESEND, the same DbgPrint again, ACK.
    const print = h.data(T2D, PacketType.DEBUG_IO, 0);
    h.resend(D2T);
    const again = h.data(T2D, PacketType.DEBUG_IO, 0);
    expect(flagsOf(again)).toEqual(['RETRANSMIT']);
    expect(again.resendOf).toBe(print.no);
    expect(h.ack(D2T, 0).ack).toBe(again.no);
    h.data(T2D, PacketType.STATE_CHANGE64, 2);
    h.ack(D2T, 2);
    h.reset(D2T);
    for (let i = 0; i < 20; i++) {
      h.manip(D2T, 0x80000000 + 2 * i, ManipulateApi.ReadVirtualMemory);
      h.ack(T2D, 0x80000000 + 2 * i);
      h.manip(T2D, 4 + 2 * i, ManipulateApi.ReadVirtualMemory);
      h.ack(D2T, 4 + 2 * i);
    }
    const noisy = h.records.filter(
      (r) => r.flags & ~(PacketFlag.RESEND | PacketFlag.RESET) && r !== again,
    );
    expect(noisy).toEqual([]);
    expect(flagsOf(h.manip(T2D, 4 + 2 * 25, ManipulateApi.ReadVirtualMemory))).toEqual([
      'UNEXPECTED_ID',
    ]);
    expect(h.tracker.summary().pairs).toBe(20);
  });
});

describe('SessionTracker, any input', () => {
  const dirArb = fc.constantFrom(D2T, T2D);
  const eventArb: fc.Arbitrary<KdEvent> = fc.oneof(
    fc.record({
      kind: fc.constant('packet' as const),
      offset: fc.nat(),
      leader: fc.constantFrom('data' as const, 'control' as const),
      type: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 0xffff })),
      byteCount: fc.integer({ min: 0, max: 4000 }),
      id: fc.oneof(
        fc.constantFrom(0x80800000, 0x80800001, 0x80800800, 0x80800801, 0, 2, 0x80000000),
        fc.integer({ min: 0, max: 0xffffffff }),
      ),
      checksum: fc.constant(0),
      checksumOk: fc.boolean(),
      payload: fc.constant(new Uint8Array(0)),
      length: fc.integer({ min: 16, max: 4017 }),
    }),
    fc.record({
      kind: fc.constant('breakin' as const),
      offset: fc.nat(),
      length: fc.integer({ min: 1, max: 8 }),
    }),
    fc.record({
      kind: fc.constant('garbage' as const),
      offset: fc.nat(),
      length: fc.integer({ min: 1, max: 65536 }),
      reason: fc.constantFrom(
        'noise' as const,
        'bad-length' as const,
        'bad-trailer' as const,
        'truncated' as const,
      ),
    }),
  );
  const summaryArb = fc.option(
    fc.record({
      api: fc.constantFrom(0x3130, 0x3146, 0x313c, 0x3230, 7),
      apiName: fc.constantFrom('a', 'b', 'c'),
      returnStatus: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    }),
    { nil: undefined },
  );

  it('never throws, numbers records 1..n and keeps links consistent', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(dirArb, eventArb, summaryArb), { maxLength: 300 }), (steps) => {
        const records: PacketRecord[] = [];
        const tracker = new SessionTracker({
          onRecord: (r) => records.push(r),
          maxPendingRequests: 3,
        });
        let time = 0;
        for (const [dir, event, summary] of steps)
          tracker.event(dir, event, (time += 1), 1, summary);
        expect(records.map((r) => r.no)).toEqual(records.map((_, i) => i + 1));
        for (const r of records) {
          if (r.ack !== undefined) expect(records[r.ack - 1]!.ack).toBe(r.no);
          if (r.pair !== undefined) expect(records[r.pair - 1]!.pair).toBe(r.no);
          if (r.pair !== undefined) expect(records[r.pair - 1]!.dir).not.toBe(r.dir);
          if (r.resendOf !== undefined) expect(r.resendOf).toBeLessThan(r.no);
        }
        const s = tracker.summary();
        expect(s.records).toBe(records.length);
        expect(s.unanswered).toBeGreaterThanOrEqual(0);
        expect(s.garbageBytes).toBe(
          records.filter((r) => r.kind === 'garbage').reduce((a, r) => a + r.length, 0),
        );
      }),
      { numRuns: 300 },
    );
  });
});
