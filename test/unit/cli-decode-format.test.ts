import fc from 'fast-check';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { COLUMNS, FLAG_SHORT, NdjsonWriter, TableWriter } from '../../electron/cli/decode-format';
import { OutputSink } from '../../electron/cli/output-sink';
import { PacketFlag, type PacketRecord } from '../../protocol/session/record';

/** Collects what the sink writes. */
function collector(): { stream: Writable; text: () => string; bytes: () => Buffer } {
  const parts: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      parts.push(Buffer.from(chunk));
      callback();
    },
  });
  return {
    stream,
    text: () => Buffer.concat(parts).toString('utf8'),
    bytes: () => Buffer.concat(parts),
  };
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

  it('writes byte for byte what JSON.stringify writes for the same fields', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(recordArb, { maxLength: 40 }),
        fc.boolean(),
        async (records, withTime) => {
          const { stream, bytes } = collector();
          const sink = new OutputSink(stream);
          const writer = new NdjsonWriter(sink, withTime);
          for (const r of records) writer.record(r);
          await sink.end();
          const reference = records.map((r) => JSON.stringify(expected(r, withTime)) + '\n');
          expect(bytes().toString('latin1')).toBe(
            Buffer.from(reference.join(''), 'utf8').toString('latin1'),
          );
        },
      ),
      { numRuns: 300 },
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

/** Free text that ends in every kind of whitespace String.trimEnd knows, and some it does not. */
const freeText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc
    .tuple(
      fc.string({ maxLength: 10 }),
      fc.constantFrom(
        ' ',
        '\t',
        '\u00a0',
        '\u2028',
        '\ufeff',
        '\u3000',
        '\u0085',
        '\u001f',
        '\ud800',
        'é',
      ),
      fc.constantFrom('', ' ', '  ', '\t\r'),
    )
    .map(([a, b, c]) => a + b + c),
);

/**
 * Records for the table: every field a packet list shows, free text in the named cells too,
 * and half of them without links, so that free text often ends the row.
 */
const tableArb: fc.Arbitrary<PacketRecord> = fc
  .tuple(
    tableRecordArb,
    optional(freeText),
    optional(fc.oneof(fc.constantFrom('ReadVirtualMemory', 'A'.repeat(30)), freeText)),
    optional(fc.oneof(fc.constantFrom('ACKNOWLEDGE', 'B'.repeat(20)), freeText)),
    fc.boolean(),
  )
  .map(([r, info, apiName, typeName, bare]) => ({
    ...r,
    ...(info === undefined ? {} : { info }),
    apiName: apiName ?? r.apiName,
    typeName: typeName ?? r.typeName,
    ...(bare ? { ack: undefined, pair: undefined, resendOf: undefined } : {}),
  }));

describe('TableWriter', () => {
  it('writes exactly the bytes of the straightforward string formatter', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(tableArb, { maxLength: 30 }),
        fc.boolean(),
        async (records, withTime) => {
          const { stream, bytes } = collector();
          const sink = new OutputSink(stream);
          const writer = new TableWriter(sink, withTime);
          writer.header();
          for (const r of records) writer.record(r);
          await sink.end();
          const reference = new ReferenceTable(withTime);
          const expected = reference.header() + records.map((r) => reference.row(r)).join('');
          // Bytes (latin1: one character per byte), not strings: a lone surrogate is U+FFFD in
          // UTF-8 either way.
          expect(bytes().toString('latin1')).toBe(Buffer.from(expected, 'utf8').toString('latin1'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps every column at its place whatever the record', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(tableRecordArb, { minLength: 1, maxLength: 30 }),
        async (records) => {
          const { stream, text } = collector();
          const sink = new OutputSink(stream);
          const writer = new TableWriter(sink, true);
          writer.header();
          for (const r of records) writer.record(r);
          await sink.end();
          const [header, ...rows] = text().split('\n');
          expect(rows.pop()).toBe('');
          expect(rows).toHaveLength(records.length);
          const starts = ['Time', 'Dir', 'Type', 'Id'].map((name) => header!.indexOf(name));
          // Columns before Api/State hold short values: each starts where its header does.
          for (const row of rows) for (const start of starts) expect(row[start - 1]).toBe(' ');
        },
      ),
      { numRuns: 100 },
    );
  });
});

// ---- the reference: the table as strings, the way it was first written (padEnd per cell,
// trimEnd per row). TableWriter must print exactly this, byte for byte.

const hex8 = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(8, '0');

function fitSeconds(seconds: number): string {
  for (const decimals of [6, 3, 0]) {
    const text = seconds.toFixed(decimals);
    if (text.length <= 12) return text;
  }
  return seconds.toExponential(3);
}

class ReferenceTable {
  private firstTime: number | undefined;

  constructor(private readonly withTime: boolean) {}

  header(): string {
    return this.line(COLUMNS.map(([name]) => name));
  }

  row(r: PacketRecord): string {
    if (this.firstTime === undefined) this.firstTime = r.time;
    const time = this.withTime ? fitSeconds((r.time - this.firstTime) / 1000) : '';
    const dir = r.dir === 'debugger->target' ? 'D→T' : 'T→D';
    let type: string;
    let id = '';
    let apiState = '';
    let status = '';
    let info = '';
    if (r.kind === 'packet') {
      type = r.typeName!;
      id = hex8(r.id!);
      apiState = r.apiName ?? r.newStateName ?? '';
      if (r.returnStatus !== undefined && r.dir === 'target->debugger')
        status = hex8(r.returnStatus);
      info = r.info ?? (r.text !== undefined ? JSON.stringify(r.text) : '');
      if (r.ack !== undefined) info += (info ? ' ' : '') + `[ack #${r.ack}]`;
      if (r.pair !== undefined)
        info +=
          (info ? ' ' : '') +
          `[pair #${r.pair}${r.rttMs !== undefined ? ` ${r.rttMs.toFixed(3)} ms` : ''}]`;
      if (r.resendOf !== undefined) info += (info ? ' ' : '') + `[of #${r.resendOf}]`;
    } else if (r.kind === 'breakin') {
      type = 'BREAKIN';
    } else {
      type = 'GARBAGE';
      info = r.garbageReason ?? '';
    }
    const flags = FLAG_SHORT.filter(([bit]) => (r.flags & bit) !== 0)
      .map(([, name]) => name)
      .join(',');
    return this.line([
      String(r.no),
      time,
      dir,
      type,
      id,
      apiState,
      status,
      String(r.length),
      flags,
      info,
    ]);
  }

  private line(cells: readonly string[]): string {
    let out = '';
    for (let i = 0; i < COLUMNS.length; i++) {
      const width = COLUMNS[i]![1];
      const cell = cells[i] ?? '';
      out += width === 0 ? cell : cell.padEnd(width) + ' ';
    }
    return out.trimEnd() + '\n';
  }
}
