// bin/kdscope.mjs in a checkout of its own (a copy of the sources, node_modules linked): the
// first run builds the bundles, later runs use them and their V8 code caches, an edited source
// means a rebuild, and a damaged cache, manifest or bundle never breaks a command.
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_BASIC } from '../fixtures/session-basic';
import { makeTempDir, writeCapture, type TempDir } from '../support/pcap-fixtures';

const ROOT = join(import.meta.dirname, '../..');

interface Manifest {
  builtAt: number;
  entry: string;
  shared: string[];
  bundles: Record<string, { file: string; inputs: string[] }>;
}

let tmp: TempDir;
let checkout: string;
let capture: string;
/** What the decode prints, from the project's own checkout. */
let expected: string;

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(checkout, 'bin/kdscope.mjs'), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const cliDir = (): string => join(checkout, 'dist/cli');
const manifest = (): Manifest =>
  JSON.parse(readFileSync(join(cliDir(), 'manifest.json'), 'utf8')) as Manifest;
const cacheOf = (name: string): string => {
  const file = manifest().bundles[name]!.file;
  const cache = readdirSync(cliDir()).find((f) => f.startsWith(`${file}.`) && f.endsWith('.cache'));
  if (!cache) throw new Error(`no code cache for ${file}`);
  return join(cliDir(), cache);
};

function decodesAsExpected(): void {
  const r = run('decode', capture);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(expected);
}

beforeAll(() => {
  tmp = makeTempDir('kdscope-bundle-');
  checkout = join(tmp.dir, 'checkout');
  mkdirSync(join(checkout, 'scripts'), { recursive: true });
  for (const part of ['bin', 'electron', 'protocol', 'package.json', 'scripts/build-cli.mjs'])
    cpSync(join(ROOT, part), join(checkout, part), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
  capture = tmp.file('basic.pcap');
  writeCapture(
    capture,
    SESSION_BASIC.map((s) => ({ dir: s.dir, timeUs: s.timeMs * 1000, bytes: s.bytes })),
  );
  const reference = spawnSync(
    process.execPath,
    [join(ROOT, 'bin/kdscope.mjs'), 'decode', capture],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  expect(reference.status).toBe(0);
  expected = reference.stdout;
});
afterAll(() => tmp.cleanup());

describe('bin/kdscope.mjs and its bundles', () => {
  it('builds on first use in a fresh checkout, then writes a code cache per bundle it ran', () => {
    expect(existsSync(cliDir())).toBe(false);
    decodesAsExpected();
    const m = manifest();
    expect(Object.keys(m.bundles)).toEqual(expect.arrayContaining(['entry', 'decode', 'export']));
    for (const name of ['entry', 'decode', ...m.shared])
      expect(existsSync(cacheOf(name))).toBe(true);
    // A second run uses them and does not rebuild.
    decodesAsExpected();
    expect(manifest().builtAt).toBe(m.builtAt);
  });

  it('bundles no module twice: the entry and the commands share one copy of command.ts', () => {
    const m = manifest();
    const entryInputs = new Set(m.bundles[m.entry]!.inputs);
    for (const [name, bundle] of Object.entries(m.bundles)) {
      if (name === m.entry || m.shared.includes(name)) continue;
      expect(bundle.inputs.filter((input) => entryInputs.has(input))).toEqual([]);
      expect(bundle.inputs).not.toContain('electron/cli/command.ts');
    }
    // A command's UsageError is main's: one line and exit 2, not a stack trace.
    const bad = run('decode', tmp.file('missing.pcap'));
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('treats a damaged, truncated or foreign code cache as missing, and writes a good one', () => {
    const cache = cacheOf('decode');
    const good = readFileSync(cache);
    const flipped = Buffer.from(good);
    for (let i = 64; i < flipped.length; i += 997) flipped[i] = flipped[i]! ^ 0xff;
    const damages: [string, Buffer][] = [
      ['bytes flipped, same length', flipped],
      ['truncated', good.subarray(0, good.length >> 1)],
      ['empty', Buffer.alloc(0)],
      ['another bundle’s cache', readFileSync(cacheOf('entry'))],
    ];
    for (const [what, bytes] of damages) {
      writeFileSync(cache, bytes);
      try {
        decodesAsExpected();
      } catch (error) {
        throw new Error(`with a cache ${what}: ${String(error)}`, { cause: error });
      }
      expect(readFileSync(cache).equals(bytes), what).toBe(false);
    }
    decodesAsExpected();
  });

  it('rebuilds when a source of the command or the entry changes, not for another command', () => {
    const before = manifest();
    // Another command's source: decode's check does not stat it.
    const later = new Date(Date.now() + 1000);
    utimesSync(join(checkout, 'electron/cli/vms.ts'), later, later);
    decodesAsExpected();
    expect(manifest().builtAt).toBe(before.builtAt);
    // A source decode was built from, touched: rebuilt, same bundle (same content).
    const format = join(checkout, 'electron/cli/decode-format.ts');
    utimesSync(format, later, later);
    decodesAsExpected();
    const touched = manifest();
    expect(touched.builtAt).toBeGreaterThan(before.builtAt);
    expect(touched.bundles.decode!.file).toBe(before.bundles.decode!.file);
    // Edited: a new bundle file; the previous build's files stay for processes still using it.
    appendFileSync(format, '\n// edited\n');
    decodesAsExpected();
    const edited = manifest();
    expect(edited.bundles.decode!.file).not.toBe(before.bundles.decode!.file);
    expect(existsSync(join(cliDir(), before.bundles.decode!.file))).toBe(true);
    // One more build: the oldest one goes.
    appendFileSync(format, '// edited again\n');
    decodesAsExpected();
    expect(existsSync(join(cliDir(), before.bundles.decode!.file))).toBe(false);
    expect(existsSync(join(cliDir(), edited.bundles.decode!.file))).toBe(true);
    // The shared module is checked for every command.
    const shared = join(checkout, 'electron/cli/command.ts');
    const sharedLater = new Date(Date.now() + 2000);
    utimesSync(shared, sharedLater, sharedLater);
    const beforeShared = manifest().builtAt;
    expect(run('--help').status).toBe(0);
    expect(manifest().builtAt).toBeGreaterThan(beforeShared);
  });

  it('rebuilds over a broken manifest or a missing bundle', () => {
    writeFileSync(join(cliDir(), 'manifest.json'), '{"builtAt": 1, "bundles": ');
    decodesAsExpected();
    rmSync(join(cliDir(), manifest().bundles.decode!.file));
    decodesAsExpected();
    expect(existsSync(join(cliDir(), manifest().bundles.decode!.file))).toBe(true);
  });
});
