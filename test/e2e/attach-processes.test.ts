// The attach page against real processes: `kdscope simulate target` as the VM's side and
// `kdscope simulate debugger` as WinDbg, both separate processes; the free form sets the
// endpoints, packets stream, each side's state shows in plain words, a killed debugger is "gone"
// within 2 s and its reconnect is counted. "Start debugger" runs the scripted debugger as a
// process and stops it with the session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, startHarness, type Harness, displayedRows, testIdText } from './harness';
import { untilWithin } from '../support/until';

const bin = join(root, 'bin/kdscope.mjs');
let h: Harness;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-e2e-attach-'));
  h = await startHarness();
  await h.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: `http://127.0.0.1:${h.server.port}`,
  });
}, 120_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

function kdscope(...args: string[]): ChildProcess {
  const child = spawn(process.execPath, [bin, ...args], { stdio: 'ignore' });
  children.push(child);
  return child;
}

const waitFor = untilWithin(15_000, 50);

const text = (testId: string): Promise<string> => testIdText(h.page, testId);
const displayed = async (): Promise<number> => (await displayedRows(h.page)).shown;
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the attach page with real processes', () => {
  it('comes first, the simulated VM chosen; screenshots at 1440x900 and 1024x640', async () => {
    const { page } = h;
    await page.goto(h.server.url);
    await page.getByTestId('attach-page').waitFor();
    const sim = page.locator('[data-testid=vm-row][data-vm=simulated][data-port=COM1]');
    await sim.waitFor();
    expect(await sim.getAttribute('aria-selected')).toBe('true');
    await page.locator('[data-testid=vm-row][data-vm=simulated][data-port="VMBus pipe"]').waitFor();
    expect(await page.getByTestId('target-endpoint').inputValue()).toBe('sim');
    expect(await page.getByTestId('debugger-kind-builtin').isChecked()).toBe(true);
    await h.shot('10-attach');
    await page.setViewportSize({ width: 1024, height: 640 });
    await page.getByTestId('start').waitFor();
    expect(await page.getByTestId('start').isVisible()).toBe(true);
    await h.shot('11-attach-1024');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it("shows WinDbg's command lines for the endpoint, and a problem before Start", async () => {
    const { page } = h;
    const commands = page.getByTestId('debugger-command');
    await page.getByTestId('debugger-kind-endpoint').check();
    await page.getByTestId('debugger-endpoint').fill('pipe:kdscope-win11');
    await commands
      .filter({ hasText: 'kdscope simulate debugger --connect pipe:kdscope-win11' })
      .waitFor();
    expect(await commands.allTextContents()).toEqual([
      'WinDbgwindbg -k com:pipe,port=\\\\.\\pipe\\kdscope-win11,resets=0,reconnectCopy',
      'kdkd -k com:pipe,port=\\\\.\\pipe\\kdscope-win11,resets=0,reconnectCopy',
      'kdscope scripted debuggerkdscope simulate debugger --connect pipe:kdscope-win11Copy',
    ]);
    await page.getByTestId('debugger-endpoint').fill('tcp:127.0.0.1:9000');
    await commands
      .filter({ hasText: 'windbg -k com:ipport=9000,port=127.0.0.1,reconnect' })
      .waitFor();
    // A mode the target cannot speak: the problem shows at once and Start waits.
    await page.getByTestId('mode').selectOption('vmbus');
    await page.getByTestId('plan-problem').waitFor();
    expect(await page.getByTestId('plan-problem').textContent()).toBe(
      'mode vmbus: the simulated COM target speaks no VMBus messages; use target endpoint sim:vmbus',
    );
    expect(await page.getByTestId('start').isDisabled()).toBe(true);
    await page.getByTestId('mode').selectOption('');
    await page.getByTestId('plan-problem').waitFor({ state: 'detached' });
    expect(await page.getByTestId('start').isDisabled()).toBe(false);
  });

  it('(a) free form unix:T / unix:D, debugger process killed and back: gone, then 1 reconnect', async () => {
    const { page } = h;
    const T = join(dir, 't.sock');
    const D = join(dir, 'd.sock');
    const target = kdscope('simulate', 'target', '--listen', `unix:${T}`);
    await waitFor(async () => existsSync(T), 'the simulated target to listen');

    await page.getByTestId('debugger-kind-endpoint').check();
    await page.getByTestId('debugger-endpoint').fill(`unix:${D}`);
    await page.getByTestId('target-endpoint').fill(`unix:${T}`);
    // No VM chosen now: a free endpoint pair.
    expect(await page.locator('[data-testid=vm-row][aria-selected=true]').count()).toBe(0);
    const scripted = page
      .getByTestId('debugger-command')
      .filter({ hasText: `kdscope simulate debugger --connect unix:${D}` });
    await scripted.waitFor();
    await scripted.getByTestId('copy-command').click();
    await scripted.getByText('✓ Copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(
      `kdscope simulate debugger --connect unix:${D}`,
    );
    await h.shot('12-attach-free-form');

    await page.getByTestId('start').click();
    await page.getByTestId('timeline').waitFor();
    await waitFor(async () => (await text('peer-debugger')) === 'Debugger: waiting', 'waiting');
    let dbg = kdscope(
      'simulate',
      'debugger',
      '--connect',
      `unix:${D}`,
      '--loops',
      '100000',
      '--pace',
      '5',
    );
    await waitFor(async () => (await displayed()) > 50, '50 packets');
    await waitFor(
      async () =>
        (await text('peer-debugger')) === 'Debugger: talking' &&
        (await text('peer-target')) === 'Target: talking',
      'both sides talking',
    );

    dbg.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor(async () => /^Debugger: gone/.test(await text('peer-debugger')), 'gone', 2000);
    expect(Date.now() - killedAt).toBeLessThan(2000);
    expect(await page.getByTestId('peer-debugger').getAttribute('title')).toMatch(
      /debugger: gone for \d+ s, waiting for the debugger to reconnect/,
    );
    await h.shot('13-debugger-gone');
    const before = await displayed();

    dbg = kdscope(
      'simulate',
      'debugger',
      '--connect',
      `unix:${D}`,
      '--loops',
      '100000',
      '--pace',
      '5',
    );
    await waitFor(
      async () => (await text('peer-debugger')) === 'Debugger: talking · 1 reconnect',
      'talking again, one reconnect',
    );
    await waitFor(async () => (await displayed()) > before + 50, 'the session going on');
    expect(await text('session-state')).toBe('running');
    expect(await text('peer-target')).toBe('Target: talking');
    await h.shot('14-debugger-reconnected');

    // The target vanishes: gone, reconnecting, as the CLI says; the refused dial is the detail.
    target.kill('SIGKILL');
    await waitFor(
      async () => /^Target: gone \d+ s, reconnecting/.test(await text('peer-target')),
      'target gone, reconnecting',
      2000,
    );
    await waitFor(
      async () =>
        /last attempt: .*t\.sock/.test(
          (await page.getByTestId('peer-target').getAttribute('title')) ?? '',
        ),
      'the failed dial in the tooltip',
    );
    expect(await text('peer-target')).toMatch(/^Target: gone \d+ s, reconnecting/);
    await page.getByTestId('stop').click();
    await waitFor(async () => (await text('session-state')) === 'stopped', 'stopped');
    dbg.kill('SIGKILL');
  });

  it('start debugger: runs the scripted debugger as a process and stops it with the session', async () => {
    const { page } = h;
    const D = join(dir, 'd2.sock');
    await page.getByTestId('attach').click();
    await page.getByTestId('attach-page').waitFor();
    await page.getByTestId('debugger-kind-endpoint').check();
    await page.getByTestId('debugger-endpoint').fill(`unix:${D}`);
    await page.getByTestId('target-endpoint').fill('sim');
    await page.getByTestId('launch-on').check();
    // The plan's default: the scripted debugger as a separate process (no WinDbg here).
    await waitFor(
      async () =>
        (await page.getByTestId('launch-command').inputValue()) ===
        `kdscope simulate debugger --connect unix:${D}`,
      'the default debugger command',
    );
    await page
      .getByTestId('launch-command')
      .fill(`kdscope simulate debugger --connect unix:${D} --loops 100000 --pace 5`);
    await page.getByTestId('start').click();
    // The view holds the last session: Start asks first.
    await page.getByTestId('confirm-start-ok').click();
    await page.getByTestId('timeline').waitFor();
    await waitFor(
      async () => /^Debugger process: running \(pid \d+\)$/.test(await text('launched')),
      'launched',
    );
    const pid = h.workbench.status().launched!.pid!;
    expect(alive(pid)).toBe(true);
    await waitFor(async () => (await text('peer-debugger')) === 'Debugger: talking', 'talking');
    await waitFor(async () => (await displayed()) > 50, '50 packets');
    await h.shot('15-start-debugger');
    await page.getByTestId('stop').click();
    await waitFor(async () => (await text('session-state')) === 'stopped', 'stopped');
    // The state says stopped at once; the process may take a moment to end.
    await waitFor(async () => h.workbench.status().launched?.state === 'exited', 'its exit');
    expect(alive(pid)).toBe(false);
    expect(h.workbench.status().launched).toMatchObject({
      state: 'exited',
      detail: expect.stringMatching(/^stopped with the session/),
    });
    expect(h.errors).toEqual([]);
  });
});
