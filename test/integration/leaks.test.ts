// Nothing a session holds outlives it: after 500 bridge sessions (each with a socket, a peer, a
// capture) and 100 UI sessions, the process's file descriptors, active handles and heap are
// back where they started.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { encodeControlPacket } from '../../protocol/kd/encoder';
import { PacketType } from '../../protocol/kd/constants';
import { LiveSession } from '../../electron/engine/session/live-session';
import { resolveSession } from '../../electron/engine/session/plan';
import { Workbench } from '../../electron/engine/workbench/workbench';
import { untilWithin } from '../support/until';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const until = untilWithin(10_000, 50);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-leaks-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Usage {
  fds: number;
  handles: Record<string, number>;
  heapMB: number;
}

async function usage(): Promise<Usage> {
  // Let closes finish (a socket's handle goes on the next turns), then collect.
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  gc();
  gc();
  const handles: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) handles[kind] = (handles[kind] ?? 0) + 1;
  // Timers vitest itself keeps come and go; what a session holds is sockets, pipes and files.
  delete handles.Timeout;
  delete handles.Immediate;
  return {
    fds: readdirSync('/proc/self/fd').length,
    handles,
    heapMB: process.memoryUsage().heapUsed / 2 ** 20,
  };
}

/**
 * The usage once its fds and handles are back at `before`'s (a handle's close completes a few
 * turns after the close that started it), or as it is after 10 s: the test then shows the diff.
 */
async function usageBackTo(before: Usage): Promise<Usage> {
  const level = (u: Usage): string =>
    `${u.fds} ${JSON.stringify(Object.entries(u.handles).sort())}`;
  let now = await usage();
  await until(async () => {
    if (level(now) === level(before)) return true;
    now = await usage();
    return false;
  }, 'fds and handles').catch(() => undefined);
  return now;
}

const RESET = Buffer.from(encodeControlPacket(PacketType.RESET, 0));

describe('sessions leave nothing behind', () => {
  it('500 bridge sessions: fds, handles and heap back at their starting level', async () => {
    const socket = join(dir, 'dbg.sock');
    const resolved = resolveSession({ debugger: `unix:${socket}`, target: 'sim' });
    const one = async (i: number): Promise<void> => {
      const session = await LiveSession.start({
        resolved,
        capture: { path: join(dir, `s${i % 4}.pcap`), format: 'pcap' },
      });
      // A debugger connects, sends RESET, and hears the target's RESET back.
      const client = connect({ path: socket });
      await once(client, 'connect');
      const answer = once(client, 'data');
      client.write(RESET);
      await answer;
      const closed = once(client, 'close');
      client.destroy();
      await closed;
      await session.close();
    };
    await one(0);
    const before = await usage();
    for (let i = 1; i <= 500; i++) await one(i);
    const after = await usageBackTo(before);
    expect(after.fds).toBe(before.fds);
    expect(after.handles).toEqual(before.handles);
    expect(after.heapMB - before.heapMB).toBeLessThan(8);
  }, 120_000);

  it('100 UI sessions with a view: fds, handles and heap back at their starting level', async () => {
    const workbench = new Workbench({ capturesDir: dir });
    const handlers = workbench.connect((name, data) => {
      if (name === 'records') void handlers['stream.ack']((data as { seq: number }).seq);
    });
    await handlers['stream.ready']({ window: 4 });
    const one = async (): Promise<void> => {
      await handlers['session.start']({ debugger: 'sim', target: 'sim:vmbus', rate: 50_000 });
      await until(() => workbench.status().counters.packets >= 20, '20 packets');
      await handlers['session.stop']();
    };
    await one();
    const before = await usage();
    for (let i = 0; i < 100; i++) await one();
    const after = await usageBackTo(before);
    handlers.dispose();
    await workbench.dispose();
    expect(after.fds).toBe(before.fds);
    expect(after.handles).toEqual(before.handles);
    expect(after.heapMB - before.heapMB).toBeLessThan(16);
  }, 120_000);
});
