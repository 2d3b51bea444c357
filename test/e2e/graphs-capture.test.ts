// The Link tab of an opened capture in web mode: a capture with a 3-hour idle gap, opened as a
// user would (the attach page's Open capture, the file uploaded), shows its whole span first
// ("whole capture": the time axis runs past 3 hours, in h:mm:ss, a point per minute, titles
// saying so), its totals equal to a straight count of the file; "last 10 min" shows the end of
// it a point per 10 s. Screenshots graphs-capture-*.png.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshotFailures, startHarness, type Harness } from './harness';
import { untilWithin } from '../support/until';
import { makeTempDir } from '../support/pcap-fixtures';
import { countPcapFrames, writeGapCapture } from '../support/gap-capture';
import { decodeCapture } from '../support/workbench-view';

const waitFor = untilWithin(20_000, 100);
const tmp = makeTempDir('kdscope-e2e-graphs-capture-');

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  await h?.close();
  tmp.cleanup();
});

screenshotFailures(() => h, 'graphs-capture-');

type Page = Harness['page'];

const text = async (page: Page, testId: string): Promise<string> =>
  ((await page.getByTestId(testId).innerText()) ?? '').trim();

const attr = async (page: Page, testId: string, name: string): Promise<number> =>
  Number((await page.getByTestId(testId).getAttribute(name)) ?? Number.NaN);

/** "D->T 1,234 packets, at most 56 per 1 min" -> 1234 */
function total(summary: string, dir: 'D->T' | 'T->D'): number {
  const m = new RegExp(`${dir} ([\\d,]+) packets`).exec(summary);
  return m ? Number(m[1]!.replace(/,/g, '')) : -1;
}

describe('the Link tab of an opened capture', { timeout: 90_000 }, () => {
  it('shows the whole capture first, then its last 10 min ending where it ends', async () => {
    const { page } = h;
    const path = writeGapCapture(tmp.file('idle-gap.pcap'), { gapUs: 3 * 3600 * 1e6 });
    const frames = countPcapFrames(path);
    const spanS = (frames.at(-1)!.timeMs - frames[0]!.timeMs) / 1000;
    const rows = decodeCapture(path).rows;
    const count = (dir: string): number => rows.filter((r) => r.dir === dir).length;

    await page.goto(h.server.url);
    await page.getByTestId('attach-page').waitFor();
    await page.getByTestId('attach-open-capture').click();
    await page.getByTestId('open-dialog').waitFor();
    await page.getByTestId('open-file-input').setInputFiles(path);
    await waitFor(async () => h.workbench.status().state === 'stopped', 'the capture read');
    const tab = page.getByTestId('tab-link');
    await tab.click();
    await waitFor(async () => (await tab.getAttribute('aria-selected')) === 'true', 'the tab');

    const pane = page.getByTestId('graphs');
    const select = page.getByTestId('graphs-window');
    await waitFor(
      async () => (await pane.getAttribute('data-source')) === 'capture',
      'the graphs drawn from the capture',
    );
    // Whole capture is what an opened capture shows first; picked again as a user would.
    expect(await select.inputValue()).toBe('0');
    await select.selectOption({ label: 'whole capture' });
    await waitFor(async () => (await attr(page, 'graphs', 'data-bucket-ms')) === 60_000, 'bins');
    // The axis spans the whole capture, 3 hours and more, from its first frame.
    const from = await attr(page, 'graphs', 'data-from');
    const to = await attr(page, 'graphs', 'data-to');
    expect(from).toBeLessThanOrEqual(0);
    expect(from).toBeGreaterThan(-60);
    expect(to).toBeGreaterThanOrEqual(spanS);
    expect(to - from).toBeGreaterThan(3 * 3600);
    const ticks = await page.getByTestId('graph-packets').locator('svg text').allTextContents();
    expect(ticks).toContainEqual(expect.stringMatching(/^[1-3]:\d\d:\d\d$/));
    // Titles and words say what a point counts; the totals are every packet of the file.
    expect(await page.getByTestId('graph-packets').locator('.graph-title').innerText()).toBe(
      'Packets per 1 min',
    );
    expect(await page.getByTestId('graph-bytes').locator('.graph-title').innerText()).toBe(
      'Bytes per 1 min',
    );
    expect(await text(page, 'graphs-source')).toMatch(
      /^opened capture: packets and bytes per 1 min/,
    );
    const summary = await text(page, 'graph-packets-summary');
    expect(total(summary, 'D->T')).toBe(count('debugger->target'));
    expect(total(summary, 'T->D')).toBe(count('target->debugger'));
    await h.shot('graphs-capture-whole-1440x900');

    // The last 10 minutes, ending at the capture's end: a point per 10 s.
    await select.selectOption({ label: 'last 10 min' });
    await waitFor(async () => (await attr(page, 'graphs', 'data-bucket-ms')) === 10_000, '10 s');
    const lastFrom = await attr(page, 'graphs', 'data-from');
    const lastTo = await attr(page, 'graphs', 'data-to');
    expect(lastTo).toBeGreaterThanOrEqual(spanS);
    expect(lastTo - spanS).toBeLessThan(10);
    expect(lastTo - lastFrom).toBeGreaterThan(590);
    expect(lastTo - lastFrom).toBeLessThanOrEqual(610);
    expect(await page.getByTestId('graph-packets').locator('.graph-title').innerText()).toBe(
      'Packets per 10 s',
    );
    expect(await attr(page, 'graph-packets', 'data-points')).toBeGreaterThan(55);
    await h.shot('graphs-capture-last10-1440x900');
    await page.setViewportSize({ width: 1024, height: 640 });
    await select.selectOption({ label: 'whole capture' });
    await waitFor(async () => (await attr(page, 'graphs', 'data-bucket-ms')) === 60_000, 'whole');
    await h.shot('graphs-capture-whole-1024x640');
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(h.errors).toEqual([]);
  });
});
