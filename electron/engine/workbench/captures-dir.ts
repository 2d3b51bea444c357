// Where UI sessions record: a captures folder (~/.kdscope/captures by default), one pcap per
// session named like the bridge's default capture, never overwriting an earlier one.

import { existsSync, mkdirSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Recorder, defaultCaptureName } from '../bridge/recorder';

/** Creates `dir` (and its parents); returns a one-line reason when it cannot. */
export function ensureCapturesDir(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true });
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
export function sessionCapturePath(dir: string, date: Date): string {
  const name = defaultCaptureName(date, 'pcap');
  const stem = name.slice(0, -'.pcap'.length);
  let path = join(dir, name);
  for (let n = 2; existsSync(path); n++) path = join(dir, `${stem}-${n}.pcap`);
  return path;
}

export type SessionCapture =
  | { readonly recorder: Recorder; readonly error?: undefined }
  | { readonly recorder?: undefined; readonly error: string };

/** Opens the session's capture; a failure (folder gone or unwritable) is one line, not a throw. */
export function openSessionCapture(dir: string, date: Date): SessionCapture {
  try {
    return { recorder: Recorder.open(sessionCapturePath(dir, date), 'pcap') };
  } catch (error) {
    return { error: `not recording: ${(error as Error).message}` };
  }
}
