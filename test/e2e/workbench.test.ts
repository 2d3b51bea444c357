// What the user sees: start a simulated session, packets stream in, filter, select a packet and
// read its fields and highlighted bytes, keyboard navigation. Screenshots on every run.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { screenshotDir, showPacket, startHarness, type Harness, displayedRows } from './harness';
import { untilWithin } from '../support/until';

let h: Harness;
let closed: Promise<void> | undefined;
const closeMain = (): Promise<void> => (closed ??= h ? h.close() : Promise.resolve());

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  await closeMain();
});

const CAPTURE_NAME = /kdscope-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d(-\d+)?\.pcap/;

const displayed = async (): Promise<number> => (await displayedRows(h.page)).shown;

const waitFor = untilWithin(10_000, 100);

describe('workbench in a browser (web mode)', () => {
  it('refuses the page without the token', async () => {
    const page = await h.context.newPage();
    const res = await page.goto(`http://127.0.0.1:${h.server.port}/`);
    expect(res?.status()).toBe(403);
    await page.close();
  });

  it('connects and starts a simulated session; packets stream in', async () => {
    const { page } = h;
    await page.goto(h.server.url);
    await page.getByText('connected').first().waitFor();
    await h.shot('01-empty');
    await page.getByTestId('start').click();
    await waitFor(async () => (await displayed()) >= 150, '150 packets');
    expect(await page.getByTestId('session-state').textContent()).toBe('running');
    await waitFor(
      async () =>
        Number((await page.getByTestId('c-packets').textContent())?.replace(/,/g, '')) > 0,
      'counters',
    );
    // Follow keeps the newest row in view.
    const lastNo = await page.locator('.tl-row').last().getAttribute('data-no');
    expect(Number(lastNo)).toBeGreaterThan(100);
    // The rows in view name their packet types (the scripted debugger's calls among them).
    await page.locator('.tl-row', { hasText: 'STATE_MANIPULATE' }).first().waitFor();
    // While following, the newest rendered row sits at the bottom of the pane (no blank gap),
    // redraw after redraw.
    const newest = new Set<number>();
    await waitFor(async () => {
      const { no, gap } = await page.getByTestId('timeline').evaluate((el) => {
        const rows = el.querySelectorAll('.tl-row');
        const last = rows[rows.length - 1];
        return {
          no: Number(last?.getAttribute('data-no')),
          gap: last ? el.getBoundingClientRect().bottom - last.getBoundingClientRect().bottom : 999,
        };
      });
      expect(gap).toBeLessThan(25);
      newest.add(no);
      return newest.size >= 10;
    }, 'ten redraws with new rows');
    await h.shot('02-streaming');
  });

  it('names the capture the session records to, in the status bar', async () => {
    const { page } = h;
    const capture = page.getByTestId('capture');
    await waitFor(
      async () => /· [1-9][\d,]* frames/.test((await capture.textContent()) ?? ''),
      'frames recorded',
    );
    const text = (await capture.textContent()) ?? '';
    expect(text).toMatch(new RegExp(`^Recording to …/${CAPTURE_NAME.source} · [\\d,]+ frames$`));
    const path = (await capture.getAttribute('title')) ?? '';
    expect(dirname(path)).toBe(h.capturesDir);
    expect(text).toContain(basename(path));
    expect(existsSync(path) && statSync(path).size).toBeGreaterThan(24);
    expect(await page.getByTestId('capture-error').count()).toBe(0);
    await page
      .getByTestId('statusbar')
      .screenshot({ path: join(screenshotDir, '06-statusbar-capture.png') });
  });

  it('pauses and resumes the view, follows on request, clears', async () => {
    const { page } = h;
    await page.getByTestId('pause').click();
    const frozen = await displayed();
    await page.getByText(/View paused · [\d,]+ new/).waitFor();
    // Rows keep arriving while paused; the view shows none of them.
    const pending = async (): Promise<number> => {
      const text = (await page.getByText(/View paused · [\d,]+ new/).textContent()) ?? '';
      return Number(/· ([\d,]+) new/.exec(text)?.[1]?.replace(/,/g, '') ?? -1);
    };
    const first = await pending();
    await waitFor(async () => (await pending()) > first, 'rows to arrive while paused');
    expect(await displayed()).toBe(frozen);
    await h.shot('02b-paused');
    await page.getByTestId('pause').click();
    await waitFor(async () => (await displayed()) > frozen, 'rows after resume');
    // A wheel gesture up stops following; the button brings it back.
    await page.getByTestId('timeline').hover();
    await page.mouse.wheel(0, -600);
    await page.getByTestId('follow').waitFor();
    await page.getByTestId('follow').click();
    await waitFor(async () => (await page.getByTestId('follow').count()) === 0, 'follow resumed');
    const before = await displayed();
    await page.getByTestId('clear').click();
    await waitFor(async () => (await displayed()) < before, 'cleared view');
    await waitFor(async () => (await displayed()) >= 40, 'new rows after clear');
  });

  it('filters: inline error, completions, then a two-term filter over the table', async () => {
    const { page } = h;
    const filter = page.getByTestId('filter');
    await filter.click();
    await filter.fill('type == ');
    // The value completions cover the error while they are open; Escape shows it.
    await page.getByTestId('completions').waitFor();
    await filter.press('Escape');
    await page.getByTestId('filter-error').waitFor();
    expect(await page.getByTestId('filter-error').textContent()).toMatch(/\^/);
    // Typing in the filter box does not stop the timeline following the newest packet: rows
    // that come next are followed.
    const typed = await displayed();
    await waitFor(async () => (await displayed()) > typed, 'rows after typing');
    expect(await page.getByTestId('follow').count()).toBe(0);
    await filter.fill('ty');
    await page.getByTestId('completions').waitFor();
    expect(await page.getByTestId('completions').textContent()).toContain('type');
    await filter.fill('type == STATE_MA');
    await page.getByTestId('completions').getByText('STATE_MANIPULATE').waitFor();
    await h.shot('03-completions');
    await filter.press('Tab');
    expect(await filter.inputValue()).toBe('type == STATE_MANIPULATE ');
    await filter.pressSequentially('&& api == ReadVirtualMemory');
    await filter.press('Enter');
    await waitFor(async () => (await page.locator('.tl-row').count()) > 0, 'filtered rows');
    // Enough matching rows for the keyboard test below to page through (several panes' worth).
    await waitFor(async () => (await displayed()) >= 100, '100 filtered rows', 30_000);
    await page.getByTestId('stop').click();
    await waitFor(
      async () => (await page.getByTestId('session-state').textContent()) === 'stopped',
      'stop',
    );
    const rows = page.locator('.tl-row');
    const n = await rows.count();
    expect(n).toBeGreaterThan(0);
    for (let i = 0; i < n; i++) {
      const text = (await rows.nth(i).textContent()) ?? '';
      expect(text).toContain('STATE_MANIPULATE');
      expect(text).toContain('ReadVirtualMemory');
    }
    expect(await page.getByTestId('statusbar').textContent()).toMatch(
      /Filter: type == STATE_MANIPULATE/,
    );
    expect(await page.getByTestId('capture').textContent()).toMatch(/^Recorded to …\//);
  });

  it('selects a packet: details tree, highlighted hex, and the link back', async () => {
    const { page } = h;
    const no = await showPacket(page, page.locator('.tl-row').first());
    const details = page.getByTestId('details');
    await details.getByText('ApiNumber', { exact: true }).waitFor();
    expect(await details.textContent()).toContain('0x3130 (ReadVirtualMemory)');
    await details.getByText('ApiNumber', { exact: true }).click();
    const highlighted = page.getByTestId('hex').locator('.hb.hl');
    expect(await highlighted.count()).toBe(4);
    expect(await highlighted.allTextContents()).toEqual(['30', '31', '00', '00']);
    await h.shot('04-details-hex');
    // Byte 4 is the PacketType field of the KD header.
    await page.getByTestId('hex').locator('.hb[data-offset="4"]').click();
    expect(await details.locator('.tree-row.selected').textContent()).toContain('PacketType');
    expect(await highlighted.count()).toBe(2);
    // The tracker's pairing links the request and its response both ways.
    const summary = page.getByTestId('summary');
    const link = summary.locator('button.link').first();
    const partner = Number(await link.textContent());
    expect(await summary.textContent()).toMatch(/(Response|Request) in/);
    await link.click();
    await waitFor(
      async () =>
        Number(await page.locator('.tl-row.selected').getAttribute('data-no')) === partner,
      'the partner row selected',
    );
    await details.getByText(`Packet ${partner} ·`).waitFor();
    await h.shot('04b-pair-link');
    expect(await summary.locator('button.link').first().textContent()).toBe(String(no));
  });

  it('navigates with the keyboard', async () => {
    const { page } = h;
    const timeline = page.getByTestId('timeline');
    await timeline.focus();
    const selectedNo = async (): Promise<number> =>
      Number(await page.locator('.tl-row.selected').getAttribute('data-no'));
    const first = await selectedNo();
    await page.keyboard.press('ArrowDown');
    await waitFor(async () => (await selectedNo()) > first, 'ArrowDown');
    const second = await selectedNo();
    await page.keyboard.press('ArrowUp');
    await waitFor(async () => (await selectedNo()) === first, 'ArrowUp');
    await page.keyboard.press('End');
    await waitFor(async () => (await selectedNo()) > second, 'End');
    const last = await selectedNo();
    await page.keyboard.press('Home');
    await waitFor(
      async () => (await timeline.evaluate((el) => el.scrollTop)) === 0,
      'Home scrolls to the top',
    );
    // The first row shown, read again each time: the list may still show the rows from before
    // the scroll for a frame.
    const firstShown = async (): Promise<number> =>
      Number(await page.locator('.tl-row').first().getAttribute('data-no'));
    await waitFor(
      async () => (await selectedNo()) === (await firstShown()),
      'Home selects the first row',
    );
    const top = await firstShown();
    expect(top).toBeLessThanOrEqual(first);
    await page.keyboard.press('PageDown');
    await waitFor(async () => (await selectedNo()) > top, 'PageDown');
    const paged = await selectedNo();
    expect(paged).toBeLessThan(last);
    const pageRows = await page.locator('.tl-row').evaluateAll((rows, no) => {
      const nos = rows.map((r) => Number(r.getAttribute('data-no')));
      return nos.indexOf(no as number);
    }, paged);
    // One page is more than one row and less than the pane's height in rows.
    expect(pageRows).toBeGreaterThan(5);
    await h.shot('05-keyboard');
  });

  it('clears the filter and shows everything again, without console errors', async () => {
    const { page } = h;
    await page.getByText('Clear filter').click();
    await waitFor(async () => (await displayed()) > 150, 'all rows');
    expect(h.errors).toEqual([]);
  });
});

describe('a view that falls behind the engine', () => {
  let small: Harness;

  beforeAll(async () => {
    await closeMain();
    // The engine keeps 64 rows: at flood pace the page cannot keep up and skips rows.
    small = await startHarness({ workbench: { capacityRows: 64, batchRows: 16 } });
  }, 120_000);

  afterAll(async () => {
    await small?.close();
  });

  it('says the rows that left the view are in the session capture', async () => {
    const { page } = small;
    await page.goto(small.server.url);
    await page.getByText('connected').first().waitFor();
    await page.getByLabel('Scripted debugger pace').selectOption('50000');
    await page.getByTestId('start').click();
    const dropped = page.getByTestId('dropped');
    await dropped.waitFor({ timeout: 20_000 });
    await page.getByTestId('stop').click();
    const path = (await page.getByTestId('capture').getAttribute('title')) ?? '';
    expect(dirname(path)).toBe(small.capturesDir);
    expect(await dropped.textContent()).toMatch(
      new RegExp(
        `^[\\d,]+ older rows left memory; they are read back from …/${basename(path).replace(/\./g, '\\.')}$`,
      ),
    );
    await small.shot('07-dropped-rows-in-capture');
    expect(small.errors).toEqual([]);
  });
});
