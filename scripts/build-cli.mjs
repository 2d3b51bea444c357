// Bundles the CLI (and the Electron main/preload) with esbuild: fast to build, fast to start.
import { build } from 'esbuild';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Native and Electron packages stay outside the bundle; everything else is inlined.
const external = ['electron', 'serialport', '@serialport/*', 'koffi', 'playwright-core'];

/** The sources the CLI bundle was built from; bin/kdscope.mjs checks their times. */
export const cliInputsFile = join(root, 'dist/cli/inputs.json');

export async function buildCli() {
  const result = await build({
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
    metafile: true,
    banner: {
      js: "import { createRequire as __kdCreateRequire } from 'node:module'; const require = __kdCreateRequire(import.meta.url);",
    },
  });
  // Paths relative to the root (esbuild's are relative to the working directory).
  const cwd = process.cwd();
  const inputs = Object.keys(result.metafile.inputs)
    .map((p) => join(cwd, p))
    .filter((p) => p.startsWith(root) && !p.includes('/node_modules/'))
    .map((p) => p.slice(root.length + 1));
  writeFileSync(cliInputsFile, JSON.stringify(inputs));
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
