// The one seam through which VM providers run host tools (virsh, VBoxManage, vmrun,
// powershell.exe): tests give a fake runner and check the command lines built.
import { execFile } from 'node:child_process';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type CommandRunner = (
  command: string,
  args: readonly string[],
  options?: { readonly timeoutMs?: number; readonly signal?: AbortSignal },
) => Promise<CommandResult>;

/** Thrown by the runner when the program does not exist. */
export class ToolMissingError extends Error {
  override readonly name = 'ToolMissingError';
}

/**
 * The signal is handled here, not by execFile's own `signal` option: that one leaves its abort
 * listener on the signal when the program does not exist (no 'exit' follows a failed spawn), so
 * a bridge dialling vm:NAME again and again piled one up per missing tool per try.
 */
export const runCommand: CommandRunner = (command, args, options = {}) =>
  new Promise((resolve, reject) => {
    const { signal } = options;
    if (signal?.aborted) {
      resolve({ code: 1, stdout: '', stderr: `${command}: cancelled` });
      return;
    }
    const onAbort = (): void => void child.kill();
    const child = execFile(
      command,
      [...args],
      {
        timeout: options.timeoutMs ?? 10_000,
        maxBuffer: 16 * 1024 * 1024,
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        signal?.removeEventListener('abort', onAbort);
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new ToolMissingError(`${command} is not installed or not on PATH`));
          return;
        }
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** First non-empty line of a tool's error output, for a one-line problem report. */
export function firstLine(text: string): string {
  return (
    text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

/**
 * Runs a provider's listing command: its result, or the one line that says why the provider
 * sees nothing (tool missing, or it failed: `explain` turns its output into the line).
 */
export async function runListing(
  run: CommandRunner,
  command: string,
  args: readonly string[],
  options: { readonly signal?: AbortSignal; readonly timeoutMs?: number } = {},
  explain: (result: CommandResult) => string = (r) =>
    `${command}: ${firstLine(r.stderr || r.stdout) || 'failed'}`,
): Promise<{ readonly result: CommandResult } | { readonly problem: string }> {
  let result: CommandResult;
  try {
    result = await run(command, args, options);
  } catch (error) {
    if (error instanceof ToolMissingError) return { problem: error.message };
    throw error;
  }
  return result.code === 0 ? { result } : { problem: explain(result) };
}
