// "Start debugger": command lines split as Windows and a POSIX user expect, keys masked in every
// line shown, WinDbg found where Windows installs it (through seams), the default per platform,
// and a launcher that reports output and exit and stops only the child it started.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { LaunchedDebugger } from '../../electron/api/contract';
import { parseEndpoint } from '../../electron/engine/endpoint';
import {
  CommandLineError,
  Launcher,
  defaultKdscopeCommand,
  defaultLaunchCommand,
  findWinDbg,
  maskSecrets,
  parseCommandLine,
  quoteArg,
  type SpawnFn,
} from '../../electron/engine/session/launcher';
import { untilWithin } from '../support/until';

const until = untilWithin(10_000);

describe('parseCommandLine', () => {
  it('splits on whitespace and keeps WinDbg connection strings and Windows paths as typed', () => {
    expect(parseCommandLine('windbg -k com:pipe,port=\\\\.\\pipe\\kd,resets=0,reconnect')).toEqual([
      'windbg',
      '-k',
      'com:pipe,port=\\\\.\\pipe\\kd,resets=0,reconnect',
    ]);
    expect(
      parseCommandLine(
        '"C:\\Program Files (x86)\\Windows Kits\\10\\Debuggers\\x64\\windbg.exe"  -k  com:ipport=9000,port=127.0.0.1',
      ),
    ).toEqual([
      'C:\\Program Files (x86)\\Windows Kits\\10\\Debuggers\\x64\\windbg.exe',
      '-k',
      'com:ipport=9000,port=127.0.0.1',
    ]);
  });

  it('groups quoted parts, with Windows backslash rules in double quotes and literal single quotes', () => {
    expect(parseCommandLine(`a "b c" 'd "e" f' g"h i"j`)).toEqual(['a', 'b c', 'd "e" f', 'gh ij']);
    expect(parseCommandLine('"a\\"b" c\\\\"d e"')).toEqual(['a"b', 'c\\d e']);
    expect(parseCommandLine('x "" y')).toEqual(['x', '', 'y']);
    expect(parseCommandLine("kdscope simulate debugger --connect 'unix:/tmp/my vm.sock'")).toEqual([
      'kdscope',
      'simulate',
      'debugger',
      '--connect',
      'unix:/tmp/my vm.sock',
    ]);
  });

  it('refuses an unclosed quote or an empty command with one line', () => {
    expect(() => parseCommandLine('windbg "-k com')).toThrow(
      new CommandLineError('unclosed " in the debugger command'),
    );
    expect(() => parseCommandLine("a 'b")).toThrow(/unclosed '/);
    expect(() => parseCommandLine('   ')).toThrow(/empty/);
  });

  it('reads back any argv that quoteArg wrote', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', ' ', '"', "'", '\\', 'x', '\t', '.') }), {
          minLength: 1,
          maxLength: 6,
        }),
        (argv) => {
          expect(parseCommandLine(argv.map(quoteArg).join(' '))).toEqual(argv);
        },
      ),
    );
  });
});

describe('maskSecrets', () => {
  it("hides KDNET keys in WinDbg's net: string and in --key flags", () => {
    expect(maskSecrets('windbg -k net:port=50000,key=1.2.3.4')).toBe(
      'windbg -k net:port=50000,key=***',
    );
    expect(maskSecrets('x --key 8.8.8.8 --key=9.9.9.9 KEY=a.b,c')).toBe(
      'x --key *** --key=*** KEY=***,c',
    );
    expect(maskSecrets('kdscope simulate debugger --connect unix:/tmp/kd.sock')).toBe(
      'kdscope simulate debugger --connect unix:/tmp/kd.sock',
    );
  });
});

describe('findWinDbg (seams)', () => {
  const kits = 'C:\\Program Files (x86)\\Windows Kits\\10\\Debuggers\\x64\\windbg.exe';
  const alias = 'C:\\Users\\u\\AppData\\Local\\Microsoft\\WindowsApps\\WinDbgX.exe';
  const env = {
    'ProgramFiles(x86)': 'C:\\Program Files (x86)',
    ProgramFiles: 'C:\\Program Files',
    LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local',
  };

  it('prefers the Windows Kits WinDbg, then the WinDbgX app alias, else nothing', () => {
    const seen: string[] = [];
    const only =
      (...present: string[]) =>
      (p: string): boolean => {
        seen.push(p);
        return present.includes(p);
      };
    expect(findWinDbg({ env, exists: only(kits, alias) })).toBe(kits);
    expect(findWinDbg({ env, exists: only(alias) })).toBe(alias);
    expect(findWinDbg({ env, exists: only() })).toBeUndefined();
    expect(seen).toContain('C:\\Program Files\\Windows Kits\\10\\Debuggers\\x64\\windbg.exe');
    // Without the variables, the usual folders; no alias without LOCALAPPDATA.
    expect(findWinDbg({ env: {}, exists: only(kits) })).toBe(kits);
    expect(findWinDbg({ env: {}, exists: only(alias) })).toBeUndefined();
  });

  it('makes WinDbg the default on Windows where it is installed, the scripted debugger elsewhere', () => {
    const pipe = parseEndpoint('pipe:kdscope-win11');
    expect(
      defaultLaunchCommand(pipe, 'com', { platform: 'win32', env, exists: (p) => p === kits }),
    ).toBe(`"${kits}" -k com:pipe,port=\\\\.\\pipe\\kdscope-win11,resets=0,reconnect`);
    expect(
      parseCommandLine(
        defaultLaunchCommand(pipe, 'com', {
          platform: 'win32',
          env,
          exists: (p) => p === alias,
        })!,
      ),
    ).toEqual([alias, '-k', 'com:pipe,port=\\\\.\\pipe\\kdscope-win11,resets=0,reconnect']);
    expect(defaultLaunchCommand(pipe, 'com', { platform: 'win32', env, exists: () => false })).toBe(
      'kdscope simulate debugger --connect pipe:kdscope-win11',
    );
    expect(
      defaultLaunchCommand(parseEndpoint('unix:/tmp/a b.sock'), 'com', { platform: 'linux' }),
    ).toBe('kdscope simulate debugger --connect "unix:/tmp/a b.sock"');
    expect(
      defaultLaunchCommand(parseEndpoint('tcp:127.0.0.1:9000'), 'com', {
        platform: 'darwin',
        exists: () => true,
      }),
    ).toBe('kdscope simulate debugger --connect tcp:127.0.0.1:9000');
    expect(defaultLaunchCommand(parseEndpoint('sim'), 'com')).toBeUndefined();
    expect(defaultLaunchCommand(parseEndpoint('serial:/dev/ttyS0'), 'com')).toBeUndefined();
  });

  it('runs kdscope as $KDSCOPE, this CLI, or from PATH', () => {
    expect(defaultKdscopeCommand({ KDSCOPE: '"/opt/kd scope/kdscope" --x' }, [])).toEqual([
      '/opt/kd scope/kdscope',
      '--x',
    ]);
    expect(defaultKdscopeCommand({}, ['node', '/r/bin/kdscope.mjs'])).toEqual([
      process.execPath,
      '/r/bin/kdscope.mjs',
    ]);
    expect(
      defaultKdscopeCommand(
        {},
        ['node', 'vitest'],
        '/r/a/b',
        (p) => p === join('/r', 'bin', 'kdscope.mjs'),
      ),
    ).toEqual([process.execPath, join('/r', 'bin', 'kdscope.mjs')]);
    expect(defaultKdscopeCommand({}, ['node', 'x'], '/nowhere', () => false)).toEqual(['kdscope']);
  });
});

/** A child that records the signals sent to it and ends when told. */
function fakeChild(): ChildProcess & {
  signals: string[];
  end(code: number | null, signal?: string): void;
} {
  const child = new EventEmitter() as ChildProcess & {
    signals: string[];
    end(code: number | null, signal?: string): void;
  };
  Object.assign(child, {
    pid: 4242,
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    signals: [] as string[],
    kill(signal: string) {
      child.signals.push(signal);
      return true;
    },
    end(code: number | null, signal?: string) {
      child.emit('exit', code, signal ?? null);
    },
  });
  return child;
}

describe('Launcher', () => {
  it('runs without a shell, reports output lines (keys masked) and the exit code', async () => {
    const lines: string[] = [];
    let exit: LaunchedDebugger | undefined;
    const script =
      "console.log('connecting with key=1.2.3.4'); console.error('warn: $HOME; `x`'); process.exit(3)";
    const launcher = Launcher.start(`kdscope -e ${quoteArg(script)}`, {
      kdscope: [process.execPath],
      onLine: (line, stream) => lines.push(`${stream}: ${line}`),
      onExit: (s) => (exit = s),
    });
    expect(launcher.status()).toMatchObject({ state: 'running', pid: expect.any(Number) });
    await until(() => exit !== undefined, 'the exit');
    expect(exit).toMatchObject({ state: 'exited', detail: 'exit code 3' });
    // The shell would have expanded $HOME and the backquotes.
    expect(lines).toEqual(['stdout: connecting with key=***', 'stderr: warn: $HOME; `x`']);
  });

  it('says a command that does not exist could not run', async () => {
    let exit: LaunchedDebugger | undefined;
    const launcher = Launcher.start('kdscope-no-such-debugger-here --key 1.2.3.4', {
      onExit: (s) => (exit = s),
    });
    await until(() => exit !== undefined, 'the failure');
    expect(exit).toMatchObject({
      state: 'failed',
      detail: 'cannot run kdscope-no-such-debugger-here: not found',
      command: 'kdscope-no-such-debugger-here --key ***',
    });
    await launcher.stop();
  });

  it('stops its running child with SIGTERM, and SIGKILL when it does not go', async () => {
    const child = fakeChild();
    const spawn: SpawnFn = (_cmd, _args, options) => {
      expect(options.shell).toBe(false);
      return child;
    };
    const launcher = Launcher.start('windbg -k com:pipe,port=\\\\.\\pipe\\x', {
      spawn,
      killAfterMs: 50,
    });
    const stopped = launcher.stop();
    await until(() => child.signals.length === 2, 'SIGKILL after the grace time');
    expect(child.signals).toEqual(['SIGTERM', 'SIGKILL']);
    child.end(null, 'SIGKILL');
    await stopped;
    expect(launcher.status()).toMatchObject({
      state: 'exited',
      detail: 'stopped with the session (ended by SIGKILL)',
    });
  });

  it('never signals a child that already exited (its pid may be someone else now)', async () => {
    const child = fakeChild();
    const launcher = Launcher.start('windbg', { spawn: () => child });
    child.end(0);
    await launcher.stop();
    expect(child.signals).toEqual([]);
    expect(launcher.status()).toMatchObject({ state: 'exited', detail: 'exit code 0' });
  });

  it('ends a real long-running child on stop()', async () => {
    const launcher = Launcher.start(`"${process.execPath}" -e "setInterval(() => {}, 1000)"`);
    await launcher.stop();
    expect(launcher.status()).toMatchObject({
      state: 'exited',
      detail: 'stopped with the session (ended by SIGTERM)',
    });
  });
});
