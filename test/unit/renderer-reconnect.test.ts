// The renderer after the engine came back (web mode): a new client is wired to the store, the
// view starts over (the engine streams what it holds from its start again), the session's state
// is read again and the stream asked for again; the attach page keeps showing packets then.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ZERO_COUNTERS, type SessionStatus } from '../../electron/api/contract';
import { encodeRecords } from '../../electron/engine/workbench/workbench';
import type { PacketRecord } from '../../protocol/session/record';
import { MockWorkbench, connectMock } from '../support/contract-mock';

vi.stubGlobal('requestAnimationFrame', (cb: (t: number) => void) => setTimeout(() => cb(0), 0));
const { attach, setConnectionClosed, table, useWorkbench } =
  await import('../../renderer/store/workbench');
const { setupAttach, useAttach } = await import('../../renderer/store/attach');

const rec = (no: number): PacketRecord => ({
  no,
  time: no,
  dir: 'target->debugger',
  kind: 'packet',
  offset: no * 16,
  length: 16,
  leader: 'control',
  type: 4,
  typeName: 'ACKNOWLEDGE',
  id: 0x80800000,
  flags: 0,
});
const running: SessionStatus = {
  state: 'running',
  info: {
    id: 's1',
    debugger: 'sim',
    target: 'sim',
    mode: 'com',
    startedAt: 0,
    debuggerCommand: 'x',
  },
  counters: ZERO_COUNTERS,
};
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 150));
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

describe('the store when the engine comes back', () => {
  it('starts the view over with the new client, re-reads the status and asks for the stream', async () => {
    cleanups.push(setupAttach());
    const first = new MockWorkbench();
    first.status = running;
    const one = connectMock(first);
    cleanups.push(one.close);
    await attach(one.client);
    // A session runs when the page opens: the packets show, not the attach page.
    expect(useAttach.getState().page).toBe('packets');
    first.emit('records', {
      seq: 1,
      firstNo: 1,
      count: 3,
      skipped: 0,
      batch: encodeRecords([rec(1), rec(2), rec(3)]),
    });
    await settle();
    expect(table.length).toBe(3);

    one.close();
    setConnectionClosed('the engine went away');
    expect(useWorkbench.getState()).toMatchObject({
      connection: 'closed',
      connectionError: 'the engine went away',
    });
    // What the view had stays while the engine is away.
    expect(table.length).toBe(3);

    const second = new MockWorkbench();
    second.status = { ...running, counters: { ...ZERO_COUNTERS, packets: 3 } };
    const two = connectMock(second);
    cleanups.push(two.close);
    await attach(two.client);
    expect(table.length).toBe(0);
    expect(useWorkbench.getState()).toMatchObject({
      connection: 'open',
      connectionError: null,
      session: { state: 'running' },
    });
    expect(second.calls).toContainEqual({ op: 'stream.ready', arg: { window: 4 } });
    second.emit('records', {
      seq: 1,
      firstNo: 1,
      count: 3,
      skipped: 0,
      batch: encodeRecords([rec(1), rec(2), rec(3)]),
    });
    await settle();
    // The same rows once, not twice.
    expect(table.length).toBe(3);
    expect(second.acked).toEqual([1]);
  });
});
