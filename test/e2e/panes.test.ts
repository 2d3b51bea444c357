// What the user sees of the call dialog, the response-time and expert panes, the DbgPrint
// terminal and the Wireshark habits (keys, context menus, resizing), in web mode against a
// simulated target that corrupts every 25th data packet it sends (bad checksums on the wire).
// Screenshots at 1440x900 and 1024x640.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCapture } from '../../electron/capture/capture-source';
import type { Direction } from '../../protocol/kd/events';
import {
  displayedRows,
  root,
  screenshotFailures,
  showPacket,
  startHarness,
  type Harness,
} from './harness';
import { untilWithin } from '../support/until';

const BIN = join(root, 'bin/kdscope.mjs');

const waitFor = untilWithin(15_000, 100);

const num = (text: string | null): number => Number((text ?? '').replace(/,/g, ''));

/** The bytes of one direction of a capture, as one stream. */
function stream(path: string, dir: Direction): Uint8Array {
  const parts: Uint8Array[] = [];
  openCapture(path).forEach((c) => {
    if (c.dir === dir) parts.push(c.bytes.slice());
  });
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

let h: Harness;
let capture = '';

const displayed = (page = h.page): Promise<{ shown: number; total: number }> => displayedRows(page);

async function applyFilter(text: string): Promise<void> {
  const filter = h.page.getByTestId('filter');
  await filter.fill(text);
  await filter.press('Enter');
  await waitFor(
    async () => ((await h.page.getByTestId('statusbar').textContent()) ?? '').includes(text),
    `filter ${text}`,
  );
}

/** Opens a tab of the bottom panel (a click on the open tab would fold the panel). */
async function showTab(page: Harness['page'], id: string): Promise<void> {
  const tab = page.getByTestId(`tab-${id}`);
  if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
  await waitFor(async () => (await tab.getAttribute('aria-selected')) === 'true', `tab ${id}`);
}

async function clearFilter(): Promise<void> {
  await h.page.getByTestId('filter').fill('');
  await h.page.getByTestId('filter').press('Enter');
  await waitFor(
    async () => !((await h.page.getByTestId('statusbar').textContent()) ?? '').includes('Filter:'),
    'no filter',
  );
}

/** A new session from the attach page (the simulated VM is preselected), past the confirm. */
async function startAgain(page: Harness['page']): Promise<void> {
  await page.getByTestId('attach').click();
  await page.getByTestId('start').click();
  const confirm = page.getByTestId('confirm-start-ok');
  const running = async () => (await page.getByTestId('session-state').count()) > 0;
  await waitFor(async () => (await confirm.isVisible()) || (await running()), 'confirm or start');
  if (await confirm.isVisible()) await confirm.click();
}

beforeAll(async () => {
  h = await startHarness({ workbench: { simFault: { kind: 'corrupt', every: 25 } } });
  await h.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: `http://127.0.0.1:${h.server.port}`,
  });
  const { page } = h;
  await page.goto(h.server.url);
  await page.getByText('connected').first().waitFor();
  await page.getByLabel('Scripted debugger pace').selectOption('5000');
  await page.getByTestId('start').click();
  // Enough of a session for every pane: many calls, prints, a few corrupted packets.
  await waitFor(async () => (await displayed()).total >= 3000, '3000 packets', 60_000);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

screenshotFailures(() => h);

describe('the DbgPrint terminal and the engine log', { timeout: 60_000 }, () => {
  it("shows the target's DbgPrint text live, searches it, copies it, clears it", async () => {
    const { page } = h;
    await showTab(page, 'terminal');
    const term = page.getByTestId('terminal');
    const rows = term.locator('.xterm-rows');
    await waitFor(
      async () => /kdscope sim: run \d+, tick \d+/.test((await rows.textContent()) ?? ''),
      'DbgPrint text in the terminal',
    );
    // What the terminal shows is what the PrintString packets carry, in order.
    const screen = ((await rows.innerText()) ?? '').split('\n').filter((l) => l.trim() !== '');
    const firstShown = screen.find((l) => l.startsWith('kdscope sim:'))!.trimEnd();
    expect(firstShown).toMatch(/^kdscope sim: run \d+, tick \d+$/);
    // It is the text of a PrintString packet in the list (the simulated target also sends
    // damaged copies, which decode as other calls with the same text: those do not count).
    await applyFilter(`text contains "${firstShown}"`);
    await waitFor(async () => (await displayed()).shown >= 1, 'its packet');
    expect(await page.locator('.tl-row', { hasText: 'PrintString' }).count()).toBeGreaterThan(0);
    await clearFilter();
    expect(await page.getByTestId('terminal-rate').textContent()).toMatch(
      /^[\d,]+ lines · [\d.]+ lines\/s · \d+% of the wire$/,
    );
    // At this pace prints are a small part of the wire: no flood warning.
    expect(await page.getByTestId('terminal-flood').count()).toBe(0);
    await h.shot('10-terminal');

    await page.getByTestId('terminal-search').fill('tick');
    await page.getByTestId('terminal-search').press('Enter');
    await waitFor(
      async () =>
        /^\d+ of \d+$/.test((await page.getByTestId('terminal-found').textContent()) ?? ''),
      'search results',
    );
    // The match is selected: Copy takes the selection; with none, everything.
    await page.getByTestId('terminal-copy').click();
    await waitFor(
      async () => (await page.evaluate(() => navigator.clipboard.readText())) === 'tick',
      'the selection copied',
    );
    // Escape in the search box drops the search and its selection.
    await page.getByTestId('terminal-search').press('Escape');
    await page.getByTestId('terminal-copy').click();
    await waitFor(
      async () =>
        /kdscope sim: run \d+, tick \d+\n/.test(
          await page.evaluate(() => navigator.clipboard.readText()),
        ),
      'everything copied',
    );

    await page.getByTestId('terminal-clear').click();
    await waitFor(
      async () => !((await rows.textContent()) ?? '').includes(firstShown),
      'the terminal cleared',
    );
    // New prints keep coming after Clear.
    await waitFor(
      async () => /kdscope sim: run/.test((await rows.textContent()) ?? ''),
      'prints after clear',
      20_000,
    );
  });

  it('lists what the session did in the log tab', async () => {
    const { page } = h;
    await showTab(page, 'log');
    const log = page.getByTestId('engine-log').locator('.xterm-rows');
    await waitFor(
      async () =>
        /session running, recording to .*kdscope-.*\.pcap/.test((await log.textContent()) ?? ''),
      'the session line in the log',
    );
    // The engine's own lines: its peers as it saw them connect.
    let text = '';
    await waitFor(
      async () =>
        /\[engine\] session started: debugger sim, target sim/.test(
          (text = (await log.textContent()) ?? ''),
        ),
      () => `the engine's line in the log (it shows: ${text})`,
    );
  });
});

describe('after the session stops', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    const { page } = h;
    await page.getByTestId('stop').click();
    await waitFor(
      async () => (await page.getByTestId('session-state').textContent()) === 'stopped',
      'stopped',
    );
    capture = (await page.getByTestId('capture').getAttribute('title')) ?? '';
    expect(capture).toMatch(/\.pcap$/);
  }, 60_000);

  it('counts in the toolbar what the list shows', async () => {
    const { page } = h;
    await waitFor(
      async () =>
        num(await page.getByTestId('c-packets').textContent()) === (await displayed()).total,
      'toolbar packets == rows shown',
    );
    expect((await displayed()).total).toBeGreaterThan(3000);
  });

  it('opens the call dialog on a ReadVirtualMemory pair: address, length, status and bytes as in the capture', async () => {
    const { page } = h;
    await applyFilter('api == ReadVirtualMemory && dir == T->D && checksumOk');
    const no = Number(await page.locator('.tl-row').nth(2).getAttribute('data-no'));
    // By no.: the rows are re-laid out when the list stops following the newest.
    const row = page.locator(`.tl-row[data-no="${no}"]`);
    await row.click();
    const summary = (await page.getByTestId('summary').textContent()) ?? '';
    const m = /target->debugger, (\d+) bytes on the wire, offset (\d+)/.exec(summary);
    expect(m).not.toBeNull();
    const [length, offset] = [Number(m![1]), Number(m![2])];
    const rtt = (await row.locator('[data-col="rtt"]').textContent()) ?? '';

    await page.getByTestId('timeline').press('Enter');
    const dialog = page.getByTestId('call-dialog');
    await dialog.waitFor();
    expect(await dialog.locator('#call-title').textContent()).toBe('ReadVirtualMemory call');
    const response = dialog.getByTestId('call-response');
    await response.getByTestId('call-status').waitFor();
    const field = async (panel: typeof response, name: string): Promise<string> =>
      (await panel.locator(`tr[data-name="${name}"] td`).textContent()) ?? '';

    // The reply as the capture file holds it, decoded here by hand (KD header, then
    // DBGKD_MANIPULATE_STATE64: ReturnStatus at 8, ReadMemory at 16, data at 56).
    const bytes = stream(capture, 'target->debugger').subarray(offset, offset + length);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(view.getUint16(4, true)).toBe(2); // STATE_MANIPULATE
    expect(view.getUint32(16, true)).toBe(0x3130);
    const address = view.getBigUint64(32, true);
    const transfer = view.getUint32(40, true);
    const actual = view.getUint32(44, true);
    const data = bytes.subarray(16 + 56, 16 + view.getUint16(6, true));

    expect(await field(response, 'TargetBaseAddress')).toBe(`0x${address.toString(16)}`);
    expect(await field(response, 'TransferCount')).toMatch(
      new RegExp(`^0x${transfer.toString(16)}\\b`),
    );
    expect(await field(response, 'ActualBytesRead')).toMatch(
      new RegExp(`^0x${actual.toString(16)}\\b`),
    );
    expect(await response.getByTestId('call-status').textContent()).toBe(
      `ReturnStatus: 0x${view.getUint32(24, true).toString(16).padStart(8, '0')} (STATUS_SUCCESS)`,
    );
    const lines = response.getByTestId('hex-line');
    expect(await lines.count()).toBe(Math.ceil(data.length / 16));
    const shown: number[] = [];
    for (const l of await lines.all()) {
      if (shown.length === 0) {
        expect(await l.locator('.hd-addr').textContent()).toBe(
          address.toString(16).padStart(16, '0'),
        );
      }
      for (const b of ((await l.locator('.hd-hex').textContent()) ?? '').split(' '))
        shown.push(parseInt(b, 16));
    }
    expect(shown).toEqual(Array.from(data));
    // The request's side asks for the same address and length; the round trip is the row's.
    const request = dialog.getByTestId('call-request');
    expect(await field(request, 'TargetBaseAddress')).toBe(`0x${address.toString(16)}`);
    expect(await field(request, 'TransferCount')).toMatch(
      new RegExp(`^0x${transfer.toString(16)}\\b`),
    );
    // What only the target fills is not read from the request's bytes.
    expect(await field(request, 'ActualBytesRead')).toBe('(not filled in a request)');
    expect(await field(request, 'ReturnStatus')).toBe('(not filled in a request)');
    expect(await dialog.getByTestId('call-rtt').textContent()).toContain(`Round trip ${rtt} ms`);
    expect(await dialog.getByTestId('call-ack').getByTestId('ack-line').count()).toBe(2);
    await h.shot('11-call-dialog');

    // Step to the next and back to the previous call of the same API.
    await dialog.getByTestId('call-next').click();
    await waitFor(
      async () =>
        ((await response.locator('h3').textContent()) ?? '').match(/packet (\d+)/)?.[1] !==
        String(no),
      'the next call',
    );
    expect(await dialog.locator('#call-title').textContent()).toBe('ReadVirtualMemory call');
    await dialog.press('Alt+ArrowLeft');
    await waitFor(
      async () => ((await response.locator('h3').textContent()) ?? '').includes(`packet ${no} `),
      'back to the first call',
    );
    await page.keyboard.press('Escape');
    await waitFor(async () => (await dialog.count()) === 0, 'the dialog closed');
  });

  it('shows GetContext as a register table, and filters on the API', async () => {
    const { page } = h;
    await applyFilter('api == GetContext && dir == T->D');
    await page.locator('.tl-row').first().dblclick();
    const dialog = page.getByTestId('call-dialog');
    const regs = dialog.getByTestId('call-response').getByTestId('call-registers');
    await regs.waitFor();
    for (const r of ['Rip', 'Rsp', 'Rax', 'EFlags', 'SegCs', 'Dr7', 'Xmm0']) {
      expect(await regs.locator(`tr[data-name="${r}"]`).count(), r).toBe(1);
    }
    expect(await regs.locator('tr[data-name="Rip"] td').first().textContent()).toMatch(
      /^0x[0-9a-f]{16}$/,
    );
    expect(await regs.locator('tr[data-name="SegCs"]').textContent()).toContain('kernel mode');
    expect(await regs.locator('tr[data-name="EFlags"]').textContent()).toMatch(/IF/);
    await h.shot('12-call-dialog-context');
    await dialog.getByTestId('call-filter').click();
    await waitFor(
      async () =>
        ((await page.getByTestId('statusbar').textContent()) ?? '').includes(
          'Filter: api == GetContext',
        ),
      'filter on the API',
    );
    expect(await dialog.count()).toBe(0);
    const apis = await page.locator('.tl-row [data-col="api"]').allTextContents();
    expect(new Set(apis)).toEqual(new Set(['GetContext']));
    await clearFilter();
  });

  it('shows state changes: the exception code by name, the module path', async () => {
    const { page } = h;
    await applyFilter('newState == Exception');
    await page.locator('.tl-row').first().dblclick();
    const dialog = page.getByTestId('call-dialog');
    const change = dialog.getByTestId('call-request');
    await change.getByTestId('call-status').waitFor();
    expect(await dialog.locator('#call-title').textContent()).toBe('State change: Exception');
    expect(await change.getByTestId('call-status').textContent()).toBe(
      'ExceptionCode: 0x80000003 (STATUS_BREAKPOINT)',
    );
    expect(await change.locator('tr[data-name="FirstChance"] td').textContent()).toBe('1 (TRUE)');
    // The instruction stream the target reported, at the program counter.
    expect(await change.getByTestId('call-memory').textContent()).toMatch(
      /Instruction stream at ProgramCounter at 0x[0-9a-f]+/,
    );
    await dialog.getByTestId('call-close').click();
    await applyFilter('newState == LoadSymbols');
    await page.locator('.tl-row').first().dblclick();
    const text = dialog.getByTestId('call-request').getByTestId('call-text');
    await text.waitFor();
    expect(await text.locator('.call-block-title').textContent()).toBe('Module loaded');
    expect(await text.locator('pre').textContent()).toMatch(/\.(exe|dll|sys|efi)$/i);
    await page.keyboard.press('Escape');
    await clearFilter();
  });

  it('matches `kdscope stats` on the session capture in the response-time table', async () => {
    const { page } = h;
    const cli = spawnSync(process.execPath, [BIN, 'stats', capture, '--format', 'json'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    type Row = {
      apiName: string;
      calls: number;
      unanswered: number;
      errors: number;
      bytes: number;
      rttMs: { min: number; p50: number; p95: number; max: number } | null;
    };
    const stats = JSON.parse(cli.stdout) as { srt: { rows: Row[]; total: Row } };
    expect(stats.srt.rows.length).toBeGreaterThan(4);

    await showTab(page, 'srt');
    const table = page.getByTestId('srt-table');
    await waitFor(
      async () =>
        num(await table.locator('tfoot td').nth(1).textContent()) === stats.srt.total.calls,
      'the UI total of calls equal to the CLI',
    );
    const uiRows = await table
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
      );
    expect(uiRows.map((r) => r[0])).toEqual(stats.srt.rows.map((r) => r.apiName));
    stats.srt.rows.forEach((want, k) => {
      const got = uiRows[k]!;
      expect(got.slice(1, 5).map(Number), want.apiName).toEqual([
        want.calls,
        want.unanswered,
        want.errors,
        want.bytes,
      ]);
      // The capture stores microseconds; the live view had the clock's full resolution.
      const rtts = want.rttMs
        ? [want.rttMs.min, want.rttMs.p50, want.rttMs.p95, want.rttMs.max]
        : [];
      got.slice(5).forEach((cell, j) => {
        if (!want.rttMs) expect(cell).toBe('-');
        else
          expect(Math.abs(Number(cell) - rtts[j]!), `${want.apiName} rtt ${j}`).toBeLessThanOrEqual(
            0.0015,
          );
      });
    });
    // The histogram is drawn, and follows a row's selection.
    await table.locator('tbody tr').first().click();
    await waitFor(
      async () =>
        (await page.getByTestId('srt-chart').locator('.recharts-bar-rectangle').count()) > 0,
      'histogram bars',
    );
    expect(await page.getByTestId('srt-chart').textContent()).toContain(uiRows[0]![0]!);
    await h.shot('13-response-times');
  });

  it('lists expert information by severity, linking to the bad-checksum packet', async () => {
    const { page } = h;
    await showTab(page, 'expert');
    const pane = page.getByTestId('expert');
    await pane.getByTestId('expert-group-bad-checksum').waitFor();
    const errors = num(
      ((await pane.getByTestId('expert-count-error').textContent()) ?? '')
        .replace(/\D+/g, ' ')
        .trim()
        .split(' ')[0]!,
    );
    expect(errors).toBeGreaterThan(0);
    expect(await page.getByTestId('expert-badge').textContent()).toContain(`●${errors}`);
    await pane.getByTestId('expert-group-bad-checksum').click();
    const link = pane.locator('[data-key="bad-checksum"]').getByTestId('expert-link').first();
    const no = Number(await link.getAttribute('data-no'));
    await link.click();
    await waitFor(
      async () => Number(await page.locator('.tl-row.selected').getAttribute('data-no')) === no,
      'the bad-checksum packet selected',
    );
    const selected = page.locator('.tl-row.selected');
    expect(await selected.locator('[data-col="flags"]').textContent()).toContain('CSUM');
    await page
      .getByTestId('details')
      .getByText('wrong checksum', { exact: false })
      .first()
      .waitFor();
    await h.shot('14-expert-info');
  });

  it('keeps Wireshark habits: go to, find, mark, time reference, flag tooltips', async () => {
    const { page } = h;
    const timeline = page.getByTestId('timeline');
    const selectedNo = async (): Promise<number> =>
      Number(await page.locator('.tl-row.selected').getAttribute('data-no'));
    await timeline.focus();
    // Go to packet.
    // Typed at once, as a user does: no digit may reach the list before the field has focus.
    await page.keyboard.press('Control+g');
    await page.keyboard.type('1234');
    await page.keyboard.press('Enter');
    await waitFor(async () => (await selectedNo()) === 1234, 'packet 1234 selected');
    // Hidden by a filter, it says so.
    await applyFilter('api == GetVersion');
    await page.keyboard.press('Control+g');
    await page.getByTestId('goto-no').fill('2');
    await page.getByTestId('goto-no').press('Enter');
    expect(await page.getByTestId('goto-message').textContent()).toMatch(
      /packet 2 is hidden by the display filter|packet 2 is not in the list/,
    );
    await page.getByTestId('goto-no').press('Escape');
    await clearFilter();

    // Find by text, then by a display filter.
    await timeline.focus();
    await page.keyboard.press('Control+f');
    await page.getByTestId('find-text').fill('PrintString');
    await page.getByTestId('find-text').press('Enter');
    await waitFor(
      async () =>
        ((await page.locator('.tl-row.selected').textContent()) ?? '').includes('PrintString'),
      'a PrintString found',
    );
    const firstFound = await selectedNo();
    await page.getByTestId('find-text').press('Enter');
    await waitFor(async () => (await selectedNo()) > firstFound, 'the next one');
    await page.getByLabel('Find by').selectOption('filter');
    await page.getByTestId('find-text').fill('api == GetVersion && dir == T->D');
    await page.getByTestId('find-text').press('Enter');
    await waitFor(
      async () =>
        ((await page.locator('.tl-row.selected').textContent()) ?? '').includes('GetVersion'),
      'a GetVersion reply found',
    );
    expect(await page.getByTestId('find-message').textContent()).toMatch(/^packet \d+/);
    await page.getByTestId('find-text').press('Escape');

    // Mark, time reference.
    await timeline.focus();
    const marked = await selectedNo();
    await page.keyboard.press('Control+m');
    await page.locator(`.tl-row.marked[data-no="${marked}"]`).waitFor();
    expect(await page.getByTestId('marked').textContent()).toBe('Marked: 1');
    await page.keyboard.press('Control+t');
    await waitFor(
      async () =>
        (await page.locator('.tl-row.selected [data-col="time"]').textContent()) === '*REF*',
      'the time reference',
    );
    expect(await page.getByTestId('time-ref').textContent()).toBe(`Time ref: packet ${marked}`);
    await page.keyboard.press('ArrowDown');
    await waitFor(async () => (await selectedNo()) > marked, 'the next row');
    const after = Number(await page.locator('.tl-row.selected [data-col="time"]').textContent());
    expect(after).toBeGreaterThanOrEqual(0);
    expect(after).toBeLessThan(1);
    // `time` in a filter counts from the reference too, as the column does.
    await applyFilter('time >= 0 && time < 0.000001');
    expect(
      await page
        .locator('.tl-row')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-no'))),
    ).toContain(String(marked));
    await clearFilter();
    await h.shot('15-marked-time-ref');
    await page.locator(`.tl-row[data-no="${marked}"]`).click();
    await page.keyboard.press('Control+t');
    await page.keyboard.press('Control+m');
    await waitFor(async () => (await page.locator('.tl-row.marked').count()) === 0, 'unmarked');
    expect(await page.getByTestId('time-ref').count()).toBe(0);

    // Flags carry their meaning as a tooltip.
    await applyFilter('checksumError');
    const flags = page.locator('.tl-row [data-col="flags"]').first();
    expect(await flags.textContent()).toContain('CSUM');
    expect(await flags.getAttribute('title')).toMatch(/^CSUM: Checksum error: /);
    await clearFilter();
    const header = page.locator('.tl-header [data-col="flags"]');
    expect(await header.getAttribute('title')).toMatch(/hover a cell/);
  });

  it('applies and prepares filters from a cell and a details field (context menu)', async () => {
    const { page } = h;
    await applyFilter('type == STATE_MANIPULATE');
    const cell = page.locator('.tl-row [data-col="api"]').nth(3);
    const api = (await cell.textContent()) ?? '';
    await cell.click({ button: 'right' });
    await page.getByTestId('context-menu').waitFor();
    await h.shot('16-context-menu');
    await page.getByTestId('apply-and').click();
    const expected = `type == STATE_MANIPULATE && api == ${api}`;
    await waitFor(
      async () => ((await page.getByTestId('statusbar').textContent()) ?? '').includes(expected),
      'the combined filter applied',
    );
    expect(new Set(await page.locator('.tl-row [data-col="api"]').allTextContents())).toEqual(
      new Set([api]),
    );
    // Prepare from a details field: the box gets it, the list is not filtered yet.
    await showPacket(page, page.locator('.tl-row').first());
    const apiNumber = page.getByTestId('field-tree').getByText('ApiNumber', { exact: true });
    await apiNumber.click({ button: 'right' });
    await page.getByTestId('prepare-selected').click();
    expect(await page.getByTestId('filter').inputValue()).toMatch(/^api == 0x31[0-9a-f]{2}$/);
    expect(await page.getByTestId('statusbar').textContent()).toContain(`Filter: ${expected}`);
    // A field the list has no column for says so.
    await page
      .getByTestId('field-tree')
      .getByText('PacketLeader', { exact: true })
      .click({ button: 'right' });
    const disabled = page.getByTestId('apply-selected');
    expect(await disabled.getAttribute('aria-disabled')).toBe('true');
    expect(await disabled.getAttribute('title')).toMatch(/details only/);
    await page.keyboard.press('Escape');
    await clearFilter();
  });

  it('says an invalid filter is not applied, and keeps the rows of the last good one', async () => {
    const { page } = h;
    await applyFilter('api == GetVersion');
    const before = await displayed();
    const filter = page.getByTestId('filter');
    await filter.fill('api == GetVersion &&');
    await filter.press('Enter');
    await page.getByTestId('filter-still').waitFor();
    expect(await page.getByTestId('filter-still').textContent()).toBe(
      'Not applied: the list still shows "api == GetVersion".',
    );
    expect(await displayed()).toEqual(before);
    expect(await page.locator('.tl-row').count()).toBeGreaterThan(0);
    await h.shot('17-invalid-filter');
    await clearFilter();
  });

  it('walks the details tree with the keyboard', async () => {
    const { page } = h;
    await applyFilter('api == ReadVirtualMemory && dir == D->T');
    // The tree of the packet shown before keeps its own focus until this one's details come.
    await showPacket(page, page.locator('.tl-row').first());
    const tree = page.getByTestId('field-tree');
    await tree.getByText('KD_PACKET', { exact: true }).waitFor();
    const focused = async (): Promise<string | null> =>
      page.evaluate(() => document.activeElement?.getAttribute('data-path') ?? null);
    // Tab leads from the packet list (past the Follow button and the summary's links) to
    // the tree, where the focus lands on the first field.
    for (let k = 0; k < 10 && (await focused()) === null; k++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('0');
    await page.keyboard.press('ArrowRight'); // into KD_PACKET's children
    await waitFor(async () => (await focused()) === '0.0', 'first child');
    await page.keyboard.press('ArrowDown');
    await waitFor(async () => (await focused()) === '0.1', 'PacketType');
    // Moving selects: the hex view highlights the field's 2 bytes.
    expect(await page.getByTestId('hex').locator('.hb.hl').count()).toBe(2);
    await page.keyboard.press('ArrowLeft'); // to the parent
    await waitFor(async () => (await focused()) === '0', 'back to KD_PACKET');
    await page.keyboard.press('ArrowLeft'); // collapse it
    expect(await tree.locator('[data-path="0"]').getAttribute('aria-expanded')).toBe('false');
    expect(await tree.locator('[data-path="0.1"]').count()).toBe(0);
    await page.keyboard.press('ArrowRight');
    expect(await tree.locator('[data-path="0"]').getAttribute('aria-expanded')).toBe('true');
    await clearFilter();
  });

  it('resizes columns and panes by dragging', async () => {
    const { page } = h;
    const header = page.locator('.tl-header [data-col="type"]');
    const w0 = (await header.boundingBox())!.width;
    const handle = (await page.getByTestId('resize-type').boundingBox())!;
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(handle.x + 80, handle.y + handle.height / 2, { steps: 5 });
    await page.mouse.up();
    const w1 = (await header.boundingBox())!.width;
    expect(w1 - w0).toBeGreaterThan(60);
    const cellWidth = (await page.locator('.tl-row [data-col="type"]').first().boundingBox())!
      .width;
    expect(Math.abs(cellWidth - w1)).toBeLessThan(2);

    const list = page.getByTestId('timeline');
    const h0 = (await list.boundingBox())!.height;
    const split = (await page.getByTestId('split-list').boundingBox())!;
    await page.mouse.move(split.x + 200, split.y + 2);
    await page.mouse.down();
    await page.mouse.move(split.x + 200, split.y + 90, { steps: 5 });
    await page.mouse.up();
    expect((await list.boundingBox())!.height - h0).toBeGreaterThan(60);
    // The keyboard moves a splitter too.
    await page.getByTestId('split-list').focus();
    await page.keyboard.press('ArrowUp');
    expect((await list.boundingBox())!.height).toBeLessThan(h0 + 90);
    await h.shot('18-resized');
  });

  it('starts the counters over on Clear, agreeing with the list', async () => {
    const { page } = h;
    await startAgain(page);
    await waitFor(
      async () => num(await page.getByTestId('c-packets').textContent()) > 400,
      '400 packets',
    );
    await page.getByTestId('clear').click();
    await waitFor(
      async () => num(await page.getByTestId('c-packets').textContent()) < 300,
      'the counters started over',
    );
    await page.getByTestId('stop').click();
    await waitFor(
      async () => (await page.getByTestId('session-state').textContent()) === 'stopped',
      'stopped',
    );
    await waitFor(
      async () =>
        num(await page.getByTestId('c-packets').textContent()) === (await displayed()).total,
      'toolbar packets == rows shown after Clear',
    );
    // The engine's own count still covers the whole session.
    expect(h.workbench.status().counters.packets).toBeGreaterThan((await displayed()).total);
    expect(h.errors).toEqual([]);
  });
});

describe('a 1024x640 window', { timeout: 60_000 }, () => {
  let small: Harness;
  beforeAll(async () => {
    small = await startHarness({ viewport: { width: 1024, height: 640 } });
    await small.page.goto(small.server.url);
    await small.page.getByText('connected').first().waitFor();
  }, 120_000);
  afterAll(async () => {
    await small?.close();
  });

  it('fits the toolbar, and shows the panes and the dialog', async () => {
    const { page } = small;
    await page.getByTestId('start').click();
    await waitFor(
      async () => num(await page.getByTestId('c-packets').textContent()) > 300,
      'packets',
      30_000,
    );
    const fits = await page.locator('.toolbar').evaluate((el) => ({
      scroll: el.scrollWidth,
      client: el.clientWidth,
      right: Math.max(...[...el.children].map((c) => c.getBoundingClientRect().right)),
    }));
    expect(fits.scroll).toBeLessThanOrEqual(fits.client);
    expect(fits.right).toBeLessThanOrEqual(1024);
    for (const id of ['attach', 'stop', 'pause', 'clear', 'c-packets', 'c-errors', 'c-rate']) {
      expect(await page.getByTestId(id).isVisible(), id).toBe(true);
    }
    await small.shot('20-1024-streaming');
    await showTab(page, 'srt');
    await page.getByTestId('srt-table').locator('tbody tr').first().waitFor();
    await small.shot('21-1024-response-times');
    await page.getByTestId('stop').click();
    const filter = page.getByTestId('filter');
    await filter.fill('api == ReadVirtualMemory && dir == T->D');
    await filter.press('Enter');
    await page.locator('.tl-row', { hasText: 'ReadVirtualMemory' }).first().dblclick();
    await page.getByTestId('call-dialog').getByTestId('call-status').first().waitFor();
    await small.shot('22-1024-call-dialog');
    await page.keyboard.press('Escape');
    await showTab(page, 'expert');
    await small.shot('23-1024-expert');
    expect(small.errors).toEqual([]);
  });

  it('warns of a DbgPrint flood when prints dominate the wire', async () => {
    const { page } = small;
    await showTab(page, 'terminal');
    // A target printing flat out: 400 lines in half a second, each acknowledged.
    const t0 = Date.now();
    // Numbered on from the session's rows, as the engine numbers what it decodes.
    let no = small.workbench.status().counters.packets;
    const records = [];
    for (let k = 0; k < 400; k++) {
      const time = t0 + k * 1.25;
      records.push(
        {
          no: ++no,
          time,
          dir: 'target->debugger' as const,
          kind: 'packet' as const,
          offset: k * 80,
          length: 64,
          leader: 'data' as const,
          type: 3,
          typeName: 'DEBUG_IO',
          id: 0x80800000 + (k & 1),
          byteCount: 47,
          checksumOk: true,
          api: 0x3230,
          apiName: 'PrintString',
          text: `flood line ${k}\n`,
          flags: 0,
        },
        {
          no: ++no,
          time: time + 0.5,
          dir: 'debugger->target' as const,
          kind: 'packet' as const,
          offset: k * 16,
          length: 16,
          leader: 'control' as const,
          type: 4,
          typeName: 'ACKNOWLEDGE',
          id: 0x80800000 + (k & 1),
          checksumOk: true,
          flags: 0,
        },
      );
    }
    small.workbench.ingestRecords(records);
    const flood = page.getByTestId('terminal-flood');
    await flood.waitFor();
    expect(await flood.textContent()).toMatch(/^DbgPrint flood: prints are \d+% of the wire/);
    expect(await page.getByTestId('tab-terminal').textContent()).toContain('flood');
    await waitFor(
      async () =>
        ((await page.getByTestId('terminal').locator('.xterm-rows').innerText()) ?? '').includes(
          'flood line 399',
        ),
      'the flood in the terminal',
    );
    // The toolbar counts them with the session's other rows, as the list does.
    await waitFor(
      async () =>
        num(await page.getByTestId('c-packets').textContent()) === (await displayed(page)).total,
      'toolbar packets == rows shown',
    );
    await small.shot('24-1024-dbgprint-flood');
    // It passes when the prints stop.
    await waitFor(async () => (await flood.count()) === 0, 'the warning gone', 10_000);
  });
});
