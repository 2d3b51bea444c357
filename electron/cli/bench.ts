// `kdscope bench [NAME...]`: the benchmarks under test/bench, each printing its numbers against
// a baseline measured in the same run (scripts/bench.mjs bundles and runs them).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './args';
import { RuntimeError, UsageError, type Command } from './command';

/** The checkout's scripts/bench.mjs, from the bundle (dist/cli/) or from the sources. */
function benchScript(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, '../../scripts/bench.mjs'), join(here, '../scripts/bench.mjs')].find((p) =>
    existsSync(p),
  );
}

/**
 * The benches there are, by the rule scripts/bench.mjs follows: test/bench/NAME.ts is a bench;
 * _NAME.ts and NAME.something.ts are its helpers. Undefined without a source checkout.
 */
function benchNames(script: string | undefined): string[] | undefined {
  if (script === undefined) return undefined;
  try {
    return readdirSync(join(dirname(script), '../test/bench'))
      .filter((f) => /^[^._][^.]*\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
  } catch {
    return undefined;
  }
}

/** `text` in lines of at most 92 columns, indented by two. */
function wrap(text: string): string {
  return text
    .replace(/(.{1,88})(?:, |$)/g, (_, line: string) => `  ${line},\n`)
    .replace(/,\n$/, '');
}

function usage(): string {
  const names = benchNames(benchScript());
  return [
    'kdscope bench [NAME...]',
    '',
    'Runs test/bench/NAME.ts (all of them without a name). Each prints ratios against a',
    'baseline measured in the same run. Needs a source checkout (the benches generate their',
    names === undefined
      ? 'inputs); none is here.'
      : `inputs). The benches here:\n${wrap(names.join(', '))}`,
  ].join('\n');
}

export const benchCommand: Command = {
  name: 'bench',
  // Read when asked (--help): the list is whatever test/bench holds.
  get usage() {
    return usage();
  },
  async run(args, io) {
    const wanted = parseArgs(args, {}).positional;
    const script = benchScript();
    const names = benchNames(script);
    if (!script || !names)
      throw new RuntimeError('scripts/bench.mjs not found: benches need a source checkout');
    const unknown = wanted.find((name) => !names.includes(name));
    if (unknown !== undefined)
      throw new UsageError(`no bench named '${unknown}' (have: ${names.join(', ')})`);
    const child = spawn(process.execPath, [script, ...wanted], { stdio: 'inherit' });
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
