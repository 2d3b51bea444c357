// A UI session with real peers in their own processes: the simulated target behind a unix
// socket, the scripted debugger connecting to the session's endpoint. The session's status says
// how each side is doing, at once when the debugger goes, and counts its reconnect.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Workbench } from '../../electron/engine/workbench/workbench';
import { untilWithin } from '../support/until';
import { connectView } from '../support/workbench-view';

const bin = join(__dirname, '../../bin/kdscope.mjs');
const until = untilWithin(20_000, 10);

let dir: string;
const cleanups: (() => unknown)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-peers-'));
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

function kdscope(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [bin, ...args], { stdio: 'ignore' });
  cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
  return child;
}

describe('a UI session between real processes', () => {
  it('says each side is talking, that the debugger went within 2 s, and counts its return', async () => {
    const targetPath = join(dir, 'target.sock');
    const debuggerPath = join(dir, 'dbg.sock');
    kdscope(['simulate', 'target', '--listen', `unix:${targetPath}`]);
    await until(() => existsSync(targetPath), 'the simulated target to listen');

    const workbench = new Workbench({ capturesDir: dir });
    cleanups.push(() => workbench.dispose());
    const view = connectView(workbench, 8, true);
    cleanups.push(() => view.handlers.dispose());
    await view.handlers['session.start']({
      debugger: `unix:${debuggerPath}`,
      target: `unix:${targetPath}`,
    });
    const peers = () => workbench.status().peers!;
    await until(() => peers().target.connection === 'connected', 'the target to be reached');
    expect(peers().debugger.condition).toBe('waiting');

    const debuggerArgs = ['simulate', 'debugger', '--connect', `unix:${debuggerPath}`];
    const first = kdscope([...debuggerArgs, '--loops', '100000', '--pace', '2']);
    await until(() => view.rows.length > 50, 'packets to stream');
    await until(
      () => peers().debugger.condition === 'talking' && peers().target.condition === 'talking',
      'both sides talking',
    );
    expect(peers().debugger.connections).toBe(1);

    first.kill('SIGKILL');
    const killedAt = Date.now();
    await until(() => peers().debugger.connection === 'gone', 'the debugger gone', 2000);
    expect(Date.now() - killedAt).toBeLessThan(2000);
    expect(peers().debugger.condition).toBe('gone');
    expect(view.states.at(-1)?.peers?.debugger.connection).toBe('gone');
    expect(workbench.status().state).toBe('running');

    const rowsBefore = view.rows.length;
    kdscope([...debuggerArgs, '--loops', '100000', '--pace', '2']);
    await until(() => peers().debugger.connection === 'connected', 'the debugger back');
    await until(() => view.rows.length > rowsBefore + 50, 'the session to go on');
    expect(peers().debugger.connections).toBe(2);
    expect(peers().target.connections).toBe(1);
    await view.handlers['session.stop']();
  }, 60_000);

  it('a target that vanished is gone, reconnecting, with the failed dial as detail and an info line', async () => {
    const targetPath = join(dir, 'target.sock');
    const first = kdscope(['simulate', 'target', '--listen', `unix:${targetPath}`]);
    await until(() => existsSync(targetPath), 'the simulated target to listen');
    const workbench = new Workbench({ capturesDir: dir });
    cleanups.push(() => workbench.dispose());
    const view = connectView(workbench, 8, true);
    cleanups.push(() => view.handlers.dispose());
    await view.handlers['session.start']({
      debugger: `unix:${join(dir, 'dbg.sock')}`,
      target: `unix:${targetPath}`,
    });
    const peers = () => workbench.status().peers!;
    await until(() => peers().target.connection === 'connected', 'the target to be reached');
    first.kill('SIGKILL');
    await until(() => peers().target.error !== undefined, 'a failed redial');
    const target = peers().target;
    expect(target).toMatchObject({ connection: 'gone', condition: 'gone', connections: 1 });
    expect(target.line).toMatch(/^target: gone for \d+ s, reconnecting/);
    expect(target.error).toMatch(/target\.sock: (nobody listens|connection refused)/);
    const log = await view.handlers['engine.log']();
    const redial = log.filter((l) => l.message === target.error);
    expect(redial).toMatchObject([{ level: 'info', source: 'target' }]);
    expect(log.filter((l) => l.level === 'error')).toEqual([]);
    kdscope(['simulate', 'target', '--listen', `unix:${targetPath}`]);
    await until(() => peers().target.connection === 'connected', 'the target back');
    expect(peers().target.connections).toBe(2);
  }, 60_000);

  it('names a target it cannot reach in the status, one line, and keeps trying', async () => {
    const workbench = new Workbench({ capturesDir: dir });
    cleanups.push(() => workbench.dispose());
    const view = connectView(workbench, 8, true);
    cleanups.push(() => view.handlers.dispose());
    const missing = join(dir, 'nobody.sock');
    await view.handlers['session.start']({
      debugger: `unix:${join(dir, 'dbg.sock')}`,
      target: `unix:${missing}`,
    });
    await until(() => workbench.status().peers?.target.condition === 'error', 'the target error');
    const target = workbench.status().peers!.target;
    expect(target.line).toMatch(new RegExp(`target: .*${missing}`));
    expect(target.line.split('\n')).toHaveLength(1);
    expect(target.connection).toBe('waiting');
    // Expected while a VM boots: said, not counted as an error.
    const log = await view.handlers['engine.log']();
    expect(log.filter((l) => l.level === 'error')).toEqual([]);
    expect(log.filter((l) => l.source === 'target').map((l) => l.level)).toContain('info');
    // It comes up later: the session reaches it without a restart.
    kdscope(['simulate', 'target', '--listen', `unix:${missing}`]);
    await until(() => workbench.status().peers?.target.connection === 'connected', 'the target');
    expect(workbench.status().peers!.target.condition).not.toBe('error');
  }, 60_000);
});
