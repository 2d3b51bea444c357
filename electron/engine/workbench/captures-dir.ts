// Where UI sessions record: a captures folder (~/.kdscope/captures by default), one pcap per
// session named like the bridge's default capture, never overwriting an earlier one.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureFormat, RecordedCapture } from '../../api/contract';
import { defaultCaptureName } from '../bridge/recorder';
import { makeDirs } from '../make-dirs';

/** Creates `dir` (and its parents); returns a one-line reason when it cannot. */
export function ensureCapturesDir(dir: string): string | undefined {
  try {
    makeDirs(dir);
    return undefined;
  } catch (error) {
    return `cannot create captures folder ${dir}: ${(error as Error).message}`;
  }
}

/** ~/.kdscope/captures, or the OS temp folder when that cannot be created (no home, read-only). */
export function defaultCapturesDir(home: string = homedir()): string {
  const dir = join(home, '.kdscope', 'captures');
  return home && ensureCapturesDir(dir) === undefined ? dir : tmpdir();
}

/**
 * A free capture path in `dir` for a session started at `date`: the bridge's name, with `-2`,
 * `-3`... when a session of the same second already has it (two quick restarts).
 */
export function sessionCapturePath(
  dir: string,
  date: Date,
  format: CaptureFormat = 'pcap',
): string {
  const name = defaultCaptureName(date, format);
  const stem = name.slice(0, -`.${format}`.length);
  let path = join(dir, name);
  for (let n = 2; existsSync(path); n++) path = join(dir, `${stem}-${n}.${format}`);
  return path;
}

const CAPTURE_FILE = /\.(pcap|pcapng|cap)(\.gz)?$/i;
/** A plain capture file name: no folder part, no leading dot, a capture suffix. */
const CAPTURE_FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,200}\.(pcap|pcapng|cap)(\.gz)?$/i;

/** True for a name the UI may ask for (download, show in folder): never a path. */
export const isCaptureFileName = (name: string): boolean =>
  CAPTURE_FILE_NAME.test(name) && !name.includes('..');

const SESSION_NAME = /^kdscope-(\d{4})-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)(?:-(\d+))?\./;

/**
 * When a capture's session started: its name says it (local time, as defaultCaptureName wrote
 * it; `-2`, `-3`... come after the name without a number within that second); a file named
 * otherwise, its last change. A session's file changes until it ends, so by that alone a long
 * session would sort above the shorter ones that started after it.
 */
function startedAt(name: string, modifiedAt: number): number {
  const m = SESSION_NAME.exec(name);
  if (!m) return modifiedAt;
  const [, y, mo, d, h, mi, s, n] = m.map(Number) as number[];
  const start = new Date(y!, mo! - 1, d!, h!, mi!, s!).getTime();
  // The name says the second, not when in it: the end of it, so a file changed within that
  // second sorts below; within it, in the order of the numbers (a fraction of a ms each).
  return start + 999 + Math.min(999, Number.isNaN(n!) ? 0 : n! - 1) / 1000;
}

/**
 * The captures in `dir`, newest first by when their session started (at most `max`); `live`
 * marks the running session's.
 */
export function listCaptures(dir: string, live?: string, max = 200): RecordedCapture[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const found: RecordedCapture[] = [];
  for (const name of names) {
    if (!CAPTURE_FILE.test(name)) continue;
    const path = join(dir, name);
    try {
      const stat = statSync(path);
      if (!stat.isFile()) continue;
      found.push({
        name,
        path,
        bytes: stat.size,
        modifiedAt: stat.mtimeMs,
        ...(path === live ? { live: true } : {}),
      });
    } catch {
      // Gone between readdir and stat: not listed.
    }
  }
  const order = new Map(found.map((c) => [c, startedAt(c.name, c.modifiedAt)]));
  return (
    found
      // The running session's is the newest, whatever the names say.
      .sort(
        (a, b) =>
          Number(b.live ?? false) - Number(a.live ?? false) ||
          order.get(b)! - order.get(a)! ||
          b.modifiedAt - a.modifiedAt,
      )
      .slice(0, max)
  );
}
