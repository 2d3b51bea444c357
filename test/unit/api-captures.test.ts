// Where UI sessions record: the default folder, its fallback, and names that never collide.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  defaultCapturesDir,
  ensureCapturesDir,
  openSessionCapture,
  sessionCapturePath,
} from '../../electron/engine/workbench/captures-dir';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-captures-unit-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const date = new Date(2026, 10, 25, 10, 0, 0);

describe('captures folder', () => {
  it('is ~/.kdscope/captures, created on demand', () => {
    const got = defaultCapturesDir(dir);
    expect(got).toBe(join(dir, '.kdscope', 'captures'));
    expect(statSync(got).isDirectory()).toBe(true);
  });

  it('falls back to the temp folder when the home one cannot be created', () => {
    const aFile = join(dir, 'home-is-a-file');
    writeFileSync(aFile, 'x');
    expect(defaultCapturesDir(aFile)).toBe(tmpdir());
    expect(defaultCapturesDir('')).toBe(tmpdir());
    expect(ensureCapturesDir(join(aFile, 'c'))).toMatch(
      /^cannot create captures folder .*home-is-a-file\/c: .*ENOTDIR/,
    );
  });

  it('names a session like the bridge, with -2, -3 for sessions of the same second', () => {
    const first = sessionCapturePath(dir, date);
    expect(basename(first)).toBe('kdscope-2026-11-25-10-00-00.pcap');
    const opened = [openSessionCapture(dir, date), openSessionCapture(dir, date)];
    opened.push(openSessionCapture(dir, date));
    expect(opened.map((o) => basename(o.recorder!.label))).toEqual([
      'kdscope-2026-11-25-10-00-00.pcap',
      'kdscope-2026-11-25-10-00-00-2.pcap',
      'kdscope-2026-11-25-10-00-00-3.pcap',
    ]);
    for (const o of opened) {
      o.recorder!.close();
      expect(statSync(o.recorder!.label).size).toBe(24);
    }
  });

  it('reports a capture it cannot create as one line, not a throw', () => {
    const gone = join(dir, 'gone');
    const out = openSessionCapture(gone, date);
    expect(out.recorder).toBeUndefined();
    expect(out.error).toMatch(
      /^not recording: cannot create capture .*gone\/kdscope-.*\.pcap: .*ENOENT/,
    );
    expect(existsSync(gone)).toBe(false);
  });
});
