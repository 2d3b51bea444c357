// Creating a folder and its parents. Not mkdirSync(dir, { recursive: true }): under a file
// system that refuses new entries with ENOENT (/proc, /sys), Node's recursive mkdir retries
// for ever, taking a core and deaf to SIGTERM (`serve --captures /proc/x` never returned).

import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Creates `dir` and its missing parents; throws Node's error for the first it cannot make. */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let at = resolve(dir); ;) {
    const stat = statSync(at, { throwIfNoEntry: false });
    if (stat) {
      if (!stat.isDirectory())
        throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${at}'`), {
          code: 'ENOTDIR',
        });
      break;
    }
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const at of missing.reverse()) {
    try {
      mkdirSync(at);
    } catch (error) {
      // Made meanwhile by someone else: fine if it is a folder.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(at).isDirectory())
        throw error;
    }
  }
}
