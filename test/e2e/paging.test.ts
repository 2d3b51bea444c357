// A session larger than the window a page keeps (1000 rows): scrolled to the top, the list
// shows packet no. 1 with the fields the engine streamed, read back from the session's capture.
// The same for an opened capture larger than the window: no. 1 is read back from the file.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchFromBytes, decodeRecord } from '../../protocol/records/columns';
import { startHarness, type Harness } from './harness';
import { untilWithin } from '../support/until';
import { makeTempDir, writeGeneratedSession } from '../support/pcap-fixtures';
import { decodeCapture } from '../support/workbench-view';

const tmp = makeTempDir('kdscope-e2e-paging-');

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    workbench: { viewRows: 1000, capacityRows: 1000, checkpointRecords: 500 },
  });
}, 120_000);

afterAll(async () => {
  await h?.close();
  tmp.cleanup();
});

const waitFor = untilWithin(20_000, 100);

describe('paging old rows in the browser', () => {
  it('scrolls to the top of a session larger than the window and sees row no. 1', async () => {
    const { page } = h;
    await page.goto(h.server.url);
    await page.getByText('connected').first().waitFor();
    await page.getByLabel('Scripted debugger pace').selectOption('50000');
    await page.getByTestId('start').click();
    const dropped = page.getByTestId('dropped');
    await dropped.waitFor({ timeout: 20_000 });
    await waitFor(async () => h.workbench.status().counters.packets > 3000, '3000 packets');
    await page.getByTestId('stop').click();
    await waitFor(async () => h.workbench.status().state === 'stopped', 'the session to stop');
    const timeline = page.getByTestId('timeline');
    await timeline.focus();
    await page.keyboard.press('Home');
    const first = page.locator('.tl-row[data-no="1"]:not([data-gap])');
    await first.waitFor({ timeout: 20_000 });
    // The engine's row 1, as streamed (its capture read back).
    const got = h.workbench.rows({ from: 1, count: 1 });
    const row = decodeRecord(batchFromBytes(got.batch), 0);
    const cell = (col: string) => first.locator(`[data-col="${col}"]`).textContent();
    expect(await cell('no')).toBe('1');
    expect(await cell('dir')).toBe(row.dir === 'debugger->target' ? 'D->T' : 'T->D');
    expect(await cell('type')).toBe(row.typeName);
    expect(await cell('len')).toBe(String(row.length));
    expect(await first.getAttribute('class')).toContain('selected');
    // Its details come from the capture too.
    await page.getByTestId('summary').waitFor();
    expect(await page.getByTestId('summary').textContent()).toContain('Packet 1');
    const older = Number((await dropped.textContent())?.match(/^[\d,]+/)?.[0].replace(/,/g, ''));
    expect(older).toBeGreaterThan(1000);
    await h.shot('08-paged-first-row');
    expect(h.errors).toEqual([]);
  });
});

// Its own engine and page: a page that connects to an engine already holding rows may take
// some before stream.ready answers with the window size, which the store applies only while
// it holds no rows (renderer/store/workbench.ts), so its window would not be the engine's.
describe('paging old rows of an opened capture in the browser', () => {
  let o: Harness;
  beforeAll(async () => {
    o = await startHarness({
      workbench: { viewRows: 1000, capacityRows: 1000, checkpointRecords: 500 },
    });
  }, 120_000);
  afterAll(async () => {
    await o?.close();
  });

  it('scrolls to the top of an opened capture larger than the window and sees row no. 1', async () => {
    const h = o;
    const { page } = h;
    const path = writeGeneratedSession(tmp.file('long.pcapng'), 200_000, 31, 700, 'pcapng');
    const full = decodeCapture(path).rows;
    expect(full.length).toBeGreaterThan(3000);
    // Opened as a user would: the attach page's Open capture, the file chooser (uploaded).
    await page.goto(h.server.url);
    await page.getByTestId('attach-page').waitFor();
    await page.getByTestId('attach-open-capture').click();
    await page.getByTestId('open-dialog').waitFor();
    await page.getByTestId('open-file-input').setInputFiles(path);
    await waitFor(
      async () => h.workbench.status().info?.opened?.name === 'long.pcapng',
      'the capture opened',
    );
    await waitFor(async () => h.workbench.status().state === 'stopped', 'the capture read');
    const dropped = page.getByTestId('dropped');
    await dropped.waitFor({ timeout: 20_000 });
    const timeline = page.getByTestId('timeline');
    await timeline.focus();
    await page.keyboard.press('Home');
    const first = page.locator('.tl-row[data-no="1"]:not([data-gap])');
    await first.waitFor({ timeout: 20_000 });
    // Row 1 of a full decode of the file.
    const row = full[0]!;
    const cell = (col: string) => first.locator(`[data-col="${col}"]`).textContent();
    expect(await cell('no')).toBe('1');
    expect(await cell('dir')).toBe(row.dir === 'debugger->target' ? 'D->T' : 'T->D');
    expect(await cell('type')).toBe(row.typeName);
    expect(await cell('len')).toBe(String(row.length));
    await page.getByTestId('summary').waitFor();
    expect(await page.getByTestId('summary').textContent()).toContain('Packet 1');
    expect(h.errors).toEqual([]);
  });
});
