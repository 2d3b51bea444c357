// The Link tab in web mode: a VMBus session with feedback (sim:vmbus) draws each ring's fill
// with its high-water mark and the pipe's counters, and the chart moves; the graphs stay after
// Stop and come back whole in a window that opens later; a COM session (sim) shows packets/s
// and the bridge's queues; Clear empties them. Values are read from the text beside each chart.
// Screenshots at 1440x900 and 1024x640 (graphs-*.png).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshotFailures, startHarness, type Harness } from './harness';
import { untilWithin } from '../support/until';

const waitFor = untilWithin(20_000, 100);

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await h.page.goto(h.server.url);
  await h.page.getByText('connected').first().waitFor();
}, 120_000);

afterAll(async () => {
  await h?.close();
});

screenshotFailures(() => h, 'graphs-');

type Page = Harness['page'];

const text = async (page: Page, testId: string): Promise<string> =>
  ((await page.getByTestId(testId).innerText()) ?? '').trim();

const points = async (page: Page, card: string): Promise<number> =>
  Number((await page.getByTestId(`graph-${card}`).getAttribute('data-points')) ?? -1);

/** The plotted line of one series, as drawn (its SVG path). */
const curve = async (page: Page, card: string, n: number): Promise<string> =>
  (await page
    .getByTestId(`graph-${card}`)
    .locator('path.recharts-curve')
    .nth(n)
    .getAttribute('d')) ?? '';

async function showLinkTab(page: Page): Promise<void> {
  const tab = page.getByTestId('tab-link');
  if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
  await waitFor(async () => (await tab.getAttribute('aria-selected')) === 'true', 'the Link tab');
}

/** Starts the simulated VM on one of its channels from the attach page (past the confirm). */
async function startSim(page: Page, port: 'COM1' | 'VMBus pipe', feedback = false): Promise<void> {
  if ((await page.getByTestId('attach-page').count()) === 0) {
    await page.getByTestId('attach').click();
    await page.getByTestId('attach-page').waitFor();
  }
  await page.locator(`[data-testid=vm-row][data-vm=simulated][data-port="${port}"]`).click();
  if (feedback) {
    await waitFor(
      async () => (await page.getByTestId('mode').textContent())?.includes('(vmbus)') === true,
      'the plan to say vmbus',
    );
    await page.getByTestId('feedback').check();
  }
  await page.getByTestId('start').click();
  const confirm = page.getByTestId('confirm-start-ok');
  const timeline = page.getByTestId('timeline');
  await waitFor(async () => (await confirm.isVisible()) || (await timeline.isVisible()), 'start');
  if (await confirm.isVisible()) await confirm.click();
  await timeline.waitFor();
}

/** "ring D->T 1.6 % used, high water 16.7 %, 0 refused" for each ring, by direction. */
function rings(summary: string): Map<string, { used: number; high: number; refused: number }> {
  const out = new Map<string, { used: number; high: number; refused: number }>();
  const re = /ring (D->T|T->D) ([\d.]+) % used, high water ([\d.]+) %, ([\d,]+) refused/g;
  for (const m of summary.matchAll(re)) {
    out.set(m[1]!, {
      used: Number(m[2]),
      high: Number(m[3]),
      refused: Number(m[4]!.replace(/,/g, '')),
    });
  }
  return out;
}

/** "D->T 123 packets/s" -> 123 */
function packetsPerSecond(summary: string, dir: 'D->T' | 'T->D'): number {
  const m = new RegExp(`${dir} ([\\d,.]+) packets/s`).exec(summary);
  return m ? Number(m[1]!.replace(/,/g, '')) : -1;
}

describe('the Link tab', { timeout: 90_000 }, () => {
  it('draws the VMBus rings of a sim:vmbus session with feedback, and the chart moves', async () => {
    const { page } = h;
    await startSim(page, 'VMBus pipe', true);
    await showLinkTab(page);
    const summary = page.getByTestId('graph-rings-summary');
    await summary.waitFor();
    // Both rings, with a high-water mark above zero once messages crossed them.
    await waitFor(async () => {
      const r = rings(await summary.innerText());
      return r.size === 2 && r.get('D->T')!.high > 0 && r.get('T->D')!.high > 0;
    }, 'both rings with a high-water mark');
    const first = await summary.innerText();
    expect(first).toMatch(
      /\d[\d,]* resends, \d[\d,]* bad, feedback [\d,]+ sent \/ [\d,]+ received/,
    );
    for (const r of rings(first).values()) {
      expect(r.used).toBeGreaterThanOrEqual(0);
      expect(r.used).toBeLessThanOrEqual(r.high);
      expect(r.high).toBeLessThanOrEqual(100);
    }
    // It moves: more points, a different ring line, new counts beside it.
    const n0 = await points(page, 'rings');
    const line0 = await curve(page, 'rings', 1);
    expect(line0).not.toBe('');
    await waitFor(
      async () =>
        (await points(page, 'rings')) > n0 + 4 &&
        (await curve(page, 'rings', 1)) !== line0 &&
        (await summary.innerText()) !== first,
      'the ring chart to move',
    );
    // The rates run too, both ways.
    await waitFor(async () => {
      const s = await text(page, 'graph-packets-summary');
      return packetsPerSecond(s, 'D->T') > 0 && packetsPerSecond(s, 'T->D') > 0;
    }, 'packets/s both ways');
    expect(await text(page, 'graphs-source')).toMatch(/^live: [\d,]+ link samples/);
    await h.shot('graphs-vmbus-1440x900');
    await page.setViewportSize({ width: 1024, height: 640 });
    await waitFor(async () => (await points(page, 'rings')) > 0, 'the charts at 1024x640');
    // At 1024 px the three charts and their summaries still fit side by side.
    const widths = await page
      .locator('.graph-card')
      .evaluateAll((cards) => cards.map((c) => c.getBoundingClientRect().width));
    expect(widths).toHaveLength(3);
    for (const w of widths) expect(w).toBeGreaterThan(250);
    await h.shot('graphs-vmbus-1024x640');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('keeps the graphs after Stop, and a window that opens later loads them whole', async () => {
    const { page } = h;
    await page.getByTestId('stop').click();
    await waitFor(
      async () => (await page.getByTestId('session-state').textContent()) === 'stopped',
      'stopped',
    );
    // Said once the session's final sample (taken after it closed) is drawn: from then on the
    // window shows the whole session, exactly what a window opened later loads.
    const ended = 'session stopped: the graphs show how it ended';
    await waitFor(
      async () => (await text(page, 'graphs-source')) === ended,
      'the graphs to say the session stopped',
    );
    const cards = ['packets', 'bytes', 'rings'] as const;
    const seen = async (p: Page): Promise<Record<string, string | number>> => {
      const out: Record<string, string | number> = { source: await text(p, 'graphs-source') };
      for (const card of cards) {
        out[`${card} points`] = await points(p, card);
        out[`${card} summary`] = await text(p, `graph-${card}-summary`);
      }
      return out;
    };
    const first = await seen(page);
    const shown = first['rings points'] as number;
    expect(shown).toBeGreaterThan(4);
    expect(rings(first['rings summary'] as string).size).toBe(2);

    // A second window (the same profile: the Link tab is still the open one).
    const other = await h.context.newPage();
    try {
      await other.goto(h.server.url);
      // A stopped session's window opens on the attach page; its packets are one click away.
      await other.getByTestId('back-to-packets').click();
      await showLinkTab(other);
      await waitFor(
        async () => (await points(other, 'rings')) === shown,
        () => `the second window to load ${shown} points`,
      );
      // Both windows the same, and the first has not moved since it said stopped.
      expect(await seen(other)).toEqual(first);
      expect(await seen(page)).toEqual(first);
    } finally {
      await other.close();
    }
  });

  it('shows packets/s and the bridge queues of a COM session, and Clear empties them', async () => {
    const { page } = h;
    await startSim(page, 'COM1');
    await showLinkTab(page);
    // The new session starts the graphs over: no rings, a queue chart.
    await page.getByTestId('graph-queues-summary').waitFor();
    expect(await page.getByTestId('graph-rings').count()).toBe(0);
    await waitFor(async () => {
      const s = await text(page, 'graph-packets-summary');
      return packetsPerSecond(s, 'D->T') > 0 && packetsPerSecond(s, 'T->D') > 0;
    }, 'packets/s > 0 both ways');
    expect(await text(page, 'graph-bytes-summary')).toMatch(
      /^D->T [\d.]+ k?B\/s\s+T->D [\d.]+ k?B\/s$/,
    );
    expect(await text(page, 'graph-queues-summary')).toMatch(
      /^queued D->T [\d.]+ k?B, T->D [\d.]+ k?B\s+(no backpressure in this window|backpressure .*)$/,
    );
    await waitFor(async () => (await points(page, 'packets')) >= 8, 'eight points');
    await h.shot('graphs-com-1440x900');
    await page.setViewportSize({ width: 1024, height: 640 });
    await waitFor(async () => (await points(page, 'packets')) > 0, 'the charts at 1024x640');
    await h.shot('graphs-com-1024x640');
    await page.setViewportSize({ width: 1440, height: 900 });

    const before = await points(page, 'packets');
    await page.getByTestId('clear').click();
    // Cleared: the graphs start again from the samples that come after.
    await waitFor(
      async () =>
        (await page.getByTestId('graph-packets').count()) === 0 ||
        (await points(page, 'packets')) < Math.min(before, 4),
      'the graphs cleared',
    );
    await waitFor(async () => (await points(page, 'packets')) >= 2, 'new points after Clear');
    expect(h.errors).toEqual([]);
  });
});
