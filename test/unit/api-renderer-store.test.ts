// The renderer's store against a fresh mock engine through the real registry and messages.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  MockWorkbench,
  ackRecord,
  connectMock,
  emitRecords,
  recordsEvent,
} from '../support/contract-mock';
import { untilWithin } from '../support/until';
import { encodeRecords } from '../../electron/engine/workbench/workbench';
import type { PacketRecord } from '../../protocol/session/record';

vi.stubGlobal('requestAnimationFrame', (cb: (t: number) => void) => setTimeout(() => cb(0), 0));
const { actions, attach, displayRecord, pages, tableRow, table, timeOrigin, useWorkbench } =
  await import('../../renderer/store/workbench');

const rec = (no: number): PacketRecord =>
  no % 2
    ? {
        no,
        time: no,
        dir: 'debugger->target',
        kind: 'packet',
        offset: no * 100,
        length: 73,
        leader: 'data',
        type: 2,
        typeName: 'STATE_MANIPULATE',
        id: 0x80800000,
        byteCount: 56,
        checksumOk: no % 5 !== 0,
        api: no % 3 ? 0x3130 : 0x3132,
        apiName: no % 3 ? 'ReadVirtualMemory' : 'GetContext',
        flags: 0,
      }
    : ackRecord(no, { offset: no * 100 });

const range = (from: number, to: number): PacketRecord[] =>
  Array.from({ length: to - from + 1 }, (_, i) => rec(from + i));

const until = untilWithin(5000);
const mock = new MockWorkbench();
const { client, close } = connectMock(mock);
let seq = 0;
async function push(records: PacketRecord[], skipped = 0, updates?: PacketRecord[]): Promise<void> {
  await emitRecords(
    mock,
    recordsEvent(++seq, records, skipped, updates),
    () => useWorkbench.getState().revision,
  );
}
const state = () => useWorkbench.getState();
const shownNos = (): number[] =>
  Array.from({ length: state().displayCount }, (_, i) => table.value('no', tableRow(i)));

beforeAll(async () => {
  await attach(client);
});
afterAll(() => close());

describe('renderer store over the API', () => {
  it('asks for the stream with a window and acknowledges every batch it applied', async () => {
    expect(mock.window).toBe(4);
    expect(state().connection).toBe('open');
    await push(range(1, 100));
    expect(state().displayCount).toBe(100);
    expect(state().totalRows).toBe(100);
    expect(mock.acked).toEqual([1]);
  });

  it('reports a bad filter with its position and keeps the view', () => {
    actions.setFilterText('type == ');
    expect(state().filterError).toMatchObject({ start: expect.any(Number) });
    actions.applyFilter();
    expect(state().displayCount).toBe(100);
  });

  it('filters the table, then new batches incrementally', async () => {
    actions.setFilterText('type == STATE_MANIPULATE && api == ReadVirtualMemory');
    expect(state().filterError).toBeNull();
    actions.applyFilter();
    const expected = (to: number): number[] =>
      range(1, to)
        .filter((r) => r.type === 2 && r.api === 0x3130)
        .map((r) => r.no);
    expect(shownNos()).toEqual(expected(100));
    expect(state().filterMs).toBeGreaterThanOrEqual(0);
    await push(range(101, 250));
    expect(shownNos()).toEqual(expected(250));
    actions.setFilterText('');
    actions.applyFilter();
    expect(state().displayCount).toBe(250);
  });

  it('freezes the view while paused and catches up on resume', async () => {
    actions.togglePause();
    await push(range(251, 300));
    expect(state().displayCount).toBe(250);
    expect(state().pendingWhilePaused).toBe(50);
    expect(state().totalRows).toBe(300);
    actions.togglePause();
    expect(state().displayCount).toBe(300);
  });

  it('loads the selected packet from the engine and tracks it across filters', async () => {
    mock.packets.set(7, {
      no: 7,
      dir: 'debugger->target',
      bytes: new Uint8Array(73),
      fields: [{ name: 'KD_PACKET', value: 'x', offset: 0, length: 16 }],
    });
    await actions.select(6); // display index 6 = no. 7
    expect(state().selectedNo).toBe(7);
    expect(state().details?.fields[0]?.name).toBe('KD_PACKET');
    actions.setFilterText('dir == debugger->target');
    actions.applyFilter();
    expect(state().selectedIndex).toBe(3); // 1, 3, 5, 7
    await actions.select(1); // no. 3 is not in the mock: its bytes are gone
    expect(state().detailsMissing).toBe(true);
    actions.setFilterText('');
    actions.applyFilter();
  });

  it('applies updates of rows it already holds (links, NO_RESPONSE cleared)', async () => {
    expect(table.row(2)).not.toHaveProperty('pair');
    await push([], 0, [
      { ...rec(3), pair: 4, ack: 4, flags: 0 },
      { ...rec(9999), flags: 1 },
    ]);
    expect(table.row(2)).toMatchObject({ no: 3, pair: 4, ack: 4, flags: 0 });
    expect(state().totalRows).toBe(300);
  });

  it('counts rows the engine could not keep for this view, and shows them from the engine', async () => {
    await push(range(401, 410), 100);
    expect(state().droppedRows).toBe(100);
    expect(state().totalRows).toBe(410);
    // Display index 350 = no. 351, skipped: fetched by no. (packets.rows) when shown.
    mock.rows = (r) => ({
      from: r.from,
      batch: encodeRecords(range(r.from, r.from + r.count - 1)),
    });
    expect(displayRecord(350)).toEqual({ loading: true });
    await until(() => !('loading' in (displayRecord(350) ?? {})), 'no. 351 fetched');
    expect(mock.calls).toContainEqual({ op: 'packets.rows', arg: { from: 257, count: 256 } });
    expect(displayRecord(350)).toEqual(rec(351));
    expect(pages.size).toBe(256);
  });

  it('says what a filter over the window did not search', async () => {
    actions.setFilterText('dir == debugger->target');
    actions.applyFilter(); // synchronous: it publishes what it covers at once
    // The rows the engine skipped (301-400) are not in memory: not searched, and it says so.
    expect(state().filterCovers).toEqual({ from: 1, to: 410, older: 100 });
    table.configure({ capacity: 64 });
    await push(range(411, 600));
    actions.applyFilter();
    // The window keeps at most 64 rows (whole chunks are dropped).
    expect(table.length).toBeLessThanOrEqual(64);
    expect(state().filterCovers).toEqual({
      from: table.firstNo,
      to: 600,
      older: 600 - table.length,
    });
    actions.setFilterText('');
    actions.applyFilter();
  });

  it("counts time from the view's first row when the window no longer holds it", () => {
    expect(table.value('time', 0)).toBeGreaterThan(1);
    expect(timeOrigin()).toBe(1);
  });

  it('spans at most MAX_LIST_ROWS (what a browser can lay out) and says what is left out', async () => {
    await push(range(2_000_000, 2_000_009), 1_999_399);
    expect(state().totalRows).toBe(1_500_000);
    expect(state().unlistedRows).toBe(2_000_009 - 1_500_000);
    expect(displayRecord(0)).toEqual({ loading: true }); // no. 500,010, from the engine
    expect(tableRow(1_499_999)).toBe(table.length - 1);
  });

  it("counts time from an opened capture's first row when this window joined after it left", async () => {
    // A window attaching to a capture whose first rows the engine no longer streams.
    mock.emit('session.state', {
      state: 'running',
      info: {
        id: 'opened-late',
        debugger: '',
        target: '',
        mode: 'com',
        startedAt: 5_000_000,
        debuggerCommand: '',
        opened: {
          name: 'c.pcap',
          path: '/c.pcap',
          format: 'pcap',
          compressed: false,
          bytes: 1,
          frames: 950,
        },
      },
      counters: state().counters,
    });
    await until(() => state().session.info?.id === 'opened-late', 'the opened capture shown');
    await push(range(900, 950), 899);
    expect(table.value('time', 0)).toBe(900);
    await until(() => timeOrigin() === 1, 'row 1 fetched for the origin');
    expect(mock.calls).toContainEqual({ op: 'packets.rows', arg: { from: 1, count: 256 } });
  });
});
