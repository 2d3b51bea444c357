import fc from 'fast-check';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { NdjsonWriter, TableFormatter } from '../../electron/cli/decode-format';
import { OutputSink } from '../../electron/cli/output-sink';
import { PacketFlag, type PacketRecord } from '../../protocol/session/record';

/** Collects what the sink writes. */
function collector(): { stream: Writable; text: () => string } {
  const parts: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      parts.push(Buffer.from(chunk));
      callback();
    },
  });
  return { stream, text: () => Buffer.concat(parts).toString('utf8') };
}

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

const recordArb: fc.Arbitrary<PacketRecord> = fc
  .record({
    no: fc.integer({ min: 1, max: 2 ** 40 }),
    time: fc.oneof(
      fc.integer({ min: 0, max: 2 ** 41 }),
      fc.integer({ min: 0, max: 2 ** 52 }).map((us) => us / 1000),
    ),
    dir: fc.constantFrom('debugger->target' as const, 'target->debugger' as const),
    kind: fc.constantFrom('packet' as const, 'breakin' as const, 'garbage' as const),
    offset: fc.integer({ min: 0, max: 2 ** 45 }),
    frame: optional(fc.integer({ min: 1, max: 2 ** 32 })),
    length: fc.integer({ min: 1, max: 1 << 20 }),
    leader: fc.constantFrom('data' as const, 'control' as const),
    type: fc.integer({ min: 0, max: 0xffff }),
    typeName: fc.constantFrom('STATE_MANIPULATE', 'ACKNOWLEDGE', 'UNKNOWN_77', 'we"ird\\'),
    id: u32,
    byteCount: fc.integer({ min: 0, max: 0xffff }),
    checksumOk: fc.boolean(),
    api: optional(u32),
    apiName: optional(fc.constantFrom('ReadVirtualMemory', 'Unknown(0x1234)', 'q"uote')),
    returnStatus: optional(u32),
    newState: optional(u32),
    newStateName: optional(fc.constantFrom('Exception', 'LoadSymbols')),
    text: optional(
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.constantFrom('\ud800x', 'a\u0000\u001f"\\é€😀'),
      ),
    ),
    garbageReason: optional(fc.constantFrom('noise' as const, 'truncated' as const)),
    flags: fc.integer({ min: 0, max: 0x3ff }),
    pair: optional(fc.integer({ min: 1, max: 2 ** 40 })),
    ack: optional(fc.integer({ min: 1, max: 2 ** 40 })),
    rttMs: optional(fc.integer({ min: 0, max: 2 ** 40 }).map((us) => us / 1000)),
    resendOf: optional(fc.integer({ min: 1, max: 2 ** 40 })),
  })
  .map((r) => r as PacketRecord);

/** Numbers a packet list shows (below 10^8 records, ids and types as on the wire). */
const tableRecordArb = recordArb.map((r) => ({ ...r, no: r.no % 99_999_999 || 1 }));

/** What the NDJSON line must say about a record (ARCHITECTURE.md fields plus our links). */
function expected(r: PacketRecord, withTime: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { no: r.no, kind: r.kind, dir: r.dir, offset: r.offset };
  if (r.frame !== undefined) out.frame = r.frame;
  if (withTime) out.time = Math.round(r.time * 1000) / 1000;
  if (r.kind !== 'packet') {
    out.length = r.length;
    if (r.garbageReason !== undefined) out.reason = r.garbageReason;
    return out;
  }
  Object.assign(out, {
    leader: r.leader,
    type: r.typeName,
    id: r.id,
    byteCount: r.byteCount,
    checksumOk: r.checksumOk,
    retransmit: (r.flags & PacketFlag.RETRANSMIT) !== 0,
  });
  if (r.api !== undefined) out.api = r.api;
  if (r.apiName !== undefined) out.apiName = r.apiName;
  if (r.returnStatus !== undefined) out.returnStatus = r.returnStatus;
  if (r.newState !== undefined) out.newState = r.newState;
  if (r.newStateName !== undefined) out.newStateName = r.newStateName;
  if (r.text !== undefined) out.text = r.text;
  if (r.ack !== undefined) out.ack = r.ack;
  if (r.pair !== undefined) out.pair = r.pair;
  if (r.rttMs !== undefined) out.rttMs = r.rttMs;
  if (r.resendOf !== undefined) out.resendOf = r.resendOf;
  const names = (
    [
      'CHECKSUM_ERROR',
      'RESEND',
      'RESET',
      'UNEXPECTED_ID',
      'STRAY_ACK',
      'ERROR_STATUS',
      'NO_RESPONSE',
    ] as const
  ).filter((name) => (r.flags & PacketFlag[name]) !== 0);
  if (names.length > 0) out.flags = names;
  return out;
}

describe('NdjsonWriter', () => {
  it('writes one valid JSON object per record with exactly the expected fields', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(recordArb, { maxLength: 40 }),
        fc.boolean(),
        async (records, withTime) => {
          const { stream, text } = collector();
          const sink = new OutputSink(stream);
          const writer = new NdjsonWriter(sink, withTime);
          for (const r of records) writer.record(r);
          await sink.end();
          const out = text();
          const lines = out === '' ? [] : out.replace(/\n$/, '').split('\n');
          expect(lines).toHaveLength(records.length);
          lines.forEach((line, i) => {
            const parsed = JSON.parse(line) as Record<string, unknown>;
            expect(parsed).toEqual(expected(records[i]!, withTime));
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('survives records larger than its buffer and many flushes', async () => {
    const { stream, text } = collector();
    const sink = new OutputSink(stream);
    const writer = new NdjsonWriter(sink, true);
    const big = 'x'.repeat(3 << 20);
    const base: PacketRecord = {
      no: 1,
      time: 1.5,
      dir: 'target->debugger',
      kind: 'packet',
      offset: 0,
      length: 17,
      leader: 'data',
      type: 3,
      typeName: 'DEBUG_IO',
      id: 0x80800000,
      byteCount: 1,
      checksumOk: true,
      flags: 0,
    };
    for (let i = 0; i < 20_000; i++) writer.record({ ...base, no: i + 1 });
    writer.record({ ...base, no: 20_001, text: big });
    await sink.end();
    const lines = text().trimEnd().split('\n');
    expect(lines).toHaveLength(20_001);
    expect((JSON.parse(lines[19_999]!) as PacketRecord).no).toBe(20_000);
    expect((JSON.parse(lines[20_000]!) as PacketRecord).text).toHaveLength(3 << 20);
  });
});

describe('TableFormatter', () => {
  it('keeps every column at its place whatever the record', () => {
    fc.assert(
      fc.property(fc.array(tableRecordArb, { minLength: 1, maxLength: 30 }), (records) => {
        const table = new TableFormatter(true);
        const header = table.header();
        const starts = ['Time', 'Dir', 'Type', 'Id'].map((name) => header.indexOf(name));
        for (const r of records) {
          const row = table.row(r);
          expect(row.endsWith('\n')).toBe(true);
          expect(row.slice(0, -1)).not.toContain('\n');
          // Columns before Api/State hold short values: each starts where its header does.
          for (const start of starts) expect(row[start - 1]).toBe(' ');
        }
      }),
      { numRuns: 100 },
    );
  });
});
