// Export Specified Packets (issue 9.6: 1 M packets in under ~2 s): a generated KD session of
// 1 M frames in the seed's pcap format, exported as the workbench does it (ExportJobs: the
// shared exporter in time-boxed steps, yielding to the event loop between them), against
// baselines on the same file in the same run: a plain file copy (the I/O floor) and
// `tshark -r IN -w OUT` (Wireshark's export of every packet). Peak RSS is sampled while each
// export runs (for tshark, GNU time's maximum resident set) and printed beside the engine's
// RSS before it.
//
// KDSCOPE_BENCH_FRAMES=1000000   frames in the generated capture

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { CaptureFormat, ExportProgress } from '../../electron/api/contract';
import { openCapture } from '../../electron/capture/capture-source';
import { PcapWriter } from '../../electron/capture/capture-writers';
import { ExportJobs, type ExportOrder } from '../../electron/engine/workbench/export-jobs';
import type { NoRange } from '../../protocol/records/no-ranges';
import { generateKdSession } from '../support/kd-session-gen';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MB = 1024 * 1024;
const FRAMES = Number(process.env.KDSCOPE_BENCH_FRAMES ?? 1_000_000);

/** FRAMES frames of generated KD conversation, one wire write each. */
function makeCapture(path: string): void {
  const writer = PcapWriter.open(path, { bufferBytes: 1 << 20 });
  let written = 0;
  let seed = 1;
  const t0 = 1_764_950_400_000_000;
  while (written < FRAMES) {
    for (const step of generateKdSession(20_000, seed++)) {
      if (written === FRAMES) break;
      writer.write({ dir: step.dir, timeUs: t0 + written * 20, bytes: step.bytes });
      written++;
    }
  }
  writer.close();
}

interface Measure {
  readonly ms: number;
  readonly peakRssMb: number;
  readonly baseRssMb: number;
  readonly frames: number;
  readonly bytes: number;
}

async function exportOnce(
  jobs: ExportJobs,
  path: string,
  out: string,
  format: CaptureFormat,
  ranges?: readonly NoRange[],
): Promise<Measure> {
  gc();
  const baseRss = process.memoryUsage().rss;
  let peak = baseRss;
  const sample = (): void => void (peak = Math.max(peak, process.memoryUsage().rss));
  // Runs while the export yields between its slices, as the engine's other work would.
  const sampler = setInterval(sample, 5);
  const start = performance.now();
  const order: ExportOrder = { format, out, ...(ranges ? { ranges } : {}) };
  const end = await new Promise<ExportProgress>((resolve) => {
    jobs.start(
      { stem: 'bench', paths: [path], kdnet: false, open: () => openCapture(path) },
      order,
      (p) => {
        sample();
        if (p.state !== 'running') resolve(p);
      },
    );
  });
  const ms = performance.now() - start;
  clearInterval(sampler);
  if (end.state !== 'done') throw new Error(`bench: export ${end.state}: ${end.error ?? ''}`);
  return {
    ms,
    peakRssMb: peak / MB,
    baseRssMb: baseRss / MB,
    frames: end.framesWritten,
    bytes: statSync(out).size,
  };
}

/** tshark -r IN -w OUT under GNU time: wall time and peak RSS, or undefined without them. */
function tshark(path: string, out: string): { ms: number; peakRssMb: number } | undefined {
  const start = performance.now();
  const run = spawnSync(
    '/usr/bin/time',
    ['-f', 'maxrss_kb=%M', 'tshark', '-r', path, '-w', out, '-F', 'pcap'],
    { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
  );
  const ms = performance.now() - start;
  const kb = /maxrss_kb=(\d+)/.exec(run.stderr ?? '')?.[1];
  if (run.status !== 0 || kb === undefined) return undefined;
  return { ms, peakRssMb: Number(kb) / 1024 };
}

const f0 = (n: number): string => n.toFixed(0);

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kdscope-bench-export-'));
  const jobs = new ExportJobs(dir);
  try {
    const path = join(dir, 'in.pcap');
    let start = performance.now();
    makeCapture(path);
    const size = statSync(path).size;
    console.log(
      `capture: ${FRAMES} frames (generated KD session), ${(size / MB).toFixed(1)} MB, written in ${f0(performance.now() - start)} ms`,
    );

    start = performance.now();
    copyFileSync(path, join(dir, 'copy.pcap'));
    const copy = performance.now() - start;
    const ts = tshark(path, join(dir, 'tshark.pcap'));
    console.log(
      `baselines: file copy ${f0(copy)} ms; ` +
        (ts
          ? `tshark -r -w ${f0(ts.ms)} ms, peak RSS ${f0(ts.peakRssMb)} MB`
          : 'tshark (under /usr/bin/time) not available'),
    );

    const line = (what: string, m: Measure): void =>
      console.log(
        `${what}: ${f0(m.ms)} ms (${(((FRAMES / m.ms) * 1000) / 1e6).toFixed(2)} M frames read/s), ${m.frames} frames written, ${(m.bytes / MB).toFixed(1)} MB; ` +
          `copy x${(m.ms / copy).toFixed(1)}` +
          (ts ? `, tshark x${(m.ms / ts.ms).toFixed(2)}` : '') +
          `; peak RSS ${f0(m.peakRssMb)} MB (${f0(m.baseRssMb)} MB before, +${f0(m.peakRssMb - m.baseRssMb)})` +
          (ts ? ` vs tshark ${f0(ts.peakRssMb)} MB` : ''),
      );

    const all = await exportOnce(jobs, path, join(dir, 'all.pcap'), 'pcap');
    if (all.frames !== FRAMES) throw new Error(`bench: exported ${all.frames} of ${FRAMES} frames`);
    line('export all -> pcap', all);
    line('export all -> pcapng', await exportOnce(jobs, path, join(dir, 'all.pcapng'), 'pcapng'));
    // Every row (the displayed rows without a filter): each record decoded and written whole.
    const every = await exportOnce(jobs, path, join(dir, 'rows.pcap'), 'pcap', [[1, 2 ** 31]]);
    line('export displayed (every row, decoded) -> pcap', every);
    // Every 10th row, as marked rows: one no. range each.
    const marked: NoRange[] = [];
    for (let no = 1; no <= every.frames; no += 10) marked.push([no, no]);
    line(
      `export marked (${marked.length} single rows) -> pcap`,
      await exportOnce(jobs, path, join(dir, 'marked.pcap'), 'pcap', marked),
    );
  } finally {
    await jobs.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
