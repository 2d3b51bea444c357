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

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

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
  await new Promise((r) => setTimeout(r, 50));
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
      client.destroy();
      await session.close();
    };
    await one(0);
    const before = await usage();
    for (let i = 1; i <= 500; i++) await one(i);
    const after = await usage();
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
      const start = Date.now();
      while (workbench.status().counters.packets < 20 && Date.now() - start < 10_000)
        await new Promise((r) => setTimeout(r, 2));
      await handlers['session.stop']();
    };
    await one();
    const before = await usage();
    for (let i = 0; i < 100; i++) await one();
    const after = await usage();
    handlers.dispose();
    await workbench.dispose();
    expect(after.fds).toBe(before.fds);
    expect(after.handles).toEqual(before.handles);
    expect(after.heapMB - before.heapMB).toBeLessThan(16);
  }, 120_000);
});
