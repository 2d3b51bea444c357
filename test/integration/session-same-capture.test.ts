// One session engine: the same byte streams through `kdscope bridge` (a process) and through a
// UI session (the Workbench) give byte-identical captures (timestamps aside) and the same
// decoded records, which are also the records the UI streamed live.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Workbench } from '../../electron/engine/workbench/workbench';
import type { PacketRecord } from '../../protocol/session/record';
import { SESSION_BASIC } from '../fixtures/session-basic';
import { untilWithin } from '../support/until';
import { connectView, decodeCapture } from '../support/workbench-view';

const root = join(__dirname, '../..');
const bin = join(root, 'bin/kdscope.mjs');
const until = untilWithin(20_000, 5);

let dir: string;
const cleanups: (() => unknown)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-same-'));
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

/** A target that only receives and sends what the test tells it to. */
async function scriptedTarget(path: string): Promise<{
  server: Server;
  socket: () => Socket | undefined;
  received: () => number;
}> {
  let socket: Socket | undefined;
  let received = 0;
  const server = createServer((s) => {
    socket = s;
    s.on('data', (d: Buffer) => (received += d.length));
    s.on('error', () => undefined);
  });
  server.listen(path);
  await once(server, 'listening');
  cleanups.push(() => new Promise((r) => server.close(r)));
  return { server, socket: () => socket, received: () => received };
}

/**
 * Plays SESSION_BASIC through the bridge in lockstep: each chunk is written only after the
 * previous one arrived whole at the other end, so every chunk is one read and one frame.
 */
async function play(debuggerPath: string, target: Awaited<ReturnType<typeof scriptedTarget>>) {
  await until(() => existsSync(debuggerPath), 'the bridge to listen');
  const dbg = connect({ path: debuggerPath });
  await once(dbg, 'connect');
  dbg.on('error', () => undefined);
  let atDebugger = 0;
  dbg.on('data', (d: Buffer) => (atDebugger += d.length));
  await until(() => target.socket() !== undefined, 'the bridge to reach the target');
  let toTarget = 0;
  let toDebugger = 0;
  for (const step of SESSION_BASIC) {
    if (step.dir === 'debugger->target') {
      toTarget += step.bytes.length;
      dbg.write(step.bytes);
      await until(() => target.received() === toTarget, `"${step.note}" at the target`);
    } else {
      toDebugger += step.bytes.length;
      target.socket()!.write(step.bytes);
      await until(() => atDebugger === toDebugger, `"${step.note}" at the debugger`);
    }
  }
  dbg.destroy();
}

/** The capture with every record's timestamp zeroed. */
function withoutTimes(path: string): Buffer {
  const bytes = Buffer.from(readFileSync(path));
  expect(bytes.readUInt32LE(0)).toBe(0xa1b2c3d4);
  for (let at = 24; at + 16 <= bytes.length;) {
    const length = bytes.readUInt32LE(at + 8);
    bytes.fill(0, at, at + 8);
    at += 16 + length;
  }
  return bytes;
}

/** A record without what the clock decides (its time, and the round-trip time derived from it). */
const timeless = ({ time: _time, rttMs, ...rest }: PacketRecord) => ({
  ...rest,
  hasRtt: rttMs !== undefined,
});

describe('the CLI bridge and a UI session', () => {
  it('write byte-identical captures and decode the same records for the same bytes', async () => {
    // kdscope bridge, a process.
    const cliTarget = await scriptedTarget(join(dir, 'cli-target.sock'));
    const cliCapture = join(dir, 'cli.pcap');
    const child: ChildProcess = spawn(
      process.execPath,
      [bin, 'bridge', '--debugger', `unix:${join(dir, 'cli-dbg.sock')}`, '--target'].concat(
        `unix:${join(dir, 'cli-target.sock')}`,
        '--pcap',
        cliCapture,
      ),
      { stdio: 'ignore' },
    );
    cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
    await play(join(dir, 'cli-dbg.sock'), cliTarget);
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);

    // A UI session, with a view streaming its rows.
    const uiTarget = await scriptedTarget(join(dir, 'ui-target.sock'));
    const workbench = new Workbench({ capturesDir: dir });
    cleanups.push(() => workbench.dispose());
    const view = connectView(workbench, 8, true);
    cleanups.push(() => view.handlers.dispose());
    const info = await view.handlers['session.start']({
      debugger: `unix:${join(dir, 'ui-dbg.sock')}`,
      target: `unix:${join(dir, 'ui-target.sock')}`,
    });
    await play(join(dir, 'ui-dbg.sock'), uiTarget);
    await view.handlers['session.stop']();
    await until(() => view.states.at(-1)?.state === 'stopped', 'the session to stop');

    const cli = withoutTimes(cliCapture);
    const ui = withoutTimes(info.capture!);
    expect(ui.length).toBe(cli.length);
    expect(ui.equals(cli)).toBe(true);

    const cliRows = decodeCapture(cliCapture);
    const uiRows = decodeCapture(info.capture!);
    expect(cliRows.frames).toBe(SESSION_BASIC.length);
    expect(uiRows.rows.map(timeless)).toEqual(cliRows.rows.map(timeless));
    expect(cliRows.rows.length).toBeGreaterThan(20);
    await until(() => view.rows.length === uiRows.rows.length, 'the streamed rows');
    // Live rows name no capture frame; everything else is the same.
    const live = ({ frame: _frame, ...rest }: ReturnType<typeof timeless>) =>
      JSON.parse(JSON.stringify(rest)) as unknown;
    expect(view.rows.map(timeless).map(live)).toEqual(uiRows.rows.map(timeless).map(live));
  }, 60_000);
});
