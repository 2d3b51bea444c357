// `kdscope export` and the files around it: it never writes over what it reads (by another
// name either), and a file already at --out is replaced only by an export that succeeded.
import { spawnSync } from 'node:child_process';
import { copyFileSync, linkSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamChunk } from '../../electron/capture/chunk';
import { SESSION_BASIC } from '../fixtures/session-basic';
import { makeTempDir, writeCapture, type TempDir } from '../support/pcap-fixtures';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/kdscope.mjs');
const REAL_KDNET = join(ROOT, 'test/fixtures/windbg-uncut.pcapng.gz');

function kdscope(...args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr };
}

let tmp: TempDir;
let basic: Buffer;
beforeAll(() => {
  tmp = makeTempDir('kdscope-export-files-');
  const frames: StreamChunk[] = SESSION_BASIC.map((s) => ({
    dir: s.dir,
    timeUs: s.timeMs * 1000,
    bytes: s.bytes,
  }));
  writeCapture(tmp.file('basic.pcap'), frames, 'pcap');
  basic = readFileSync(tmp.file('basic.pcap'));
});
afterAll(() => tmp.cleanup());

const partFiles = (): string[] => readdirSync(tmp.dir).filter((f) => f.endsWith('.part'));

describe('kdscope export and the files it touches', () => {
  it('refuses an --out that is the capture itself through a hard link or a symlink', () => {
    copyFileSync(tmp.file('basic.pcap'), tmp.file('orig.pcap'));
    linkSync(tmp.file('orig.pcap'), tmp.file('hard.pcap'));
    symlinkSync('orig.pcap', tmp.file('sym.pcap'));
    for (const [input, out] of [
      ['orig.pcap', 'hard.pcap'],
      ['sym.pcap', 'orig.pcap'],
      ['orig.pcap', 'sym.pcap'],
    ] as const) {
      const run = kdscope('export', tmp.file(input), '--out', tmp.file(out));
      expect(run.status, `${input} -> ${out}`).toBe(2);
      expect(run.stderr).toBe(
        'kdscope export: --out is the capture being read; write to another file\n',
      );
      expect(readFileSync(tmp.file('orig.pcap')).equals(basic)).toBe(true);
    }
  });

  it('keeps the file at --out when the export fails (a wrong KDNET key)', () => {
    const keep = tmp.file('keep.pcap');
    copyFileSync(tmp.file('basic.pcap'), keep);
    const run = kdscope('export', REAL_KDNET, '--key', '1.2.3.4', '--decrypt', '--out', keep);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/wrong key/);
    expect(readFileSync(keep).equals(basic)).toBe(true);
    expect(partFiles()).toEqual([]);
  });

  it('replaces the file at --out once the export is whole, leaving no part file', () => {
    const out = tmp.file('replaced.pcap');
    copyFileSync(REAL_KDNET, out);
    const run = kdscope('export', tmp.file('basic.pcap'), '--out', out);
    expect(run.stderr).toMatch(/^kdscope export: wrote \d+ frames to .*replaced\.pcap\n$/);
    expect(run.status).toBe(0);
    expect(readFileSync(out).equals(basic)).toBe(true);
    expect(partFiles()).toEqual([]);
  });

  it('names the file asked for when it cannot be written', () => {
    const out = join(tmp.dir, 'no-such-dir', 'x.pcap');
    const run = kdscope('export', tmp.file('basic.pcap'), '--out', out);
    expect(run.status).toBe(1);
    expect(run.stderr).not.toMatch(/\.part/);
    expect(run.stderr).toContain('no-such-dir');
  });
});
