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
// Our own stdout and stderr are handles too (pipes under `| tail`), opened on first use: open
// them now, so that they count among the handles there before the benches, not as a leak.
process.stdout.write('');
process.stderr.write('');
const before = process.getActiveResourcesInfo();
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
const stillOpen = () => {
  const left = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
  for (const r of before) if (left.includes(r)) left.splice(left.indexOf(r), 1);
  return left;
};
// A handle closed in the bench's last turn (a server, an exited child) is released a turn later.
let left = stillOpen();
for (let turn = 0; turn < 10 && left.length > 0; turn++) {
  await new Promise((resolve) => setImmediate(resolve));
  left = stillOpen();
}
if (left.length > 0) {
  console.error(`# bench: still open after the benches: ${left.join(', ')}`);
  process.exit(0);
}
