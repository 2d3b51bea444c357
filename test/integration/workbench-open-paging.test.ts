// An opened capture with more rows than the window pages like a live session: the file is
// indexed while it is read, and rows the window no longer holds are decoded again from it,
// equal field for field to a full decode of the file (no., time, dir, type, info, links,
// frame), as are an old packet's bytes. A compressed capture says in one line why its old
// rows are not read back.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { SessionStatus } from '../../electron/api/contract';
import { Workbench } from '../../electron/engine/workbench/workbench';
import type { PacketRecord } from '../../protocol/session/record';
import { makeTempDir, writeGeneratedSession } from '../support/pcap-fixtures';
import { untilWithin } from '../support/until';
import { connectView, decodeCapture, readPage } from '../support/workbench-view';

const tmp = makeTempDir('kdscope-open-paging-');
afterAll(() => tmp.cleanup());
const until = untilWithin(60_000, 10);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const WINDOW = 1000;

const capture = (name: string, format: 'pcap' | 'pcapng', gzip = false): string =>
  writeGeneratedSession(tmp.file(name), 400_000, 21, 700, format, { gzip });

const page = readPage;

async function openRead(path: string) {
  const workbench = new Workbench({
    capturesDir: tmp.file('captures'),
    capacityRows: WINDOW,
    viewRows: WINDOW,
    batchRows: 256,
    checkpointRecords: 300,
  });
  cleanups.push(() => workbench.dispose());
  const view = connectView(workbench, 4, true);
  cleanups.push(() => view.handlers.dispose());
  expect(await view.handlers['stream.ready']({ window: 4 })).toEqual({ windowRows: WINDOW });
  await view.handlers['captures.open']({ path });
  const done = (s: SessionStatus | undefined) => s !== undefined && s.state !== 'running';
  await until(() => done(view.states.at(-1)), 'the capture read');
  expect(view.states.at(-1)!.state).toBe('stopped');
  const total = workbench.status().counters.packets;
  // Rows not yet streamed to the view stay in the engine's memory (on a busy machine the read
  // can end before the view took them): only once the view has all have old rows left it.
  await until(() => view.rows.at(-1)?.no === total, 'every row streamed to the view');
  return { workbench, view, total };
}

describe('an opened capture pages its old rows from the file', () => {
  for (const format of ['pcap', 'pcapng'] as const) {
    it(`${format}: every row read back equals a full decode's`, async () => {
      const path = capture(`long.${format}`, format);
      const full = decodeCapture(path).rows;
      expect(full.length).toBeGreaterThan(5 * WINDOW);
      const { workbench, view, total } = await openRead(path);
      expect(total).toBe(full.length);
      // Pages of odd sizes across checkpoints, from no. 1 to the last row.
      for (let from = 1; from <= total; from += 777) {
        const n = Math.min(777, total - from + 1);
        const got = await page(view, from, n);
        expect(got.missing, `page at ${from}`).toBeUndefined();
        expect(got.rows, `page at ${from}`).toEqual(full.slice(from - 1, from - 1 + n));
      }
      // The fields the table shows, spelled out for the first rows.
      const first = (await page(view, 1, 50)).rows;
      const shown = (r: PacketRecord) => [r.no, r.time, r.dir, r.typeName, r.info, r.frame];
      expect(first.map(shown)).toEqual(full.slice(0, 50).map(shown));
      expect(first.every((r) => r.time > 0 && r.frame !== undefined)).toBe(true);
      expect(first.some((r) => r.info !== undefined)).toBe(true);
      expect(full.slice(0, 200).some((r) => r.ack !== undefined)).toBe(true);
      // The oldest packet's bytes are read back from the file too (the decoder keeps recent ones).
      const bytes = await view.handlers['packets.bytes'](1);
      expect(bytes?.dir).toBe(full[0]!.dir);
      expect(bytes?.bytes.length).toBe(full[0]!.length);
      const again = workbench.bytes(2);
      expect(again?.bytes.length).toBe(full[1]!.length);
      // Past the end: a reason, no rows.
      const past = await page(view, total + 1, 10);
      expect(past.rows).toEqual([]);
      expect(past.missing).toMatch(/not recorded/);
    });
  }

  it('a compressed capture says why its old rows are not read back', async () => {
    const path = capture('long.pcap.gz', 'pcap', true);
    const { view } = await openRead(path);
    const got = await page(view, 1, 10);
    expect(got.rows).toEqual([]);
    expect(got.missing).toMatch(/not read back from this capture: .*compressed.*no random access/);
  });
});
