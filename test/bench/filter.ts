// `npm run bench filter`: 1 M rows in a PacketTable, three filters, against plain
// `records.filter(...)` over 1 M objects measured in the same run; and what the table costs.
// Run node with --expose-gc for heap numbers after collection.

import { compileFilter, filterTable } from '../../protocol/filter/compile';
import { parseFilter } from '../../protocol/filter/parser';
import { encodeBatch } from '../../protocol/records/columns';
import { PacketTable } from '../../protocol/records/table';
import { ManipulateApi, PacketType } from '../../protocol/kd/constants';
import { PacketFlag } from '../../protocol/session/record';
import type { PacketRecord } from '../../protocol/session/record';

const ROWS = 1_000_000;
const BATCH = 4096;

function generate(n: number): PacketRecord[] {
  const apis = Object.entries(ManipulateApi).slice(0, 12);
  const out: PacketRecord[] = new Array<PacketRecord>(n);
  let seed = 12345;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < n; i++) {
    const no = i + 1;
    const common = { no, time: 1.7e12 + i * 0.37, offset: i * 40, length: 16, flags: 0 };
    const pick = rand();
    if (pick < 0.45) {
      const [apiName, api] = apis[Math.floor(rand() * apis.length)] as [string, number];
      const response = (i & 1) === 1;
      out[i] = {
        ...common,
        dir: response ? 'target->debugger' : 'debugger->target',
        kind: 'packet',
        leader: 'data',
        type: PacketType.STATE_MANIPULATE,
        typeName: 'STATE_MANIPULATE',
        id: 0x80800000 + (i & 1),
        byteCount: 56,
        checksumOk: rand() > 0.001,
        api,
        apiName,
        returnStatus: 0,
        pair: response ? no - 1 : no + 1,
        ...(response ? { rttMs: rand() * 10 } : {}),
        info: `${apiName} 0xfffff800\`${(0x12340000 + i * 0x100).toString(16)} len 0x100`,
      };
    } else if (pick < 0.9) {
      out[i] = {
        ...common,
        dir: 'target->debugger',
        kind: 'packet',
        leader: 'control',
        type: PacketType.ACKNOWLEDGE,
        typeName: 'ACKNOWLEDGE',
        id: 0x80800000,
        byteCount: 0,
        checksumOk: true,
        ack: Math.max(1, no - 1),
      };
    } else if (pick < 0.99) {
      out[i] = {
        ...common,
        dir: 'target->debugger',
        kind: 'packet',
        leader: 'data',
        type: PacketType.DEBUG_IO,
        typeName: 'DEBUG_IO',
        id: 0x80800001,
        byteCount: 40,
        checksumOk: true,
        api: 0x3230,
        apiName: 'PrintString',
        text: `driver message ${Math.floor(rand() * 200)}${rand() < 0.1 ? ' hello' : ''}\n`,
        flags: rand() < 0.02 ? PacketFlag.RETRANSMIT : 0,
      };
    } else {
      out[i] = {
        ...common,
        dir: 'debugger->target',
        kind: 'breakin',
        length: 1,
        flags: PacketFlag.BREAKIN,
      };
    }
  }
  return out;
}

const gc = (globalThis as { gc?: () => void }).gc;
function memory(): { heap: number; buffers: number } {
  gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}
const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

function median(times: number[]): number {
  const s = [...times].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function time(fn: () => number, runs = 7): { ms: number; count: number } {
  let count = 0;
  const times: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    count = fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), count };
}

export async function run(): Promise<void> {
  const m0 = memory();
  const records = generate(ROWS);
  const m1 = memory();
  console.log(
    `1M PacketRecord objects: heap ${mb(m1.heap - m0.heap)} (${((m1.heap - m0.heap) / ROWS).toFixed(0)} B/row)`,
  );

  const t0 = performance.now();
  const table = new PacketTable({ capacity: ROWS });
  for (let i = 0; i < ROWS; i += BATCH) table.append(encodeBatch(records.slice(i, i + BATCH)));
  const build = performance.now() - t0;
  const m2 = memory();
  const est = table.memoryBytes();
  console.log(
    `PacketTable of ${table.length} rows: built from ${Math.ceil(ROWS / BATCH)} batches in ${build.toFixed(0)} ms; ` +
      `columns ${mb(est.columns)} (${(est.columns / table.length).toFixed(0)} B/row), strings ~${mb(est.strings)}; ` +
      `measured: heap +${mb(m2.heap - m1.heap)}, array buffers +${mb(m2.buffers - m1.buffers)}` +
      (gc ? '' : ' (no --expose-gc: heap numbers include garbage)'),
  );

  const cases: [string, (r: PacketRecord) => boolean][] = [
    [
      'type == STATE_MANIPULATE && api == ReadVirtualMemory',
      (r) => r.type === 2 && r.api === 0x3130,
    ],
    [
      '!checksumOk || rtt > 5',
      (r) => r.checksumOk === false || (r.rttMs !== undefined && r.rttMs > 5),
    ],
    [
      'text contains "hello"',
      (r) => r.text !== undefined && r.text.toLowerCase().includes('hello'),
    ],
  ];
  for (const [src, plain] of cases) {
    const parsed = parseFilter(src);
    if (!parsed.ok) throw new Error(`${src}: ${parsed.error.message}`);
    const filter = compileFilter(parsed.ast);
    const objects = records;
    const baseline = time(() => objects.filter(plain).length);
    const onRecords = time(() => objects.filter((r) => filter.matchRecord(r)).length);
    const onTable = time(() => filterTable(table, filter).length);
    if (onTable.count !== baseline.count || onRecords.count !== baseline.count) {
      throw new Error(
        `${src}: table ${onTable.count}, records ${onRecords.count}, plain ${baseline.count}`,
      );
    }
    console.log(
      `${src.padEnd(54)} ${String(onTable.count).padStart(7)} rows | table ${onTable.ms.toFixed(1)} ms` +
        ` | plain JS filter ${baseline.ms.toFixed(1)} ms (ratio ${(onTable.ms / baseline.ms).toFixed(2)})` +
        ` | compiled over objects ${onRecords.ms.toFixed(1)} ms`,
    );
  }
  records.length = 0; // frees the objects: what is left is the table
  const m3 = memory();
  console.log(`after dropping the objects: heap ${mb(m3.heap)}, array buffers ${mb(m3.buffers)}`);
}
