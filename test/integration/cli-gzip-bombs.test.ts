// `kdscope decode` as a real process against gzip bombs and damaged .gz captures: memory stays
// bounded whatever the input inflates to (the peak RSS the process itself reports at exit),
// and a damaged .gz gives every record before the damage and one line.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeGzipFixtures, type GzipFixtures } from '../support/gzip-bombs';
import { makeTempDir, type TempDir } from '../support/pcap-fixtures';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/kdscope.mjs');
/** The budget of the issue: a decode stays under ~100 MB of resident memory, whatever it reads. */
const RSS_LIMIT_KIB = 100 * 1024;

let tmp: TempDir;
let fixtures: GzipFixtures;
let reporter: string;

beforeAll(async () => {
  tmp = makeTempDir('kdscope-gzip-bombs-');
  // Node reports the process's peak resident set (all threads) as it exits, on fd 3.
  reporter = tmp.file('report-rss.cjs');
  writeFileSync(
    reporter,
    "process.on('exit', () => { try { require('node:fs').writeSync(3, String(process.resourceUsage().maxRSS)); } catch {} });\n",
  );
  // Builds the bundle once if it is stale, so no run below measures a build.
  expect(spawnSync(process.execPath, [BIN, '--help']).status).toBe(0);
  fixtures = await makeGzipFixtures(tmp.dir);
}, 120_000);
afterAll(() => tmp.cleanup());

interface Decoded {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident set size, KiB. */
  maxRssKiB: number;
}

function decode(path: string): Promise<Decoded> {
  const child = spawn(process.execPath, ['--require', reporter, BIN, 'decode', path], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let rss = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => (rss += d.toString()));
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr, maxRssKiB: Number(rss) })),
  );
}

function summary(stdout: string): Record<string, unknown> {
  const last = stdout.trim().split('\n').at(-1)!;
  return JSON.parse(last) as Record<string, unknown>;
}

describe('decode of gzip bombs (process)', () => {
  it('a .gz of zeros: one line (not a capture), memory bounded', async () => {
    const run = await decode(fixtures.zeros);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^kdscope decode: .*zeros\.gz is not a pcap or pcapng capture \(after gunzip\) \(starts with 00 00 00 00\).*\n$/,
    );
    expect(run.maxRssKiB).toBeGreaterThan(0);
    expect(run.maxRssKiB).toBeLessThan(RSS_LIMIT_KIB);
  }, 60_000);

  it('a pcap whose one frame claims 15 MiB, then hundreds of MiB: memory bounded', async () => {
    const run = await decode(fixtures.giantFrame);
    expect(run.code).toBe(2);
    expect(summary(run.stdout)).toMatchObject({ kind: 'summary', packets: 0 });
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.maxRssKiB).toBeLessThan(RSS_LIMIT_KIB);
  }, 60_000);

  it('a pcap record claiming 2 GiB is corrupt at its offset', async () => {
    const run = await decode(fixtures.hugeRecord);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /corrupt packet record at byte 24 \(frame 1\): captured length 2147483647 exceeds/,
    );
    expect(run.maxRssKiB).toBeLessThan(RSS_LIMIT_KIB);
  }, 60_000);
});

describe('decode of damaged .gz captures (process)', () => {
  let intact: Decoded;
  beforeAll(async () => {
    intact = await decode(fixtures.intact);
  }, 60_000);

  it('reads the intact capture in bounded memory', () => {
    expect(intact.code).toBe(0);
    expect(intact.stderr).toBe('');
    expect(summary(intact.stdout).packets as number).toBeGreaterThan(1000);
    expect(intact.maxRssKiB).toBeLessThan(RSS_LIMIT_KIB);
  });

  it.each([
    [
      'corruptTail',
      /corrupt gzip data near compressed byte \d+ \(.+\) after \d+ decompressed bytes/,
    ],
    ['truncated', /truncated gzip stream \(unexpected end of file\) after \d+ decompressed bytes/],
  ] as const)(
    '%s: every record before the damage, then one line',
    async (name, message) => {
      const run = await decode(fixtures[name]);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      // The damage is in the padding after the KD frames: every record is there.
      const records = (out: string): string[] => out.trim().split('\n').slice(0, -1);
      expect(records(run.stdout)).toEqual(records(intact.stdout));
      expect(summary(run.stdout)).toMatchObject({
        packets: summary(intact.stdout).packets,
        error: expect.stringMatching(message) as unknown,
      });
      expect(run.maxRssKiB).toBeLessThan(RSS_LIMIT_KIB);
    },
    60_000,
  );

  it('reads a capture made of two gzip members like the same capture uncompressed', async () => {
    const [gz, plain] = await Promise.all([
      decode(fixtures.twoMembers),
      decode(fixtures.twoMembersPlain),
    ]);
    expect(gz.code).toBe(0);
    const strip = (out: string): unknown[] =>
      out
        .trim()
        .split('\n')
        .map((line) => {
          const o = JSON.parse(line) as Record<string, unknown>;
          return { ...o, capture: undefined };
        });
    expect(strip(gz.stdout)).toEqual(strip(plain.stdout));
    expect(summary(gz.stdout)).toMatchObject({ capture: { compressed: true } });
  }, 60_000);
});
