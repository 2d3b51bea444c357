// The shape every `kdscope` sub-command has. Commands are thin: parse args, call the engine, print.

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Aborted on SIGINT/SIGTERM; long-running commands close cleanly when it fires. */
  readonly signal: AbortSignal;
}

export interface Command {
  readonly name: string;
  readonly usage: string;
  /**
   * The command does its work in one synchronous run (decode, export): a SIGINT/SIGTERM
   * handler could not run before that work is done, or ever when a write blocks on a full
   * pipe, so none is installed and those signals end the process at once (io.signal then
   * never fires).
   */
  readonly synchronous?: boolean;
  /** Resolves to the process exit code: 0 ok, 1 runtime failure, 2 bad usage or unreadable input. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** Bad usage or unreadable input: printed as one line, exit code 2, never a stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure at run time that deserves one clear line rather than a stack trace: exit code 1. */
export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
