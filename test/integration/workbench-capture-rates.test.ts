// An opened capture's I/O graph (captures.rates): the engine counts every frame's bytes and
// every record per direction while it reads the file, in bins aligned on their width. Checked
// against a straight count of the file (its frames parsed here, its records from a full
// decode): a capture with a 3-hour idle gap widens its bins to 10 s, a short one keeps 1 s,
// one larger than the view's window still counts every row, and a cut capture counts up to
// the damage. A live session has no such series.
import { statSync, truncateSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MAX_RATE_BINS, type CaptureRates } from '../../electron/api/contract';
import { Workbench } from '../../electron/engine/workbench/workbench';
import { binCounts, countPcapFrames, writeGapCapture } from '../support/gap-capture';
import { makeTempDir } from '../support/pcap-fixtures';
import { untilWithin } from '../support/until';
import { connectView, decodeCapture } from '../support/workbench-view';

const tmp = makeTempDir('kdscope-capture-rates-');
afterAll(() => tmp.cleanup());
const until = untilWithin(60_000, 10);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const HOUR_US = 3600 * 1e6;

async function openRates(path: string, window?: number) {
  const workbench = new Workbench({
    capturesDir: tmp.file('captures'),
    ...(window ? { capacityRows: window, viewRows: window, checkpointRecords: 300 } : {}),
  });
  cleanups.push(() => workbench.dispose());
  const view = connectView(workbench, 4, true);
  cleanups.push(() => view.handlers.dispose());
  await view.handlers['captures.open']({ path });
  await until(() => {
    const s = view.states.at(-1);
    return s !== undefined && s.state !== 'running';
  }, 'the capture read');
  const rates = await view.handlers['captures.rates']();
  return { workbench, view, rates, status: view.states.at(-1)! };
}

/** The series equals a straight count: bytes of the frames parsed here, records of a decode. */
function expectStraightCount(
  rates: CaptureRates,
  frames: ReturnType<typeof countPcapFrames>,
  records: readonly { time: number; dir: 'debugger->target' | 'target->debugger' }[],
): void {
  const bins = rates['debugger->target'].packets.length;
  expect(rates['target->debugger'].packets).toHaveLength(bins);
  expect(rates.start % rates.binMs).toBe(0);
  const bytes = binCounts(
    frames.map((f) => ({ timeMs: f.timeMs, dir: f.dir, value: f.bytes })),
    rates.start,
    rates.binMs,
    bins,
  );
  const packets = binCounts(
    records.map((r) => ({ timeMs: r.time, dir: r.dir, value: 1 })),
    rates.start,
    rates.binMs,
    bins,
  );
  for (const dir of ['debugger->target', 'target->debugger'] as const) {
    expect(rates[dir].bytes).toEqual(bytes[dir]);
    expect(rates[dir].packets).toEqual(packets[dir]);
  }
  // The first and last bins hold the first and last frames (no empty bins around them).
  expect(rates.first).toBe(Math.min(...frames.map((f) => f.timeMs)));
  expect(rates.last).toBe(Math.max(...frames.map((f) => f.timeMs)));
  expect(Math.floor(rates.first / rates.binMs) * rates.binMs).toBe(rates.start);
  expect(rates.start + bins * rates.binMs).toBeGreaterThan(rates.last);
  expect(rates.start + (bins - 1) * rates.binMs).toBeLessThanOrEqual(rates.last);
}

describe('captures.rates: the whole capture per bin', () => {
  it('a 3-hour idle gap widens the bins to 10 s; every bin equals a straight count', async () => {
    const path = writeGapCapture(tmp.file('gap.pcap'), { gapUs: 3 * HOUR_US });
    const frames = countPcapFrames(path);
    const span = (frames.at(-1)!.timeMs - frames[0]!.timeMs) / 1000;
    expect(span).toBeGreaterThan(3 * 3600);
    const { rates, status } = await openRates(path);
    expect(status.state).toBe('stopped');
    expect(rates).not.toBeNull();
    expect(rates!.complete).toBe(true);
    expect(rates!.binMs).toBe(10_000);
    const bins = rates!['debugger->target'].packets.length;
    expect(bins).toBeLessThanOrEqual(MAX_RATE_BINS);
    expect(bins).toBeGreaterThan(span / 10 - 1);
    expectStraightCount(rates!, frames, decodeCapture(path).rows);
    // The gap is there: a run of empty bins about 3 hours long.
    const d = rates!['debugger->target'].bytes;
    const t = rates!['target->debugger'].bytes;
    let longest = 0;
    let run = 0;
    for (let i = 0; i < bins; i++) {
      run = d[i] === 0 && t[i] === 0 ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    expect(longest * 10).toBeGreaterThanOrEqual(3 * 3600 - 10);
  });

  it('a capture of a few minutes keeps 1 s bins', async () => {
    const path = writeGapCapture(tmp.file('short.pcap'), { gapUs: 60 * 1e6, stepUs: 300_000 });
    const frames = countPcapFrames(path);
    const { rates } = await openRates(path);
    expect(rates!.binMs).toBe(1000);
    expectStraightCount(rates!, frames, decodeCapture(path).rows);
  });

  it("counts every row of a capture larger than the view's window", async () => {
    const path = writeGapCapture(tmp.file('paged.pcap'), {
      gapUs: 2 * HOUR_US,
      bytes: 400_000,
    });
    const full = decodeCapture(path).rows;
    const { view, rates } = await openRates(path, 500);
    expect(full.length).toBeGreaterThan(4 * 500);
    // What the view holds is a part; the series is all of it.
    let total = 0;
    for (const dir of ['debugger->target', 'target->debugger'] as const)
      total += rates![dir].packets.reduce((a, b) => a + b, 0);
    expect(total).toBe(full.length);
    expect(view.rows.length).toBeGreaterThanOrEqual(1);
    expectStraightCount(rates!, countPcapFrames(path), full);
  });

  it('a cut capture gives the series up to the damage', async () => {
    const path = writeGapCapture(tmp.file('cut.pcap'), { gapUs: 2 * HOUR_US });
    // Cut inside a record after the gap: the frames before the cut are whole.
    truncateSync(path, Math.floor(statSync(path).size * 0.8));
    const frames = countPcapFrames(path);
    const { view, rates, status } = await openRates(path);
    expect(status.state).toBe('failed');
    expect(status.info?.opened?.problem).toMatch(/cut|truncat|end/i);
    expect(rates!.complete).toBe(true);
    // The rows the view got are every record the engine decoded before the damage.
    await until(
      () => view.rows.length === status.counters.packets,
      'every row streamed to the view',
    );
    expectStraightCount(rates!, frames, view.rows);
    expect(rates!.last).toBe(frames.at(-1)!.timeMs);
  });

  it('is null for a live session', async () => {
    const workbench = new Workbench({ capturesDir: tmp.file('captures') });
    cleanups.push(() => workbench.dispose());
    const view = connectView(workbench, 4, true);
    cleanups.push(() => view.handlers.dispose());
    await workbench.start({ debugger: 'sim', target: 'sim' });
    cleanups.push(() => workbench.stop());
    expect(await view.handlers['captures.rates']()).toBeNull();
  });
});
