// Errors of the process's own stdout and stderr, handled once for every command. Without a
// listener, a write that fails (`| head` left: EPIPE; `>/dev/full`: ENOSPC) is an unhandled
// 'error' event: a stack trace and exit 1, after the command's work was done (and for the
// bridge, in the middle of it).
//
// - The reader of stdout went away (EPIPE): the rest of the output is dropped quietly and the
//   command goes on with its work (a bridge keeps relaying and recording, replay keeps
//   sending); commands whose work is their output (decode, stats) stop early through
//   OutputSink, which sees EPIPE itself.
// - Any other stdout failure (a full disk): one line on stderr, and the command ends with
//   exit 1 when it would have ended with 0: what it printed is lost.
// - stderr carries status and error lines only: one that cannot be written is lost, and never
//   turns a successful command into a failure.

import { EXIT_FAILURE, EXIT_OK } from './command';

let installed = false;
let prefix = 'kdscope';
let stdoutFailure: string | undefined;

function onStdoutError(error: NodeJS.ErrnoException): void {
  // Writes after the first failure fail too, as ERR_STREAM_DESTROYED: nothing new to say.
  if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
  if (stdoutFailure !== undefined) return;
  stdoutFailure = error.code ?? error.message;
  process.stderr.write(`${prefix}: cannot write the output: ${stdoutFailure}\n`);
}

/** Installs the listeners (once per process); `command` names the command in the error line. */
export function guardStdStreams(command?: string): void {
  prefix = command === undefined ? 'kdscope' : `kdscope ${command}`;
  if (installed) return;
  installed = true;
  process.stdout.on('error', onStdoutError);
  process.stderr.on('error', () => undefined);
}

function settled(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

/**
 * The exit code once what was written to stdout and stderr has gone out (or failed): `code`,
 * or 1 in place of 0 when stdout could not be written.
 */
export async function finalExitCode(code: number): Promise<number> {
  await Promise.all([settled(process.stdout), settled(process.stderr)]);
  // A failed write reports its error from a later tick.
  await new Promise<void>((resolve) => setImmediate(resolve));
  return code === EXIT_OK && stdoutFailure !== undefined ? EXIT_FAILURE : code;
}
