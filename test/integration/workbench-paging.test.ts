// A window keeps only the tail of a long session; the rows before it come back from the engine
// (packets.rows, read from the session's real capture) exactly as they were streamed live,
// late links included, while the session runs and after it stopped, and their bytes too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workbench } from '../../electron/engine/workbench/workbench';
import { untilWithin } from '../support/until';
import { connectView, readPage, type View } from '../support/workbench-view';

const until = untilWithin(60_000, 10);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const page = readPage;

/** The live rows [from, to] against the engine's pages of `size`. */
async function expectPagesEqualLive(view: View, from: number, to: number, size: number) {
  const live = new Map(view.rows.map((r) => [r.no, r]));
  let compared = 0;
  for (let at = from; at <= to; at += size) {
    const n = Math.min(size, to - at + 1);
    const got = await page(view, at, n);
    expect(got.missing, `page at ${at}`).toBeUndefined();
    expect(got.rows.map((r) => r.no)).toEqual(Array.from({ length: n }, (_, k) => at + k));
    for (const row of got.rows) {
      const want = live.get(row.no);
      if (want === undefined) continue; // this view was skipped past it
      expect(row, `row ${row.no}`).toEqual(want);
      compared++;
    }
  }
  return compared;
}

describe('old rows of a long session, paged from its capture', () => {
  it('come back as streamed, with a window of 1000 rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kdscope-wbpaging-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const workbench = new Workbench({
      capturesDir: dir,
      capacityRows: 1000,
      viewRows: 1000,
      batchRows: 256,
      checkpointRecords: 500,
    });
    cleanups.push(() => workbench.dispose());
    const view = connectView(workbench, 4, true);
    cleanups.push(() => view.handlers.dispose());
    expect(await view.handlers['stream.ready']({ window: 4 })).toEqual({ windowRows: 1000 });
    await view.handlers['session.start']({ debugger: 'sim', target: 'sim', rate: 20_000 });
    await until(() => workbench.status().counters.packets > 4000, 'rows streamed');
    // While it runs: the capture is being appended.
    const running = await expectPagesEqualLive(view, 1, 3000, 700);
    expect(running).toBeGreaterThan(2000);
    await until(() => workbench.status().counters.packets > 7000, 'more rows');
    await view.handlers['session.stop']();
    const total = workbench.status().counters.packets;
    await until(() => view.rows.at(-1)?.no === total, 'the last row in the view');
    expect(await expectPagesEqualLive(view, 1, total, 997)).toBeGreaterThan(total / 2);
    // The conversation has late links to restore (ACKs, request/reply pairs with RTTs).
    const linked = (await page(view, 1, 4096)).rows;
    expect(linked.some((r) => r.ack !== undefined)).toBe(true);
    expect(linked.some((r) => r.pair !== undefined && r.rttMs !== undefined)).toBe(true);
    // Past the end, a reason; and an old packet's bytes.
    expect((await page(view, total + 1, 10)).missing).toMatch(/not recorded/);
    const first = await view.handlers['packets.bytes'](1);
    expect(first?.dir).toBe(view.rows.find((r) => r.no === 1)?.dir);
    expect(first?.bytes.length).toBe(view.rows.find((r) => r.no === 1)?.length);
  });
});
