#!/usr/bin/env node
// Runs the bundled CLI, rebuilding it first when a source is newer (so a fresh clone works
// right after `npm install`, which runs no scripts; see .npmrc).
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist/cli/entry.mjs');

function mtime(path) {
  return statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? -1;
}

/**
 * The build lists the sources it bundled (dist/cli/inputs.json): only those are checked,
 * one stat each, instead of walking the source folders. A new source is always imported
 * by an edited one; a listed source that is gone means a rebuild too.
 */
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

if (isStale()) {
  const { buildCli } = await import('../scripts/build-cli.mjs');
  await buildCli();
}
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(process.argv.slice(2));
