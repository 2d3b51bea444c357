// Bundles the CLI (and the Electron main/preload) with esbuild: fast to build, fast to start.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Native and Electron packages stay outside the bundle; everything else is inlined.
const external = ['electron', 'serialport', '@serialport/*', 'koffi', 'playwright-core'];

export async function buildCli() {
  await build({
    entryPoints: [join(root, 'electron/cli/entry.ts')],
    // One chunk per command (commands.ts imports them lazily), so a command loads only its code.
    outdir: join(root, 'dist/cli'),
    outExtension: { '.js': '.mjs' },
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    external,
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __kdCreateRequire } from 'node:module'; const require = __kdCreateRequire(import.meta.url);",
    },
  });
}

export async function buildElectronMain() {
  const entries = ['main', 'preload'].filter((n) => existsSync(join(root, `electron/${n}.ts`)));
  for (const name of entries) {
    await build({
      entryPoints: [join(root, `electron/${name}.ts`)],
      outfile: join(root, `dist/electron/${name}.cjs`),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'linked',
      external,
      logLevel: 'warning',
    });
  }
}
