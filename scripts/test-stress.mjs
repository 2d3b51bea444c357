// `npm run test:stress [-- --runs N]`: the integration and end-to-end tests with a CPU hog on
// every core, N times in a row (default 3), as on a CI machine busy with other work. A test that
// waits a fixed time instead of on its condition fails here.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { root } from './build-cli.mjs';

const at = process.argv.indexOf('--runs');
const runs = at > 0 ? Number(process.argv[at + 1]) : 3;
if (!Number.isInteger(runs) || runs < 1) {
  console.error('test:stress: --runs takes a whole number >= 1');
  process.exit(2);
}

const hogs = Array.from({ length: availableParallelism() }, () =>
  spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
);
const stopHogs = () => {
  for (const hog of hogs) hog.kill('SIGKILL');
};
process.on('exit', stopHogs);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

const vitest = join(root, 'node_modules/vitest/vitest.mjs');
let failed = 0;
for (let run = 1; run <= runs; run++) {
  const started = Date.now();
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [vitest, 'run', 'test/integration', 'test/e2e'], {
      cwd: root,
      stdio: 'inherit',
    });
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(
    `test:stress run ${run}/${runs} with ${hogs.length} CPU hog(s): ${code === 0 ? 'passed' : 'FAILED'} in ${seconds} s`,
  );
  if (code !== 0) failed++;
}
stopHogs();
process.exit(failed === 0 ? 0 : 1);
