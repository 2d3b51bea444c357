// `kdscope decode` and `kdscope export` at any size: generated seed-format captures of ~18 MB,
// ~180 MB and ~1.8 GB (copies of decode-cli.ts's session, in a temp dir deleted after), each
// command to /dev/null and piped into another process (`| cat`), with MB/s, CPU and peak RSS,
// beside tshark (-T fields) and tshark with our KD Lua dissector from the same run.
// Targets: time linear in size, memory flat, piping costing little, >= 20x tshark + Lua.
//
// KDSCOPE_BENCH_COPIES=1,10,100   sizes, in copies of the ~18 MB session (default 1,10,100)
// KDSCOPE_BENCH_TSHARK_COPIES=1   sizes up to which tshark runs too (default 1: ~15 s per
//                                  run with the Lua dissector at 18 MB; 0: none); above it,
//                                  ratios use tshark's MB/s at the largest size it ran at (~)

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateScaledCapture, type GeneratedCapture } from './decode-cli';

const ROOT = join(import.meta.dirname ?? process.cwd(), '../..');
const BIN = join(ROOT, 'bin/kdscope.mjs');
const LUA = join(ROOT, 'resources/wireshark/kdscope.lua');
const GNU_TIME = '/usr/bin/time';

interface Measurement {
  readonly wallMs: number;
  /** User + system CPU of the measured process (GNU time), when that tool is there. */
  readonly cpuMs?: number;
  /** Peak resident set of the measured process, KiB (GNU time). */
  readonly peakKb?: number;
  /** Resident set sampled every 100 ms, KiB (from /proc; empty elsewhere). */
  readonly rssKb: readonly number[];
}

/** The pid of the process GNU time started (its only child), once it is there. */
function childOf(pid: number): number | undefined {
  try {
    const ids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
    const child = Number(ids[0]);
    return Number.isInteger(child) && child > 0 ? child : undefined;
  } catch {
    return undefined;
  }
}

function rssKb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const exited = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => child.once('close', (code) => resolve(code)));

/**
 * Runs `command` with stdout to /dev/null or into `cat`, under GNU time when it is there;
 * wall time covers the whole pipeline (the reader finishing too).
 */
async function measure(
  dir: string,
  command: string,
  args: readonly string[],
  piped: boolean,
): Promise<Measurement> {
  const report = join(dir, 'time.txt');
  rmSync(report, { force: true });
  const timed = existsSync(GNU_TIME);
  const devNull = openSync('/dev/null', 'w');
  const reader = piped ? spawn('cat', [], { stdio: ['pipe', devNull, 'ignore'] }) : undefined;
  const start = performance.now();
  const child = spawn(
    timed ? GNU_TIME : command,
    timed ? ['-f', '%U %S %M', '-o', report, command, ...args] : args,
    { stdio: ['ignore', reader ? reader.stdin! : devNull, 'pipe'] },
  );
  // The reader's only writer is now the child: it sees the end when the child exits.
  reader?.stdin!.destroy();
  closeSync(devNull);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const samples: number[] = [];
  const sampler = setInterval(() => {
    const pid = timed ? childOf(child.pid!) : child.pid;
    const kb = pid === undefined ? undefined : rssKb(pid);
    if (kb !== undefined) samples.push(kb);
  }, 100);
  const [status] = await Promise.all([exited(child), reader ? exited(reader) : undefined]);
  const wallMs = performance.now() - start;
  clearInterval(sampler);
  if (status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${status}: ${stderr.slice(-500)}`);
  if (!timed) return { wallMs, rssKb: samples };
  const [user, sys, peak] = readFileSync(report, 'utf8').trim().split('\n').at(-1)!.split(' ');
  return {
    wallMs,
    cpuMs: (Number(user) + Number(sys)) * 1000,
    peakKb: Number(peak),
    rssKb: samples,
  };
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

function medianOf(runs: readonly Measurement[]): Measurement {
  const pick = (f: (m: Measurement) => number | undefined): number | undefined => {
    const xs = runs.map(f).filter((x): x is number => x !== undefined);
    return xs.length > 0 ? median(xs) : undefined;
  };
  const cpuMs = pick((m) => m.cpuMs);
  const peakKb = pick((m) => m.peakKb);
  return {
    wallMs: pick((m) => m.wallMs)!,
    ...(cpuMs !== undefined ? { cpuMs } : {}),
    ...(peakKb !== undefined ? { peakKb } : {}),
    rssKb: runs.at(-1)!.rssKb,
  };
}

interface Mode {
  readonly name: string;
  readonly tool: 'kdscope' | 'tshark' | 'tshark+lua';
  readonly piped: boolean;
  /** Command and arguments for a capture; `out` is a scratch file it may write. */
  readonly command: (capture: string, out: string) => readonly [string, readonly string[]];
}

const kdscope =
  (...rest: string[]) =>
  (capture: string, out: string): readonly [string, readonly string[]] => [
    process.execPath,
    [BIN, ...rest.map((a) => (a === 'CAPTURE' ? capture : a === 'OUT' ? out : a))],
  ];

const MODES: readonly Mode[] = [
  {
    name: 'decode ndjson > /dev/null',
    tool: 'kdscope',
    piped: false,
    command: kdscope('decode', 'CAPTURE'),
  },
  {
    name: 'decode ndjson | cat',
    tool: 'kdscope',
    piped: true,
    command: kdscope('decode', 'CAPTURE'),
  },
  {
    name: 'decode table > /dev/null',
    tool: 'kdscope',
    piped: false,
    command: kdscope('decode', 'CAPTURE', '--format', 'table'),
  },
  {
    name: 'decode table | cat',
    tool: 'kdscope',
    piped: true,
    command: kdscope('decode', 'CAPTURE', '--format', 'table'),
  },
  {
    name: 'export (all frames)',
    tool: 'kdscope',
    piped: false,
    command: kdscope('export', 'CAPTURE', '--out', 'OUT'),
  },
  {
    name: 'export --filter',
    tool: 'kdscope',
    piped: false,
    command: kdscope('export', 'CAPTURE', '--out', 'OUT', '--filter', 'type == STATE_MANIPULATE'),
  },
  {
    name: 'tshark -T fields > /dev/null',
    tool: 'tshark',
    piped: false,
    command: (capture) => ['tshark', ['-r', capture, '-T', 'fields', '-e', 'frame.number']],
  },
  {
    name: 'tshark + KD Lua > /dev/null',
    tool: 'tshark+lua',
    piped: false,
    command: (capture) => [
      'tshark',
      ['-X', `lua_script:${LUA}`, '-r', capture, '-T', 'fields', '-e', 'kd.type'],
    ],
  },
  {
    name: 'tshark + KD Lua | cat',
    tool: 'tshark+lua',
    piped: true,
    command: (capture) => [
      'tshark',
      ['-X', `lua_script:${LUA}`, '-r', capture, '-T', 'fields', '-e', 'kd.type'],
    ],
  },
];

function sizesFromEnv(name: string, fallback: readonly number[]): number[] {
  const text = process.env[name];
  if (!text) return [...fallback];
  const sizes = text.split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 0))
    throw new Error(`${name}: copies as whole numbers, e.g. 1,10,100 (got '${text}')`);
  return sizes;
}

const mb = (bytes: number): number => bytes / 1e6;
const ms = (x: number): string => `${x.toFixed(0)} ms`;
const fixed = (x: number | undefined, digits = 0): string =>
  x === undefined ? 'n/a' : x.toFixed(digits);

interface SizeResult {
  readonly capture: GeneratedCapture;
  readonly results: ReadonlyMap<string, Measurement>;
}

/** MB/s of `mode` (wall) at this size, or at the largest size tshark ran at (approximate). */
function baselineRate(
  all: readonly SizeResult[],
  size: SizeResult,
  mode: string,
): { rate: number; approximate: boolean } | undefined {
  const here = size.results.get(mode);
  if (here) return { rate: mb(size.capture.bytes) / (here.wallMs / 1000), approximate: false };
  const measured = all.filter((s) => s.results.has(mode));
  const last = measured.at(-1);
  if (!last) return undefined;
  return {
    rate: mb(last.capture.bytes) / (last.results.get(mode)!.wallMs / 1000),
    approximate: true,
  };
}

function printSize(all: readonly SizeResult[], size: SizeResult): void {
  const { capture, results } = size;
  console.log(
    `\n${mb(capture.bytes).toFixed(0)} MB capture (${capture.frames} frames, ${capture.packets} KD packets)`,
  );
  console.log(
    `  ${'command'.padEnd(30)} ${'wall'.padStart(9)} ${'MB/s'.padStart(6)} ${'CPU'.padStart(9)} ${'peak RSS'.padStart(9)}   vs tshark+Lua (same output)`,
  );
  for (const mode of MODES) {
    const m = results.get(mode.name);
    if (!m) continue;
    let ratio = '';
    if (mode.tool === 'kdscope') {
      const lua = baselineRate(
        all,
        size,
        mode.piped ? 'tshark + KD Lua | cat' : 'tshark + KD Lua > /dev/null',
      );
      if (lua) {
        const rate = mb(capture.bytes) / (m.wallMs / 1000);
        ratio = `${lua.approximate ? '~' : ''}${(rate / lua.rate).toFixed(1)}x`;
      }
    } else ratio = '(baseline)';
    console.log(
      `  ${mode.name.padEnd(30)} ${ms(m.wallMs).padStart(9)} ${(mb(capture.bytes) / (m.wallMs / 1000)).toFixed(0).padStart(6)} ${(m.cpuMs === undefined ? 'n/a' : ms(m.cpuMs)).padStart(9)} ${(m.peakKb === undefined ? 'n/a' : `${(m.peakKb / 1024).toFixed(0)} MB`).padStart(9)}   ${ratio}`,
    );
  }
}

/**
 * How time and memory grew with size. Time is a fixed start-up cost plus a cost per byte, so
 * linear means the same MB/s from one size to the next ("marginal"), not the same total MB/s.
 */
function printScaling(all: readonly SizeResult[]): void {
  if (all.length < 2) return;
  console.log('\nscaling (marginal MB/s: extra bytes over extra time from one size to the next):');
  for (const mode of MODES.filter((m) => m.tool === 'kdscope')) {
    const parts: string[] = [];
    for (let i = 1; i < all.length; i++) {
      const a = all[i - 1]!;
      const b = all[i]!;
      const ta = a.results.get(mode.name)!;
      const tb = b.results.get(mode.name)!;
      const rate = mb(b.capture.bytes - a.capture.bytes) / ((tb.wallMs - ta.wallMs) / 1000);
      parts.push(
        `${mb(a.capture.bytes).toFixed(0)}->${mb(b.capture.bytes).toFixed(0)} MB ${rate.toFixed(0)} MB/s`,
      );
    }
    const peaks = all
      .map((s) => fixed((s.results.get(mode.name)!.peakKb ?? NaN) / 1024))
      .join(' / ');
    console.log(`  ${mode.name.padEnd(30)} ${parts.join(', ')}; peak RSS ${peaks} MB`);
  }
  const largest = all.at(-1)!;
  const samples = largest.results.get(MODES[0]!.name)?.rssKb ?? [];
  if (samples.length >= 8) {
    const quarter = samples.length >> 2;
    const maxOf = (xs: readonly number[]): string => (Math.max(...xs) / 1024).toFixed(0);
    console.log(
      `  ${MODES[0]!.name} on ${mb(largest.capture.bytes).toFixed(0)} MB, RSS sampled every 100 ms: max ${maxOf(samples.slice(0, quarter))} MB in the first quarter of the run, ${maxOf(samples.slice(quarter, 2 * quarter))} / ${maxOf(samples.slice(2 * quarter, 3 * quarter))} / ${maxOf(samples.slice(3 * quarter))} MB in the others`,
    );
  }
}

export async function run(): Promise<void> {
  const copies = sizesFromEnv('KDSCOPE_BENCH_COPIES', [1, 10, 100]);
  const tsharkUpTo = Math.max(...sizesFromEnv('KDSCOPE_BENCH_TSHARK_COPIES', [1]));
  const dir = mkdtempSync(join(tmpdir(), 'kdscope-bench-scale-'));
  const all: SizeResult[] = [];
  try {
    // Builds the bundles if stale, so no run below pays for it.
    await measure(dir, process.execPath, [BIN, '--help'], false);
    for (const n of copies) {
      const path = join(dir, `session-x${n}.pcap`);
      const started = performance.now();
      const capture = generateScaledCapture(path, n);
      console.log(
        `\ngenerated ${path.split('/').at(-1)}: ${mb(capture.bytes).toFixed(0)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      const results = new Map<string, Measurement>();
      const out = join(dir, 'export.pcap');
      for (const mode of MODES) {
        if (mode.tool !== 'kdscope' && n > tsharkUpTo) continue;
        const runs = mode.tool === 'kdscope' && n === 1 ? 3 : 1;
        const measured: Measurement[] = [];
        for (let i = 0; i < runs; i++) {
          const [command, args] = mode.command(path, out);
          measured.push(await measure(dir, command, args, mode.piped));
          rmSync(out, { force: true });
        }
        results.set(mode.name, medianOf(measured));
      }
      const size = { capture, results };
      all.push(size);
      printSize(all, size);
      rmSync(path, { force: true });
    }
    printScaling(all);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
