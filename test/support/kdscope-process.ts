// `kdscope` as a child process in integration tests: output collected, exit awaited, and every
// process a test started killed after it.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { untilWithin } from './until';

const root = join(import.meta.dirname, '..', '..');
export const KDSCOPE_BIN = join(root, 'bin', 'kdscope.mjs');

export interface Run {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exit: Promise<number | null>;
}

export class Processes {
  private readonly children = new Set<ChildProcess>();

  kdscope(args: readonly string[], cwd = root, env: NodeJS.ProcessEnv = process.env): Run {
    const child = spawn(process.execPath, [KDSCOPE_BIN, ...args], { cwd, env, stdio: 'pipe' });
    this.children.add(child);
    const run: Run = {
      child,
      stdout: '',
      stderr: '',
      exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    };
    child.stdout!.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
    return run;
  }

  /** Kills `child` with the rest after the test (a process the test spawned itself). */
  adopt<T extends ChildProcess>(child: T): T {
    this.children.add(child);
    return child;
  }

  /** SIGKILLs whatever is still running. */
  killAll(): void {
    for (const child of this.children) if (child.exitCode === null) child.kill('SIGKILL');
    this.children.clear();
  }
}

/** Waits until the run's stdout matches, failing early if it exits. */
export async function untilOutput(run: Run, pattern: RegExp, ms = 20_000): Promise<void> {
  await untilWithin(ms)(
    () => {
      if (pattern.test(run.stdout)) return true;
      if (run.child.exitCode !== null)
        throw new Error(`exited ${run.child.exitCode} before ${pattern}: ${run.stderr}`);
      return false;
    },
    () => `${pattern} in stdout: ${run.stdout}`,
  );
}

/** SIGINT, then the exit code. */
export async function interrupt(run: Run): Promise<number | null> {
  if (run.child.exitCode === null) run.child.kill('SIGINT');
  return run.exit;
}
