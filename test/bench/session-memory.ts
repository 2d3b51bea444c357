// Memory of one long session in the engine (issue 12.4): KD conversations flood through what a
// live session runs per chunk (the recorder writing a real pcap, the capture index, the session
// decoder keeping bytes for the UI, the workbench's row store sealing batches for the windows),
// in process and without sockets so that millions of packets pass in seconds. Heap and RSS are
// sampled (after a GC) every million packets; the slope in MB per million packets is printed
// (heap + external, i.e. what the engine holds, and RSS) for the bounded store (the default,
// 1 M rows; the slope counted once it is full) and, in the same run, for a baseline that keeps
// every row (only the first KDSCOPE_BENCH_BASELINE packets). Then a page of old rows is read
// back from the capture, to show they are still there.
//
// KDSCOPE_BENCH_PACKETS=10000000   packets in the bounded run (default 10 M)
// KDSCOPE_BENCH_BASELINE=2000000   packets in the unbounded baseline (default 2 M)

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { encodeReset } from '../../protocol/kd/encoder';
import type { PacketRecord } from '../../protocol/session/record';
import type { RecordSink, TapHost } from '../../electron/engine/bridge/types';
import { Recorder } from '../../electron/engine/bridge/recorder';
import { indexRecording } from '../../electron/engine/session/capture-index';
import { CapturePager } from '../../electron/engine/session/capture-pager';
import {
  PAGED_BYTES_PER_DIRECTION,
  sessionBridgeDecoder,
} from '../../electron/engine/session/decoder';
import { BatchStore } from '../../electron/engine/workbench/batch-store';
import { encodeRecords } from '../../electron/engine/workbench/workbench';
import { generateKdSession, type WireStep } from '../support/kd-session-gen';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MB = 1024 * 1024;

interface Sample {
  readonly packets: number;
  /** JS heap and external memory (typed arrays) in use after a GC. */
  readonly heapMb: number;
  readonly rssMb: number;
}

function sample(packets: number): Sample {
  gc();
  const m = process.memoryUsage();
  // Batches and byte logs are typed arrays: outside the JS heap, in `external`.
  return { packets, heapMb: (m.heapUsed + m.external) / MB, rssMb: m.rss / MB };
}

/** Least-squares slope of y over packets, per million packets. */
function slope(samples: readonly Sample[], y: (s: Sample) => number): number {
  const n = samples.length;
  if (n < 2) return NaN;
  const xs = samples.map((s) => s.packets / 1e6);
  const ys = samples.map(y);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return num / den;
}

/** A block of conversation that starts with a RESET both ways, so it can be replayed. */
function block(): WireStep[] {
  return [
    { dir: 'debugger->target', bytes: encodeReset() },
    { dir: 'target->debugger', bytes: encodeReset() },
    ...generateKdSession(20_000, 7),
  ];
}

interface RunResult {
  readonly samples: Sample[];
  readonly packets: number;
  readonly ms: number;
  readonly captureMb: number;
  readonly indexKb: number;
  readonly pageMs: number;
  readonly pageRows: number;
}

function runSession(dir: string, packets: number, capacityRows: number, every: number): RunResult {
  const steps = block();
  const path = join(dir, `session-${capacityRows}.pcap`);
  // 1 GiB is the workbench's default limit; this bench lets the capture grow to what it needs.
  const recorder = Recorder.open(path, 'pcap');
  const host: TapHost = { report: () => undefined };
  recorder.bind(host);
  // As a recorded LiveSession keeps them.
  const decoder = sessionBridgeDecoder({
    keepBytes: { bytesPerDirection: PAGED_BYTES_PER_DIRECTION },
  });
  const indexed = indexRecording(recorder, decoder);
  const store = new BatchStore({ encode: encodeRecords, capacityRows });
  let count = 0;
  const sink: RecordSink = {
    record: (r: PacketRecord) => {
      store.add(r);
      count++;
    },
    update: (r: PacketRecord) => store.update(r),
  };
  const samples: Sample[] = [sample(0)];
  let next = every;
  let time = 1_700_000_000_000;
  const t0 = performance.now();
  outer: for (;;) {
    for (const step of steps) {
      time += 0.05;
      const chunk = { dir: step.dir, timeUs: Math.round(time * 1000), bytes: step.bytes };
      indexed.tap.write([chunk]);
      indexed.decoder.push(step.dir, step.bytes, time, sink);
      if (count >= next) {
        samples.push(sample(count));
        next += every;
      }
      if (count >= packets) break outer;
    }
  }
  indexed.decoder.flush(sink);
  store.seal();
  const ms = performance.now() - t0;
  const captureMb = recorder.bytesWritten / MB;
  const pager = new CapturePager(indexed.index);
  const p0 = performance.now();
  const page = pager.read(Math.floor(count / 3), 256);
  const pageMs = performance.now() - p0;
  const indexKb = indexed.index.memoryBytes() / 1024;
  indexed.tap.close();
  store.dispose();
  return { samples, packets: count, ms, captureMb, indexKb, pageMs, pageRows: page.records.length };
}

/** Slopes over the samples from `from` packets on (the bounded store fills its first 1 M). */
function report(name: string, r: RunResult, from = 0): { heap: number; rss: number } {
  const tail = r.samples.filter((s) => s.packets >= from);
  const heap = slope(tail, (s) => s.heapMb);
  const rss = slope(tail, (s) => s.rssMb);
  const last = r.samples.at(-1)!;
  console.log(
    `${name}: ${(r.packets / 1e6).toFixed(1)} M packets in ${(r.ms / 1000).toFixed(1)} s ` +
      `(${((r.packets / r.ms) * 1000).toFixed(0)} packets/s), capture ${r.captureMb.toFixed(0)} MB, ` +
      `index ${r.indexKb.toFixed(0)} KiB`,
  );
  console.log(
    `  heap+external ${last.heapMb.toFixed(0)} MB, RSS ${last.rssMb.toFixed(0)} MB at the end; ` +
      `slope${from > 0 ? ` from ${(from / 1e6).toFixed(1)} M on` : ''}: heap+external ${heap.toFixed(1)} MB/M packets, RSS ${rss.toFixed(1)} MB/M packets`,
  );
  console.log(
    `  samples (M packets: heap+external/RSS MB): ${r.samples
      .map((s) => `${(s.packets / 1e6).toFixed(1)}: ${s.heapMb.toFixed(0)}/${s.rssMb.toFixed(0)}`)
      .join(', ')}`,
  );
  console.log(
    `  a page of 256 old rows read back from the capture: ${r.pageRows} rows in ${r.pageMs.toFixed(1)} ms`,
  );
  return { heap, rss };
}

export async function run(): Promise<void> {
  const packets = Number(process.env.KDSCOPE_BENCH_PACKETS ?? 10_000_000);
  const baseline = Number(process.env.KDSCOPE_BENCH_BASELINE ?? 2_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'kdscope-session-memory-'));
  try {
    const every = Math.max(100_000, Math.floor(Math.min(packets, baseline) / 10));
    const unbounded = report(
      'baseline, every row kept',
      runSession(dir, baseline, Number.MAX_SAFE_INTEGER, Math.floor(every / 2)),
    );
    rmSync(join(dir, `session-${Number.MAX_SAFE_INTEGER}.pcap`), { force: true });
    const bounded = report(
      'bounded (1 M rows in the store)',
      runSession(dir, packets, 1_000_000, Math.max(every, Math.floor(packets / 20))),
      Math.min(2_000_000, packets / 2),
    );
    console.log(
      `slope ratio bounded/baseline: heap+external ${(bounded.heap / unbounded.heap).toFixed(3)}, ` +
        `RSS ${(bounded.rss / unbounded.rss).toFixed(3)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
