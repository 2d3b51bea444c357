// The renderer's store keeps no listener on a client it no longer uses: a new client (the engine
// came back) takes the place of the old one's listeners, and the disposer attach returns (or
// detach, when the page goes away) removes the last one's.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MockWorkbench, ackBatch, connectMock, emitRecords } from '../support/contract-mock';

vi.stubGlobal('requestAnimationFrame', (cb: (t: number) => void) => setTimeout(() => cb(0), 0));
const { attach, detach, table, useWorkbench } = await import('../../renderer/store/workbench');

const revision = (): number => useWorkbench.getState().revision;
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

describe('the store and the clients it was attached to', () => {
  it('drops the old client’s listeners when a new one attaches, and its own on dispose', async () => {
    const first = new MockWorkbench();
    const one = connectMock(first);
    cleanups.push(one.close);
    await attach(one.client);
    expect(one.listeners()).toBeGreaterThan(0);

    // The old connection is still open: nothing it says reaches the view any more.
    const second = new MockWorkbench();
    const two = connectMock(second);
    cleanups.push(two.close);
    const off = await attach(two.client);
    expect(one.listeners()).toBe(0);
    expect(two.listeners()).toBeGreaterThan(0);
    first.emit('records', ackBatch(1, [1, 2, 3]));
    // Delivered after the old client's batch (one queue of turns): once the store applied
    // this one, it had its chance at that one.
    await emitRecords(second, ackBatch(1, [7, 8]), revision);
    expect(first.acked).toEqual([]);
    expect(table.length).toBe(2);
    expect(table.value('no', 0)).toBe(7);

    off();
    expect(two.listeners()).toBe(0);
    off();
    expect(two.listeners()).toBe(0);

    // When the page goes away, detach() removes the listeners of the client attached last.
    const third = new MockWorkbench();
    const three = connectMock(third);
    cleanups.push(three.close);
    await attach(three.client);
    expect(three.listeners()).toBeGreaterThan(0);
    detach();
    expect(three.listeners()).toBe(0);
    expect(two.listeners()).toBe(0);
  });
});
