// What counting the whole capture's I/O graph (packets and bytes per direction per bin) costs
// the pass that opens it: an opened capture read as the workbench reads it (decoded, indexed
// for paging, rows into the batch store the UI streams from), with the rate bins and without
// (the baseline), in interleaved rounds on the same generated capture.
//
// KDSCOPE_BENCH_MB=8   megabytes of KD stream per direction (default 8: a ~18 MB capture)

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchStore } from '../../electron/engine/workbench/batch-store';
import {
  CaptureReading,
  openForView,
  sourceSpec,
} from '../../electron/engine/workbench/capture-reading';
import { encodeRecords } from '../../electron/engine/workbench/workbench';
import { writeGeneratedSession } from '../support/pcap-fixtures';

const ROUNDS = 5;

async function open(path: string, rates: boolean): Promise<{ ms: number; bins: number }> {
  const t0 = performance.now();
  const spec = sourceSpec({ path });
  const reading = new CaptureReading(spec, openForView(spec), undefined, { rates });
  const store = new BatchStore({ encode: encodeRecords });
  await reading.run({
    record: (r) => store.add(r),
    update: (r) => store.update(r),
    progress: () => undefined,
  });
  store.seal();
  const ms = performance.now() - t0;
  store.dispose();
  const series = reading.rates?.series(true);
  return { ms, bins: series ? series['debugger->target'].packets.length : 0 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function run(): Promise<void> {
  const mb = Number(process.env.KDSCOPE_BENCH_MB ?? 8);
  const dir = mkdtempSync(join(tmpdir(), 'kdscope-bench-rates-'));
  try {
    const path = writeGeneratedSession(join(dir, 'large.pcap'), mb * 1024 * 1024, 7, 900);
    const size = statSync(path).size / (1024 * 1024);
    // Warm both once, then rounds in turn (the order swapped every other round).
    await open(path, false);
    await open(path, true);
    const without: number[] = [];
    const withRates: number[] = [];
    let bins = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 === 0 ? [false, true] : [true, false];
      for (const rates of order) {
        const r = await open(path, rates);
        (rates ? withRates : without).push(r.ms);
        if (rates) bins = r.bins;
      }
    }
    const a = median(without);
    const b = median(withRates);
    console.log(`opened capture ${size.toFixed(1)} MB, read whole, median of ${ROUNDS} rounds`);
    console.log(`without the rate bins (baseline): ${a.toFixed(0)} ms`);
    console.log(
      `with the rate bins:               ${b.toFixed(0)} ms (${(b / a).toFixed(3)}x; ${bins} bins)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
