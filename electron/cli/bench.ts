// `kdscope bench [NAME...]`: the benchmarks under test/bench, each printing its numbers against
// a baseline measured in the same run (scripts/bench.mjs bundles and runs them).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeError, type Command } from './command';

/** The checkout's scripts/bench.mjs, from the bundle (dist/cli/) or from the sources. */
function benchScript(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, '../../scripts/bench.mjs'), join(here, '../scripts/bench.mjs')].find((p) =>
    existsSync(p),
  );
}

export const benchCommand: Command = {
  name: 'bench',
  usage: [
    'kdscope bench [NAME...]',
    '',
    'Runs test/bench/NAME.ts (all of them without a name): decode-codec, decode, relay, filter,',
    'ui, capture-io, kd-payloads, vmbus-channel, kdnet-relay. Each prints ratios against a baseline',
    'measured in the same run. Needs a source checkout (the benches generate their inputs).',
  ].join('\n'),
  async run(args, io) {
    const script = benchScript();
    if (!script)
      throw new RuntimeError('scripts/bench.mjs not found: benches need a source checkout');
    const child = spawn(process.execPath, [script, ...args], { stdio: 'inherit' });
    const stop = (): void => {
      child.kill('SIGINT');
    };
    io.signal.addEventListener('abort', stop, { once: true });
    return new Promise((resolve, reject) => {
      child.once('error', (error) =>
        reject(new RuntimeError(`cannot run the benches: ${error.message}`)),
      );
      child.once('exit', (code) => {
        io.signal.removeEventListener('abort', stop);
        resolve(code ?? 1);
      });
    });
  },
};
