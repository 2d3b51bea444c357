// `npm run bench filter`: 1 M rows in a PacketTable, three filters, against plain
// `records.filter(...)` over 1 M objects measured in the same run; and what the table costs.
// Run node with --expose-gc for heap numbers after collection.

import { compileFilter, filterTable } from '../../protocol/filter/compile';
import { parseFilter } from '../../protocol/filter/parser';
import { FilteredRows } from '../../protocol/filter/view';
import { encodeBatch } from '../../protocol/records/columns';
import { PacketTable } from '../../protocol/records/table';
import { ManipulateApi, PacketType } from '../../protocol/kd/constants';
import { PacketFlag } from '../../protocol/session/record';
import type { PacketRecord } from '../../protocol/session/record';

const ROWS = 1_000_000;
const BATCH = 4096;

/** Records first..first+n-1 (0-based), the same whichever way the range is cut. */
function generate(first: number, n: number): PacketRecord[] {
  const apis = Object.entries(ManipulateApi).slice(0, 12);
  const out: PacketRecord[] = new Array<PacketRecord>(n);
  let seed = 0;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let k = 0; k < n; k++) {
    const i = first + k;
    seed = Math.imul(i + 1, 0x9e3779b1) >>> 0;
    const no = i + 1;
    const common = { no, time: 1.7e12 + i * 0.37, offset: i * 40, length: 16, flags: 0 };
    const pick = rand();
    if (pick < 0.45) {
      const [apiName, api] = apis[Math.floor(rand() * apis.length)] as [string, number];
      const response = (i & 1) === 1;
      out[k] = {
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
      out[k] = {
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
      out[k] = {
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
      out[k] = {
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
  // The table first, streamed in batches as the engine sends them, with no 1 M objects alive
  // (their heap would make every GC the table triggers a full one and hide its own cost).
  const m0 = memory();
  const table = new PacketTable({ capacity: ROWS });
  let build = 0;
  for (let i = 0; i < ROWS; i += BATCH) {
    const batch = generate(i, Math.min(BATCH, ROWS - i));
    const t0 = performance.now();
    table.append(encodeBatch(batch));
    build += performance.now() - t0;
  }
  const m1 = memory();
  const est = table.memoryBytes();
  console.log(
    `PacketTable of ${table.length} rows: encoded and appended in ${Math.ceil(ROWS / BATCH)} batches in ${build.toFixed(0)} ms; ` +
      `columns ${mb(est.columns)} (${(est.columns / table.length).toFixed(0)} B/row), strings ~${mb(est.strings)}; ` +
      `measured: heap +${mb(m1.heap - m0.heap)}, array buffers +${mb(m1.buffers - m0.buffers)}` +
      (gc ? '' : ' (run with NODE_OPTIONS=--expose-gc for heap after collection)'),
  );
  const records = generate(0, ROWS);
  const m2 = memory();
  console.log(
    `baseline, 1 M PacketRecord objects: heap +${mb(m2.heap - m1.heap)} (${((m2.heap - m1.heap) / ROWS).toFixed(0)} B/row)`,
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
  // Streaming: a full table takes one more batch (dropping its oldest chunk when needed) and the
  // view catches up, against filtering the whole table again.
  const parsed = parseFilter(cases[0]?.[0] ?? '');
  if (!parsed.ok) throw new Error(parsed.error.message);
  const filter = compileFilter(parsed.ast);
  const view = new FilteredRows(table, filter);
  view.refresh();
  let next = ROWS;
  const batches = Array.from({ length: 40 }, () => {
    const b = encodeBatch(generate(next, BATCH));
    next += BATCH;
    return b;
  });
  const refreshTimes: number[] = [];
  const appendTimes: number[] = [];
  for (const b of batches) {
    const t0 = performance.now();
    table.append(b);
    const t1 = performance.now();
    view.refresh();
    refreshTimes.push(performance.now() - t1);
    appendTimes.push(t1 - t0);
  }
  const full = time(() => filterTable(table, filter).length);
  if (full.count !== view.length) throw new Error(`view ${view.length} rows, table ${full.count}`);
  console.log(
    `streaming ${BATCH}-row batches into the full table: append ${median(appendTimes).toFixed(2)} ms, ` +
      `view refresh ${median(refreshTimes).toFixed(2)} ms | refilter all ${full.ms.toFixed(1)} ms ` +
      `(ratio ${(median(refreshTimes) / full.ms).toFixed(3)}); ${table.dropped} rows dropped, first no. ${table.firstNo}`,
  );
}
