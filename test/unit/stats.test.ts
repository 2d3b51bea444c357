// The shared statistics (SRT, expert information, DbgPrint tap): exact answers on a hand-made
// session, and properties on random KD conversations: the rows as the tracker emits them, as a
// printer gets them settled, and as the UI's columnar table holds them give the same numbers.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INITIAL_PACKET_ID, ManipulateApi, PacketType } from '../../protocol/kd/constants';
import type { Direction } from '../../protocol/kd/events';
import { encodeAck, encodeDataPacket, encodeReset } from '../../protocol/kd/encoder';
import { buildManipulate } from '../../protocol/kd/payloads';
import { buildPrintString } from '../../protocol/kd/payloads/debug-io';
import { encodeBatch } from '../../protocol/records/columns';
import { PacketTable } from '../../protocol/records/table';
import { SessionDecoder } from '../../protocol/session/pipeline';
import type { PacketRecord } from '../../protocol/session/record';
import { SettleQueue } from '../../protocol/session/settle';
import {
  DbgPrintTap,
  ExpertAccumulator,
  SrtAccumulator,
  forEachTableRow,
  rowFromRecord,
  rttHistogram,
  type StatsRow,
} from '../../protocol/stats';
import { SESSION_BASIC } from '../fixtures/session-basic';

interface Chunk {
  readonly dir: Direction;
  readonly time: number;
  readonly bytes: Uint8Array;
}

/** Rows as the tracker emits them (each copied at once: the tracker fills links in later). */
function emitted(chunks: readonly Chunk[]): { rows: StatsRow[]; records: PacketRecord[] } {
  const rows: StatsRow[] = [];
  const records: PacketRecord[] = [];
  const decoder = new SessionDecoder({
    onRecord: (r) => {
      rows.push(rowFromRecord(r));
      records.push(r);
    },
  });
  for (const c of chunks) decoder.push(c.dir, c.bytes, c.time);
  decoder.end(chunks.at(-1)?.time ?? 0);
  return { rows, records };
}

/** Rows as `kdscope decode` prints them: held until the tracker settled them. */
function settled(chunks: readonly Chunk[]): StatsRow[] {
  const rows: StatsRow[] = [];
  const holder: { q?: SettleQueue } = {};
  const decoder = new SessionDecoder({ onRecord: (r) => holder.q!.add(r) });
  holder.q = new SettleQueue(decoder.tracker, (r) => rows.push(rowFromRecord(r)));
  for (const c of chunks) decoder.push(c.dir, c.bytes, c.time);
  decoder.end(chunks.at(-1)?.time ?? 0);
  holder.q.end();
  return rows;
}

/** Rows read back from the UI's columnar table (records as they ended up, links filled in). */
function fromTable(records: readonly PacketRecord[]): StatsRow[] {
  const table = new PacketTable({ chunkRows: 64 });
  table.append(encodeBatch(records));
  const rows: StatsRow[] = [];
  forEachTableRow(table, 0, table.length, (r) => rows.push({ ...r }));
  return rows;
}

function srtOf(rows: readonly StatsRow[]) {
  const srt = new SrtAccumulator();
  for (const r of rows) srt.add(r);
  return srt;
}

function expertOf(rows: readonly StatsRow[]) {
  const expert = new ExpertAccumulator();
  for (const r of rows) expert.add(r);
  return expert.snapshot();
}

const basic: Chunk[] = SESSION_BASIC.map((s) => ({ dir: s.dir, time: s.timeMs, bytes: s.bytes }));

describe('SRT on a hand-made session', () => {
  const { rows, records } = emitted(basic);
  const table = srtOf(rows).snapshot();

  it('counts each answered call once, with its RTT, bytes and failing status', () => {
    const byName = new Map(table.rows.map((r) => [r.apiName, r]));
    expect([...byName.keys()]).toEqual(['ReadVirtualMemory', 'GetVersion']);
    const rvm = byName.get('ReadVirtualMemory')!;
    expect(rvm).toMatchObject({ calls: 2, answered: 2, unanswered: 0, errors: 1 });
    const replies = records.filter(
      (r) => r.dir === 'target->debugger' && r.api === ManipulateApi.ReadVirtualMemory,
    );
    expect(rvm.rttMs?.min).toBe(Math.min(...replies.map((r) => r.rttMs!)));
    expect(rvm.rttMs?.max).toBe(Math.max(...replies.map((r) => r.rttMs!)));
    const requests = records.filter((r) => r.no === replies[0]!.pair || r.no === replies[1]!.pair);
    expect(rvm.bytes).toBe([...requests, ...replies].reduce((n, r) => n + r.length, 0));
    // Continue2 is not answered by design: no call.
    expect(byName.has('Continue2')).toBe(false);
    expect(table.total.calls).toBe(3);
  });

  it('gives the same table from emitted, settled and columnar rows', () => {
    expect(srtOf(settled(basic)).snapshot()).toEqual(table);
    expect(srtOf(fromTable(records)).snapshot()).toEqual(table);
  });
});

describe('expert information on a hand-made session', () => {
  const { rows, records } = emitted(basic);
  const snap = expertOf(rows);
  const group = (key: string) => snap.groups.find((g) => g.key === key);

  it('lists each problem once with a link to its packet, counted by severity', () => {
    const bad = records.find((r) => r.checksumOk === false)!;
    expect(group('bad-checksum')).toMatchObject({ severity: 'error', count: 1 });
    expect(group('bad-checksum')!.entries[0]!.no).toBe(bad.no);
    expect(group('resend')?.count).toBe(1);
    expect(group('retransmit')?.count).toBe(1);
    expect(group('error-status')?.count).toBe(1);
    expect(group('reset')?.count).toBe(2);
    expect(group('breakin')?.count).toBe(1);
    expect(group('noise')?.count).toBe(2);
    expect(group('no-response')).toBeUndefined();
    expect(snap.bySeverity.error).toBe(1);
    expect(snap.total).toBe(snap.groups.reduce((n, g) => n + g.count, 0));
    expect(snap.groups[0]!.severity).toBe('error');
  });

  it('agrees between emitted, settled and columnar rows', () => {
    expect(expertOf(settled(basic))).toEqual(snap);
    expect(expertOf(fromTable(records))).toEqual(snap);
  });

  it('notes a long silence while the target runs, and a KDNET authentication failure', () => {
    // Everything after the first Continue2's ACK (step 14) comes 5 s later.
    const late = basic.map((c, i) => (i >= 15 ? { ...c, time: c.time + 5000 } : c));
    const e = new ExpertAccumulator({ silenceMs: 2000 });
    for (const r of emitted(late).rows) e.add(r);
    e.addCaptureProblem('kdnet-auth', { frame: 7, detail: 'HMAC mismatch' }, 3);
    const s = e.snapshot();
    expect(s.groups.find((g) => g.key === 'silence')?.entries[0]?.detail).toMatch(/^5\.\d s/);
    expect(s.groups.find((g) => g.key === 'kdnet-auth')).toMatchObject({
      severity: 'error',
      count: 3,
      entries: [{ frame: 7, detail: 'HMAC mismatch' }],
    });
  });
});

describe('DbgPrint tap', () => {
  it('prints the hand-made session text once and measures its share', () => {
    const tap = new DbgPrintTap();
    const out: string[] = [];
    for (const r of emitted(basic).rows) {
      const t = tap.take(r);
      if (t !== undefined) out.push(t);
    }
    expect(out).toEqual(['Hello from kdscope\n']);
    expect(tap.lines).toBe(1);
  });

  it('prints a resent copy of a corrupted print, not a plain duplicate, and sees a flood', () => {
    const print = (text: string, id: number, corrupt = false) =>
      encodeDataPacket(
        PacketType.DEBUG_IO,
        id,
        buildPrintString(text),
        corrupt ? { checksum: 7 } : {},
      );
    const T2D: Direction = 'target->debugger';
    const D2T: Direction = 'debugger->target';
    const chunks: Chunk[] = [
      { dir: T2D, time: 1000, bytes: print('one\n', INITIAL_PACKET_ID) },
      { dir: D2T, time: 1001, bytes: encodeAck(INITIAL_PACKET_ID) },
      { dir: T2D, time: 1002, bytes: print('one\n', INITIAL_PACKET_ID) }, // duplicate
      { dir: D2T, time: 1003, bytes: encodeAck(INITIAL_PACKET_ID) },
      { dir: T2D, time: 1004, bytes: print('two\n', INITIAL_PACKET_ID + 1, true) },
      { dir: D2T, time: 1005, bytes: encodeDataPacket(5, 0, new Uint8Array(0)).subarray(0, 16) },
      { dir: T2D, time: 1006, bytes: print('two\n', INITIAL_PACKET_ID + 1) },
      { dir: D2T, time: 1007, bytes: encodeAck(INITIAL_PACKET_ID + 1) },
    ];
    const tap = new DbgPrintTap();
    const out = emitted(chunks)
      .rows.map((r) => tap.take(r))
      .filter((t) => t !== undefined);
    expect(out).toEqual(['one\n', 'two\n']);
    // 400 prints in a second and little else: a flood.
    const flood = new DbgPrintTap();
    const many: Chunk[] = [];
    for (let k = 0; k < 400; k++) {
      many.push({
        dir: T2D,
        time: 2000 + k * 2.5,
        bytes: print(`line ${k}\n`, INITIAL_PACKET_ID + (k & 1)),
      });
      many.push({ dir: D2T, time: 2001 + k * 2.5, bytes: encodeAck(INITIAL_PACKET_ID + (k & 1)) });
    }
    for (const r of emitted(many).rows) flood.take(r);
    const rate = flood.rate(3000);
    expect(rate.flood).toBe(true);
    expect(rate.linesPerSecond).toBeGreaterThan(50);
    expect(rate.share).toBeGreaterThan(0.5);
    expect(flood.rate(10_000).flood).toBe(false);
  });
});

// ---- random KD conversations ------------------------------------------------------------

interface Call {
  readonly api: number;
  readonly fail: boolean;
  readonly corruptRequest: boolean;
  readonly dropReplyAck: boolean;
  readonly noReply: boolean;
  readonly rtt: number;
  readonly print: string | null;
  readonly reset: boolean;
}

const arbCall: fc.Arbitrary<Call> = fc.record({
  api: fc.constantFrom(
    ManipulateApi.ReadVirtualMemory,
    ManipulateApi.GetVersion,
    ManipulateApi.GetContext,
    ManipulateApi.Continue2,
    ManipulateApi.ReadControlSpace,
  ),
  fail: fc.boolean(),
  corruptRequest: fc.boolean(),
  dropReplyAck: fc.boolean(),
  noReply: fc.boolean(),
  rtt: fc.double({ min: 0.01, max: 3000, noNaN: true }),
  print: fc.option(fc.string({ maxLength: 20 }).map((s) => `${s}\n`)),
  reset: fc.boolean(),
});

/** Bytes of a conversation with retransmissions, failures, lost ACKs and resets. */
function conversation(calls: readonly Call[]): Chunk[] {
  const D: Direction = 'debugger->target';
  const T: Direction = 'target->debugger';
  const out: Chunk[] = [];
  let time = 1_700_000_000_000;
  let dId = INITIAL_PACKET_ID;
  let tId = INITIAL_PACKET_ID;
  const at = (dir: Direction, bytes: Uint8Array, dt = 1): void => {
    time += dt;
    out.push({ dir, time, bytes });
  };
  for (const c of calls) {
    if (c.reset && out.length > 0) {
      at(D, encodeReset());
      at(T, encodeReset());
      dId = tId = INITIAL_PACKET_ID;
    }
    const request = buildManipulate({ api: c.api });
    if (c.corruptRequest) {
      at(D, encodeDataPacket(PacketType.STATE_MANIPULATE, dId, request, { checksum: 1 }));
      at(T, encodeDataPacket(5, 0, new Uint8Array(0)).subarray(0, 16)); // RESEND
    }
    at(D, encodeDataPacket(PacketType.STATE_MANIPULATE, dId, request));
    at(T, encodeAck(dId));
    dId ^= 1;
    if (!c.noReply && c.api !== ManipulateApi.Continue2) {
      const reply = buildManipulate({ api: c.api, returnStatus: c.fail ? 0xc0000005 : 0 });
      at(T, encodeDataPacket(PacketType.STATE_MANIPULATE, tId, reply), c.rtt);
      if (c.dropReplyAck) at(T, encodeDataPacket(PacketType.STATE_MANIPULATE, tId, reply), 5);
      at(D, encodeAck(tId));
      tId ^= 1;
    }
    if (c.print !== null) {
      at(T, encodeDataPacket(PacketType.DEBUG_IO, tId, buildPrintString(c.print)));
      at(D, encodeAck(tId));
      tId ^= 1;
    }
  }
  return out;
}

describe('statistics on random conversations (property)', () => {
  it('agree between emitted, settled and columnar rows, and hold their invariants', () => {
    fc.assert(
      fc.property(fc.array(arbCall, { maxLength: 30 }), (calls) => {
        const chunks = conversation(calls);
        const { rows, records } = emitted(chunks);
        const srt = srtOf(rows);
        const table = srt.snapshot();
        expect(srtOf(settled(chunks)).snapshot()).toEqual(table);
        expect(srtOf(fromTable(records)).snapshot()).toEqual(table);
        const expert = expertOf(rows);
        expect(expertOf(settled(chunks))).toEqual(expert);
        expect(expertOf(fromTable(records))).toEqual(expert);

        let callCount = 0;
        let answered = 0;
        for (const r of table.rows) {
          callCount += r.calls;
          answered += r.answered;
          expect(r.answered).toBeLessThanOrEqual(r.calls);
          expect(r.errors).toBeLessThanOrEqual(r.answered);
          expect(r.unanswered).toBe(r.calls - r.answered);
          if (r.rttMs) {
            expect(r.rttMs.count).toBe(r.answered);
            expect(r.rttMs.min).toBeLessThanOrEqual(r.rttMs.p50);
            expect(r.rttMs.p50).toBeLessThanOrEqual(r.rttMs.p95);
            expect(r.rttMs.p95).toBeLessThanOrEqual(r.rttMs.max);
          } else expect(r.answered).toBe(0);
        }
        expect(table.total.calls).toBe(callCount);
        expect(table.total.answered).toBe(answered);
        const hist = rttHistogram(srt.rtts());
        expect(hist.reduce((n, b) => n + b.count, 0)).toBe(answered);
        // Every answered call was generated with a reply; failures are the failing replies.
        const replied = callCount - table.total.unanswered;
        expect(replied).toBe(answered);
        expect(expert.total).toBe(expert.groups.reduce((n, g) => n + g.count, 0));
        expect(expert.bySeverity.error).toBe(
          expert.groups.filter((g) => g.severity === 'error').reduce((n, g) => n + g.count, 0),
        );
        // Each corrupted request is one bad checksum, linked to a row that has one.
        const bad = records.filter((r) => r.checksumOk === false).map((r) => r.no);
        const listed = expert.groups.find((g) => g.key === 'bad-checksum')?.entries ?? [];
        expect(listed.map((e) => e.no)).toEqual(bad);
      }),
      { numRuns: 150 },
    );
  });

  it('are the same whatever the batches the rows come in', () => {
    fc.assert(
      fc.property(
        fc.array(arbCall, { maxLength: 20 }),
        fc.array(fc.nat(40), { maxLength: 8 }),
        (calls, cuts) => {
          const { records } = emitted(conversation(calls));
          const whole = srtOf(fromTable(records)).snapshot();
          // The UI appends batch after batch and feeds each batch's new rows.
          const table = new PacketTable({ chunkRows: 16 });
          const srt = new SrtAccumulator();
          let from = 0;
          const bounds = [...new Set(cuts.map((c) => Math.min(c, records.length)))].sort(
            (a, b) => a - b,
          );
          for (const end of [...bounds, records.length]) {
            if (end <= from) continue;
            table.append(encodeBatch(records.slice(from, end)));
            forEachTableRow(table, table.length - (end - from), table.length, (r) => srt.add(r));
            from = end;
          }
          expect(srt.snapshot()).toEqual(whole);
        },
      ),
      { numRuns: 100 },
    );
  });
});
