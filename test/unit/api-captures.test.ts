// Where UI sessions record: the default folder, its fallback, and names that never collide.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  defaultCapturesDir,
  ensureCapturesDir,
  listCaptures,
  sessionCapturePath,
} from '../../electron/engine/workbench/captures-dir';
import { Recorder } from '../../electron/engine/bridge/recorder';

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
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      const path = sessionCapturePath(dir, date);
      Recorder.open(path).close();
      expect(statSync(path).size).toBe(24);
      names.push(basename(path));
    }
    expect(names).toEqual([
      'kdscope-2026-11-25-10-00-00.pcap',
      'kdscope-2026-11-25-10-00-00-2.pcap',
      'kdscope-2026-11-25-10-00-00-3.pcap',
    ]);
    expect(basename(sessionCapturePath(dir, date, 'pcapng'))).toBe(
      'kdscope-2026-11-25-10-00-00.pcapng',
    );
  });

  it('lists the captures newest first, marks the live one, skips other files', () => {
    const older = join(dir, 'a.pcap');
    const newer = join(dir, 'b.pcapng.gz');
    writeFileSync(older, 'x');
    writeFileSync(newer, 'yy');
    writeFileSync(join(dir, 'notes.txt'), 'z');
    utimesSync(older, 1000, 1000);
    const list = listCaptures(dir, newer);
    expect(list.map((c) => [c.name, c.bytes, c.live ?? false])).toEqual([
      ['b.pcapng.gz', 2, true],
      ['a.pcap', 1, false],
    ]);
    expect(listCaptures(join(dir, 'gone'))).toEqual([]);
  });

  it('lists sessions by when they started (the name), -2 after its second, -10 after -9', () => {
    // Written as restarts leave them: an empty capture, then a long session of the same second.
    const at = (name: string, modified: number): void => {
      writeFileSync(join(dir, name), 'x');
      const t = date.getTime() / 1000 + modified;
      utimesSync(join(dir, name), t, t);
    };
    at('kdscope-2026-11-25-10-00-00.pcap', 0.1);
    at('kdscope-2026-11-25-10-00-00-2.pcap', 9);
    at('kdscope-2026-11-25-10-00-00-9.pcap', 9.2);
    at('kdscope-2026-11-25-10-00-00-10.pcap', 9.1);
    at('kdscope-2026-11-25-10-00-03.pcap', 3.5);
    at('kdscope-2026-11-25-10-00-07.pcapng', 7.5);
    expect(listCaptures(dir).map((c) => c.name)).toEqual([
      'kdscope-2026-11-25-10-00-07.pcapng',
      'kdscope-2026-11-25-10-00-03.pcap',
      'kdscope-2026-11-25-10-00-00-10.pcap',
      'kdscope-2026-11-25-10-00-00-9.pcap',
      'kdscope-2026-11-25-10-00-00-2.pcap',
      'kdscope-2026-11-25-10-00-00.pcap',
    ]);
    // The running session's first, whatever the names say; a file of another name by its change.
    at('mine.pcap', 3.2);
    const live = listCaptures(dir, join(dir, 'kdscope-2026-11-25-10-00-00-2.pcap'));
    expect(live.map((c) => c.name).slice(0, 4)).toEqual([
      'kdscope-2026-11-25-10-00-00-2.pcap',
      'kdscope-2026-11-25-10-00-07.pcapng',
      'kdscope-2026-11-25-10-00-03.pcap',
      'mine.pcap',
    ]);
  });
});
