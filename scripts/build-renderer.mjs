// The renderer's build (Vite -> dist/renderer) and whether it is older than its sources: used
// by `npm run build` and by `kdscope serve`, which builds the UI on first use the way
// bin/kdscope.mjs builds the CLI (a fresh clone works right after `npm install`).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const rendererIndex = join(root, 'dist/renderer/index.html');
/** What the renderer bundles: its own sources, the pure protocol code and the API contract. */
const SOURCES = ['renderer', 'protocol', 'electron/api'];

function newest(dir) {
  let time = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    time = Math.max(time, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return time;
}

export function rendererIsStale() {
  if (!existsSync(rendererIndex)) return true;
  const built = statSync(rendererIndex).mtimeMs;
  return SOURCES.some((dir) => existsSync(join(root, dir)) && newest(join(root, dir)) > built);
}

export async function buildRenderer() {
  const { build } = await import('vite');
  await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
}

// `node scripts/build-renderer.mjs [--if-stale]`: the build as a process of its own, which is
// how `kdscope serve` runs it (the CLI's bundles are CommonJS and cannot import this module).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (!process.argv.includes('--if-stale') || rendererIsStale()) {
    console.error('kdscope serve: building the UI (it is missing or older than its sources)...');
    await buildRenderer();
  }
}
