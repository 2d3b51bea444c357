// `npm run bench [name...]`: bundles test/bench/<name>.ts with esbuild and runs its `run()`.
// Each bench prints ratios against a baseline measured in the same run.
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './build-cli.mjs';

const benchDir = join(root, 'test/bench');
const available = readdirSync(benchDir)
  // A bench is test/bench/NAME.ts; helpers are _NAME.ts or NAME.something.ts.
  .filter((f) => /^[^._][^.]*\.ts$/.test(f))
  .map((f) => f.replace(/\.ts$/, ''));
const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? wanted : available;
for (const name of names) {
  if (!available.includes(name)) {
    console.error(`bench: no test/bench/${name}.ts (have: ${available.join(', ')})`);
    process.exit(2);
  }
  const outfile = join(root, 'dist/bench', `${name}.mjs`);
  await build({
    entryPoints: [join(benchDir, `${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: [
      'electron',
      'serialport',
      '@serialport/*',
      'koffi',
      'playwright-core',
      'esbuild',
      'vite',
    ],
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __kdCreateRequire } from 'node:module'; const require = __kdCreateRequire(import.meta.url);",
    },
  });
  console.log(`# bench ${name}`);
  const mod = await import(pathToFileURL(outfile).href);
  await mod.run();
}

// A bench that leaves a handle open would keep `npm run bench` from ever returning: say what
// is left (a leak to fix in that bench) and end anyway, the figures are printed.
const left = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
if (left.length > 0) {
  console.error(`# bench: still open after the benches: ${left.join(', ')}`);
  process.exit(0);
}
