// "Start debugger" in the workbench with real processes: the scripted debugger runs as its own
// process once the bridge listens, its output goes to the log, the session stops it; a debugger
// the user started is never signalled.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogLine, SessionStatus } from '../../electron/api/contract';
import { Workbench } from '../../electron/engine/workbench/workbench';
import { untilWithin } from '../support/until';

const bin = join(__dirname, '../../bin/kdscope.mjs');
const until = untilWithin(30_000);
let dir: string;
let workbench: Workbench;
const logs: LogLine[] = [];
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-launch-'));
  workbench = new Workbench({ capturesDir: dir, launch: { kdscope: [process.execPath, bin] } });
  logs.length = 0;
  workbench.connect((name, data) => {
    if (name === 'log') logs.push(data as LogLine);
  });
});
afterEach(async () => {
  await workbench.dispose();
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('start debugger', () => {
  it('plans the scripted debugger as the default command for an endpoint, nothing for sim', () => {
    const sock = join(dir, 'd.sock');
    expect(workbench.plan({ debugger: `unix:${sock}`, target: 'sim' }).defaultLaunch).toBe(
      `kdscope simulate debugger --connect unix:${sock}`,
    );
    expect(workbench.plan({ debugger: 'sim', target: 'sim' }).defaultLaunch).toBeUndefined();
  });

  it('runs the command once the bridge listens and stops it with the session', async () => {
    const sock = join(dir, 'd.sock');
    await workbench.start({
      debugger: `unix:${sock}`,
      target: 'sim',
      launch: `kdscope simulate debugger --connect unix:${sock} --loops 100000 --pace 5`,
    });
    const launched = (): SessionStatus['launched'] => workbench.status().launched;
    expect(launched()).toMatchObject({ state: 'running', pid: expect.any(Number) });
    const pid = launched()!.pid!;
    await until(() => workbench.status().counters.packets > 50, '50 packets');
    expect(workbench.status().peers?.debugger).toMatchObject({
      connection: 'connected',
      condition: 'talking',
      connections: 1,
    });
    expect(logs).toContainEqual(
      expect.objectContaining({
        source: 'debugger process',
        message: `started (pid ${pid}): kdscope simulate debugger --connect unix:${sock} --loops 100000 --pace 5`,
      }),
    );
    await workbench.stop();
    // kdscope ends cleanly on SIGTERM (exit code 1: its script did not complete).
    expect(launched()).toMatchObject({
      state: 'exited',
      detail: 'stopped with the session (exit code 1)',
    });
    expect(alive(pid)).toBe(false);
    expect(logs.at(-2)).toMatchObject({
      source: 'debugger process',
      message: 'the debugger process ended: stopped with the session (exit code 1)',
    });
  });

  it('refuses a launch for the in-process debugger or an unparsable command, before starting', async () => {
    await expect(
      workbench.start({ debugger: 'sim', target: 'sim', launch: 'windbg' }),
    ).rejects.toThrow(/runs in process/);
    await expect(
      workbench.start({ debugger: `unix:${join(dir, 'x.sock')}`, target: 'sim', launch: 'a "b' }),
    ).rejects.toThrow('unclosed " in the debugger command');
    expect(workbench.status().state).toBe('idle');
  });

  it('a command that cannot run is a line in the log and the status; the session goes on', async () => {
    const sock = join(dir, 'd.sock');
    await workbench.start({
      debugger: `unix:${sock}`,
      target: 'sim',
      launch: 'no-such-windbg-x -k x',
    });
    await until(() => workbench.status().launched?.state === 'failed', 'the failure');
    expect(workbench.status()).toMatchObject({
      state: 'running',
      launched: { state: 'failed', detail: 'cannot run no-such-windbg-x: not found' },
    });
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'cannot run no-such-windbg-x: not found',
      }),
    );
  });

  it('never signals a debugger it did not start', async () => {
    const sock = join(dir, 'd.sock');
    await workbench.start({ debugger: `unix:${sock}`, target: 'sim' });
    const own = spawn(
      process.execPath,
      [
        bin,
        'simulate',
        'debugger',
        '--connect',
        `unix:${sock}`,
        '--loops',
        '100000',
        '--pace',
        '5',
      ],
      { stdio: 'ignore' },
    );
    children.push(own);
    await until(() => workbench.status().counters.packets > 50, '50 packets');
    const exited = once(own, 'exit');
    await workbench.stop();
    expect(workbench.status().launched).toBeUndefined();
    // It ends on its own when the bridge goes (exit code 1), never by a signal from us.
    const [code, signal] = (await exited) as [number | null, string | null];
    expect(signal).toBeNull();
    expect(code).toBe(1);
  });

  it('a debugger killed mid-session is gone (not an error), and its return is one reconnect', async () => {
    const sock = join(dir, 'd.sock');
    await workbench.start({ debugger: `unix:${sock}`, target: 'sim' });
    const args = [
      bin,
      'simulate',
      'debugger',
      '--connect',
      `unix:${sock}`,
      '--loops',
      '100000',
      '--pace',
      '2',
    ];
    const first = spawn(process.execPath, args, { stdio: 'ignore' });
    children.push(first);
    await until(() => workbench.status().counters.packets > 100, '100 packets');
    first.kill('SIGKILL');
    await until(() => workbench.status().peers?.debugger.connection === 'gone', 'gone', 2000);
    // A reset on the way out is how the connection ended, not a failure to reach the debugger.
    expect(workbench.status().peers?.debugger).toMatchObject({
      connection: 'gone',
      condition: 'gone',
      line: expect.stringMatching(
        /^debugger: gone for \d+ s, waiting for the debugger to reconnect$/,
      ),
    });
    const second = spawn(process.execPath, args, { stdio: 'ignore' });
    children.push(second);
    await until(() => workbench.status().peers?.debugger.condition === 'talking', 'talking again');
    expect(workbench.status().peers?.debugger).toMatchObject({ connections: 2 });
    expect(workbench.status().peers?.debugger.error).toBeUndefined();
  });
});
