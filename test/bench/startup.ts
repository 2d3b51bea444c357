// The fixed cost of a short command (`kdscope --help`, decoding a one-frame capture): Node's own
// start-up, then ours (the staleness check, loading and compiling the bundles, exit). Printed
// beside the layout before issue 12 (ES-module chunks, every source stat'ed), rebuilt here in a
// temp dir from the same sources, and beside the floors: `node` running an empty ES module,
// and `node --snapshot-blob` with a trivial user-land snapshot (what a start-up snapshot
// would cost before running anything; it also needs a second process, since the flag cannot
// be given from inside bin/kdscope.mjs).
//
// KDSCOPE_BENCH_RUNS=20   runs of each command (interleaved; medians)

import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { PcapWriter } from '../../electron/capture/capture-writers';

const ROOT = join(import.meta.dirname ?? process.cwd(), '../..');
const BIN = join(ROOT, 'bin/kdscope.mjs');

/** bin/kdscope.mjs before issue 12: one stat per bundled source, then an ES-module import. */
const BEFORE_LOADER = `#!/usr/bin/env node
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist/cli/entry.mjs');
function mtime(path) {
  return statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? -1;
}
function isStale() {
  const built = mtime(bundle);
  if (built < 0) return true;
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(join(root, 'dist/cli/inputs.json'), 'utf8'));
  } catch {
    return true;
  }
  if (!Array.isArray(inputs) || inputs.length === 0) return true;
  for (const input of inputs) {
    const time = mtime(join(root, input));
    if (time < 0 || time > built) return true;
  }
  return false;
}
if (isStale()) throw new Error('the before-layout is stale');
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(process.argv.slice(2));
`;

/** The layout before issue 12 in `dir`: sources linked, ES-module chunks as they were built. */
async function buildBefore(dir: string): Promise<string> {
  for (const part of ['electron', 'protocol', 'node_modules'])
    symlinkSync(join(ROOT, part), join(dir, part));
  mkdirSync(join(dir, 'bin'));
  const loader = join(dir, 'bin/kdscope.mjs');
  writeFileSync(loader, BEFORE_LOADER);
  const result = await build({
    entryPoints: [join(dir, 'electron/cli/entry.ts')],
    outdir: join(dir, 'dist/cli'),
    outExtension: { '.js': '.mjs' },
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    external: ['electron', 'serialport', '@serialport/*', 'koffi', 'playwright-core'],
    logLevel: 'warning',
    metafile: true,
    absWorkingDir: dir,
    banner: {
      js: "import { createRequire as __kdCreateRequire } from 'node:module'; const require = __kdCreateRequire(import.meta.url);",
    },
  });
  const inputs = Object.keys(result.metafile.inputs).filter((p) => !p.includes('node_modules'));
  writeFileSync(join(dir, 'dist/cli/inputs.json'), JSON.stringify(inputs));
  return loader;
}

interface Sample {
  readonly wallMs: number;
  readonly cpuMs?: number;
}

const BASH = '/bin/bash';

/** `0m0.052s` -> 52 */
const bashTime = (text: string): number => {
  const m = /^(\d+)m([\d.]+)s$/.exec(text);
  return m ? (Number(m[1]) * 60 + Number(m[2])) * 1000 : NaN;
};

/**
 * One run of node with `args`; CPU of the child from bash's `times` (getrusage of children,
 * to the millisecond: GNU time's %U/%S only have centiseconds).
 */
function timeOnce(args: readonly string[]): Sample {
  const viaBash = existsSync(BASH);
  const start = performance.now();
  const r = viaBash
    ? spawnSync(
        BASH,
        ['-c', '"$@" >/dev/null || exit $?; times', 'bash', process.execPath, ...args],
        {
          encoding: 'utf8',
        },
      )
    : spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const wallMs = performance.now() - start;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  if (!viaBash) return { wallMs };
  const [user, sys] = (r.stdout.trim().split('\n').at(-1) ?? '').split(' ').map(bashTime);
  return { wallMs, cpuMs: (user ?? NaN) + (sys ?? NaN) };
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

interface Variant {
  readonly name: string;
  readonly args: readonly string[];
  /** Run before each measured run (not timed). */
  readonly before?: () => void;
}

export async function run(): Promise<void> {
  const runs = Number(process.env.KDSCOPE_BENCH_RUNS ?? 20);
  const dir = mkdtempSync(join(tmpdir(), 'kdscope-bench-startup-'));
  try {
    // One frame (a break-in byte): decode refuses a capture with nothing in it (exit 2).
    const empty = join(dir, 'one-frame.pcap');
    const writer = PcapWriter.open(empty);
    writer.write({ dir: 'debugger->target', timeUs: 0, bytes: new Uint8Array([0x62]) });
    writer.close();
    const emptyModule = join(dir, 'empty.mjs');
    writeFileSync(emptyModule, '');
    const beforeDir = join(dir, 'before');
    mkdirSync(beforeDir);
    const beforeBin = await buildBefore(beforeDir);
    // A trivial user-land snapshot: the least a snapshot-based start costs.
    const snapshotEntry = join(dir, 'snapshot-entry.cjs');
    writeFileSync(
      snapshotEntry,
      "require('node:v8').startupSnapshot.setDeserializeMainFunction(() => {});\n",
    );
    const blob = join(dir, 'snapshot.blob');
    const snapshot = spawnSync(
      process.execPath,
      ['--snapshot-blob', blob, '--build-snapshot', snapshotEntry],
      { stdio: 'ignore' },
    );
    const cliDir = join(ROOT, 'dist/cli');
    const dropCaches = (): void => {
      for (const f of readdirSync(cliDir)) if (f.endsWith('.cache')) rmSync(join(cliDir, f));
    };
    const variants: Variant[] = [
      { name: 'node, an empty ES module (floor)', args: [emptyModule] },
      ...(snapshot.status === 0
        ? [{ name: 'node --snapshot-blob (trivial snapshot)', args: ['--snapshot-blob', blob] }]
        : []),
      { name: 'before: kdscope --help', args: [beforeBin, '--help'] },
      { name: 'after:  kdscope --help', args: [BIN, '--help'] },
      { name: 'before: kdscope decode ONE-FRAME', args: [beforeBin, 'decode', empty] },
      { name: 'after:  kdscope decode ONE-FRAME', args: [BIN, 'decode', empty] },
      {
        name: 'after, no code cache yet: decode ONE-FRAME',
        args: [BIN, 'decode', empty],
        before: dropCaches,
      },
    ];
    // Builds and caches what the runs use (the after-layout builds itself when stale).
    for (const v of variants) {
      v.before?.();
      timeOnce(v.args);
    }
    const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
    for (let i = 0; i < runs; i++)
      for (const v of variants) {
        v.before?.();
        samples.get(v.name)!.push(timeOnce(v.args));
      }
    // Leave a cache behind for whoever runs kdscope next.
    timeOnce([BIN, 'decode', empty]);

    const stat = (name: string, f: (s: Sample) => number | undefined): number | undefined => {
      const xs = samples
        .get(name)!
        .map(f)
        .filter((x): x is number => x !== undefined);
      return xs.length > 0 ? median(xs) : undefined;
    };
    const cpuOrWall = (name: string): number =>
      stat(name, (s) => s.cpuMs) ?? stat(name, (s) => s.wallMs)!;
    console.log(
      `${runs} interleaved runs each, medians${existsSync(BASH) ? ' (CPU: getrusage of the child, via bash times)' : ''}:`,
    );
    for (const v of variants) {
      const cpu = stat(v.name, (s) => s.cpuMs);
      console.log(
        `  ${v.name.padEnd(42)} ${stat(v.name, (s) => s.wallMs)!
          .toFixed(0)
          .padStart(
            5,
          )} ms wall${cpu === undefined ? '' : `, ${cpu.toFixed(0).padStart(4)} ms CPU`}`,
      );
    }
    const floor = cpuOrWall(variants[0]!.name);
    for (const what of ['kdscope --help', 'kdscope decode ONE-FRAME']) {
      const before = cpuOrWall(`before: ${what}`) - floor;
      const after = cpuOrWall(`after:  ${what}`) - floor;
      console.log(
        `${what}: ours above node's floor ${before.toFixed(0)} ms before, ${after.toFixed(0)} ms after (${((1 - after / before) * 100).toFixed(0)}% less)`,
      );
    }
    if (process.env.NODE_EXTRA_CA_CERTS)
      console.log(
        'note: NODE_EXTRA_CA_CERTS is set: Node loads those certificates at every start (part of the floor)',
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
