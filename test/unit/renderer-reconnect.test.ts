// The renderer after the engine came back (web mode): a new client is wired to the store, the
// view starts over (the engine streams what it holds from its start again), the session's state
// is read again and the stream asked for again; the attach page keeps showing packets then.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ZERO_COUNTERS, type SessionStatus } from '../../electron/api/contract';
import { MockWorkbench, ackBatch, connectMock, emitRecords } from '../support/contract-mock';

vi.stubGlobal('requestAnimationFrame', (cb: (t: number) => void) => setTimeout(() => cb(0), 0));
const { attach, setConnectionClosed, table, useWorkbench } =
  await import('../../renderer/store/workbench');
const { setupAttach, useAttach } = await import('../../renderer/store/attach');

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
const revision = (): number => useWorkbench.getState().revision;
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
    await emitRecords(first, ackBatch(1, [1, 2, 3]), revision);
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
    await emitRecords(second, ackBatch(1, [1, 2, 3]), revision);
    // The same rows once, not twice.
    expect(table.length).toBe(3);
    expect(second.acked).toEqual([1]);
  });
});
