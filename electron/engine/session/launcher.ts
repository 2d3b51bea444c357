// "Start debugger": runs the debugger command a session was started with once the bridge
// listens, reports its output lines and how it ended, and stops it with the session. It holds
// only the child it spawned, so it can never stop a process it did not start: a WinDbg the user
// opened by hand, or an earlier session's debugger, is not its business.
//
// The command line is split into argv here (no shell: nothing in it is interpreted), with
// Windows' quoting rules, which keep `\\.\pipe\NAME` and `C:\Program Files\…` as typed.

import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { dirname, join, win32 } from 'node:path';
import type { LaunchedDebugger, SessionMode } from '../../api/contract';
import { formatEndpoint, type Endpoint } from '../endpoint';
import { debuggerCommands } from './debugger-commands';

export class CommandLineError extends Error {
  override readonly name = 'CommandLineError';
}

/**
 * Splits a command line into arguments: whitespace separates; "double quotes" group, with the
 * Windows rule for backslashes (2n backslashes before a quote are n and the quote is special,
 * 2n+1 are n and a literal quote; backslashes elsewhere are literal); 'single quotes' group
 * literally, as a POSIX user expects.
 */
export function parseCommandLine(text: string): string[] {
  const args: string[] = [];
  let current = '';
  let inArg = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else current += c;
      continue;
    }
    if (c === '\\') {
      let n = 0;
      while (text[i + n] === '\\') n++;
      if (text[i + n] === '"') {
        current += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) {
          current += '"';
          i += n;
        } else {
          i += n - 1;
        }
      } else {
        current += '\\'.repeat(n);
        i += n - 1;
      }
      inArg = true;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else current += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inArg = true;
    } else if (/\s/.test(c)) {
      if (inArg) args.push(current);
      current = '';
      inArg = false;
    } else {
      current += c;
      inArg = true;
    }
  }
  if (quote) throw new CommandLineError(`unclosed ${quote} in the debugger command`);
  if (inArg) args.push(current);
  if (args.length === 0) throw new CommandLineError('the debugger command is empty');
  return args;
}

/** Hides KDNET keys: `key=1.2.3.4` (WinDbg's net: string) and `--key 1.2.3.4` / `--key=…`. */
export function maskSecrets(text: string): string {
  return text
    .replace(/(\bkey=)[^\s,"']+/gi, '$1***')
    .replace(/(--key[\s]+)(?!-)[^\s"']+/gi, '$1***');
}

/** existsSync, plus what only lstat sees: an app execution alias (a reparse point) such as WinDbgX.exe. */
function pathExists(path: string): boolean {
  if (existsSync(path)) return true;
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export interface WinDbgSeams {
  readonly env?: NodeJS.ProcessEnv;
  readonly exists?: (path: string) => boolean;
}

/**
 * WinDbg where Windows installs it: the classic one from the Windows SDK / WDK (Debugging Tools
 * for Windows), else the Store WinDbg through its app execution alias (WinDbgX.exe).
 */
export function findWinDbg(seams: WinDbgSeams = {}): string | undefined {
  const env = seams.env ?? process.env;
  const exists = seams.exists ?? pathExists;
  const kit = (programFiles: string): string =>
    win32.join(programFiles, 'Windows Kits', '10', 'Debuggers', 'x64', 'windbg.exe');
  const candidates = [
    kit(env['ProgramFiles(x86)'] ?? 'C:\\Program Files (x86)'),
    kit(env.ProgramFiles ?? 'C:\\Program Files'),
    ...(env.LOCALAPPDATA
      ? [win32.join(env.LOCALAPPDATA, 'Microsoft', 'WindowsApps', 'WinDbgX.exe')]
      : []),
  ];
  return candidates.find((path) => exists(path));
}

/** Quotes one argument for a command line (what parseCommandLine reads back). */
export function quoteArg(arg: string): string {
  if (arg !== '' && !/[\s"']/.test(arg)) return arg;
  // Backslashes before a quote double, as parseCommandLine (and Windows) expect.
  return `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
}

export interface DefaultLaunchSeams extends WinDbgSeams {
  readonly platform?: NodeJS.Platform;
}

/**
 * What "start debugger" runs by default for a debugger endpoint: WinDbg on Windows where it is
 * installed and can reach the endpoint, else the scripted debugger as a separate process; nothing
 * for the in-process scripted debugger (`sim`) or a serial line (WinDbg is at the other end).
 */
export function defaultLaunchCommand(
  ep: Endpoint,
  mode: SessionMode,
  seams: DefaultLaunchSeams = {},
): string | undefined {
  if (ep.kind === 'sim' || ep.kind === 'serial' || ep.kind === 'vm' || ep.kind === 'vmbus')
    return undefined;
  if (
    (seams.platform ?? process.platform) === 'win32' &&
    (ep.kind === 'pipe' || ep.kind === 'tcp')
  ) {
    const windbg = findWinDbg(seams);
    const first = debuggerCommands(ep, mode)[0]?.command;
    if (windbg && first?.startsWith('windbg '))
      return `${quoteArg(windbg)}${first.slice('windbg'.length)}`;
  }
  if (ep.kind === 'udp') return undefined;
  return `kdscope simulate debugger --connect ${quoteArg(formatEndpoint(ep))}`;
}

/**
 * How to run `kdscope` itself (the first word of a command): `$KDSCOPE` when set, else this
 * very CLI (bin/kdscope.mjs, found from the running script or the working folder) under Node.
 */
export function defaultKdscopeCommand(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv,
  cwd: string = process.cwd(),
  exists: (path: string) => boolean = existsSync,
): string[] {
  if (env.KDSCOPE) return parseCommandLine(env.KDSCOPE);
  const script = argv[1];
  let bin = script && /kdscope\.mjs$/.test(script) ? script : undefined;
  for (let dir = cwd, i = 0; !bin && i < 6; dir = dirname(dir), i++) {
    const candidate = join(dir, 'bin', 'kdscope.mjs');
    if (exists(candidate)) bin = candidate;
  }
  return bin ? [process.execPath, bin] : ['kdscope'];
}

export type SpawnFn = (
  command: string,
  args: readonly string[],
  options: SpawnOptions,
) => ChildProcess;

export interface LauncherOptions {
  /** One output line (stdout or stderr, keys masked) of the debugger. */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** The debugger exited, or could not start. */
  readonly onExit?: (status: LaunchedDebugger) => void;
  /** Replaces a first word `kdscope` (default: defaultKdscopeCommand()). */
  readonly kdscope?: readonly string[];
  /** Seam: how the child is spawned. */
  readonly spawn?: SpawnFn;
  /** How long stop() waits after SIGTERM before SIGKILL (default 3 s). */
  readonly killAfterMs?: number;
}

const MAX_LINE = 2000;

/** One debugger process started by a session. */
export class Launcher {
  private child: ChildProcess | undefined;
  private state: LaunchedDebugger['state'] = 'running';
  private detail: string | undefined;
  private exited: Promise<void>;
  private readonly masked: string;
  private stopping = false;

  private constructor(
    command: string,
    argv: readonly string[],
    private readonly options: LauncherOptions,
  ) {
    this.masked = maskSecrets(command);
    let program = argv[0]!;
    let args = argv.slice(1);
    if (program === 'kdscope') {
      const prefix = options.kdscope ?? defaultKdscopeCommand();
      program = prefix[0]!;
      args = [...prefix.slice(1), ...args];
    }
    const spawn = options.spawn ?? (nodeSpawn as SpawnFn);
    let settle: () => void = () => undefined;
    this.exited = new Promise<void>((resolve) => (settle = resolve));
    const finish = (state: 'exited' | 'failed', detail: string): void => {
      if (this.state !== 'running') return;
      this.state = state;
      this.detail = detail;
      settle();
      options.onExit?.(this.status());
    };
    let child: ChildProcess;
    try {
      child = spawn(program, args, {
        shell: false,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: false,
        // Electron runs a Node script only when told to.
        env: process.versions.electron
          ? { ...process.env, ELECTRON_RUN_AS_NODE: '1' }
          : process.env,
      });
    } catch (error) {
      this.exited = Promise.resolve();
      this.state = 'failed';
      this.detail = `cannot run ${argv[0]}: ${(error as Error).message}`;
      queueMicrotask(() => options.onExit?.(this.status()));
      return;
    }
    this.child = child;
    for (const stream of ['stdout', 'stderr'] as const) {
      let partial = '';
      child[stream]?.setEncoding('utf8');
      child[stream]?.on('data', (text: string) => {
        const lines = (partial + text).split(/\r?\n/);
        partial = lines.pop() ?? '';
        if (partial.length > MAX_LINE) {
          lines.push(partial);
          partial = '';
        }
        for (const line of lines)
          if (line.trim() !== '') options.onLine?.(maskSecrets(line.slice(0, MAX_LINE)), stream);
      });
      child[stream]?.on('end', () => {
        if (partial.trim() !== '')
          options.onLine?.(maskSecrets(partial.slice(0, MAX_LINE)), stream);
        partial = '';
      });
    }
    child.once('error', (error: NodeJS.ErrnoException) => {
      finish(
        'failed',
        error.code === 'ENOENT'
          ? `cannot run ${argv[0]}: not found`
          : `cannot run ${argv[0]}: ${error.message}`,
      );
    });
    child.once('exit', (code, signal) => {
      const how = signal ? `ended by ${signal}` : `exit code ${code ?? 0}`;
      finish('exited', this.stopping ? `stopped with the session (${how})` : how);
    });
  }

  /** Throws the CommandLineError start() would, without running anything. */
  static check(command: string): void {
    parseCommandLine(command);
  }

  /** Spawns the command; a command line that cannot be parsed is a CommandLineError. */
  static start(command: string, options: LauncherOptions = {}): Launcher {
    return new Launcher(command, parseCommandLine(command), options);
  }

  status(): LaunchedDebugger {
    return {
      command: this.masked,
      ...(this.child?.pid === undefined ? {} : { pid: this.child.pid }),
      state: this.state,
      ...(this.detail === undefined ? {} : { detail: this.detail }),
    };
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Stops the child this launcher spawned, if it still runs: SIGTERM, then SIGKILL. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.stopping = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.running) child.kill('SIGKILL');
    }, this.options.killAfterMs ?? 3000);
    await this.exited;
    clearTimeout(timer);
  }
}
