// Captures the user opened lately, for one-click reopening: a small JSON file kept with the
// engine's captures (so a test's temp folder holds its own). KDNET keys are never written to
// it: the engine remembers a capture's key in memory until it exits, so a reopen in the same
// run needs no prompt, and the next run asks again.

import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { RecentCapture } from '../../api/contract';
import { makeDirs } from '../make-dirs';

const MAX_ENTRIES = 20;

interface Entry {
  readonly name: string;
  readonly path: string;
  readonly targetPath?: string;
  readonly openedAt: number;
  readonly kdnet?: boolean;
}

function clean(raw: unknown): Entry | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.path !== 'string' || typeof r.openedAt !== 'number') return undefined;
  return {
    name: typeof r.name === 'string' ? r.name : basename(r.path),
    path: r.path,
    ...(typeof r.targetPath === 'string' ? { targetPath: r.targetPath } : {}),
    openedAt: r.openedAt,
    ...(r.kdnet === true ? { kdnet: true } : {}),
  };
}

const keyOf = (path: string, targetPath?: string): string => `${path}\n${targetPath ?? ''}`;

export class RecentCaptures {
  private readonly keys = new Map<string, string>();

  constructor(private readonly file: string) {}

  /** Entries whose files still exist, newest first, with their current sizes. */
  list(): RecentCapture[] {
    const out: RecentCapture[] = [];
    for (const entry of this.read()) {
      try {
        const bytes =
          statSync(entry.path).size + (entry.targetPath ? statSync(entry.targetPath).size : 0);
        out.push({ ...entry, bytes });
      } catch {
        // Moved or deleted (an upload of an earlier run): not offered.
      }
    }
    return out;
  }

  /** Puts a capture first (once); remembers its key for this run. Best effort on disk. */
  add(entry: Omit<Entry, 'openedAt'> & { readonly key?: string }, now = Date.now()): void {
    const { key, ...rest } = entry;
    const id = keyOf(rest.path, rest.targetPath);
    if (key !== undefined) this.keys.set(id, key);
    const kept = this.read().filter((e) => keyOf(e.path, e.targetPath) !== id);
    const next = [{ ...rest, openedAt: now }, ...kept].slice(0, MAX_ENTRIES);
    try {
      makeDirs(dirname(this.file));
      const temp = `${this.file}.tmp`;
      writeFileSync(temp, `${JSON.stringify({ version: 1, recent: next }, null, 2)}\n`, {
        mode: 0o600,
      });
      renameSync(temp, this.file);
    } catch {
      // A read-only folder costs the list, not the opening.
    }
  }

  /** The key this capture was opened with in this run, if any. */
  keyFor(path: string, targetPath?: string): string | undefined {
    return this.keys.get(keyOf(path, targetPath));
  }

  private read(): Entry[] {
    if (!existsSync(this.file)) return [];
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as { recent?: unknown };
      if (!Array.isArray(parsed.recent)) return [];
      return parsed.recent.map(clean).filter((e): e is Entry => e !== undefined);
    } catch {
      return [];
    }
  }
}
