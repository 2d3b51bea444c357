// Sessions that are kept, profiles, VMBus with feedback, and an engine that goes away: a second
// Start asks first (how many packets, which capture keeps them); the recorded sessions are listed
// newest first, the live one marked, and download; sim:vmbus with feedback from the attach page;
// a profile saved per VM fills the form next time; when the web server goes, the page says so at
// once and comes back with it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { StartOptions } from '../../electron/api/contract';
import { startHarness, type Harness, displayedRows, testIdText } from './harness';
import { untilWithin } from '../support/until';

let h: Harness;
let dir: string;
const started: StartOptions[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-e2e-sessions-'));
  h = await startHarness();
  // What the page asked the engine to start (a spy; the real start runs).
  const start = h.workbench.start.bind(h.workbench);
  h.workbench.start = (options) => {
    started.push(options);
    return start(options);
  };
}, 120_000);

afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

const waitFor = untilWithin(15_000, 50);
/** What the browser logs for each time the page asked a server that is not there. */
const CONNECTION_REFUSED = /net::ERR_CONNECTION_REFUSED/;

const text = (testId: string): Promise<string> => testIdText(h.page, testId);
const displayed = async (): Promise<number> => (await displayedRows(h.page)).shown;

describe('sessions from the attach page', () => {
  let firstCapture = '';

  it('one click starts the simulated VM; a second Start asks, naming the packets and their capture', async () => {
    const { page } = h;
    await page.goto(h.server.url);
    await page.getByTestId('start').click();
    await page.getByTestId('timeline').waitFor();
    await waitFor(async () => (await displayed()) >= 100, '100 packets');
    expect(started.at(-1)).toMatchObject({ debugger: 'sim', target: 'sim', rate: 400 });
    const first = h.workbench.status().info!;
    firstCapture = first.capture!;
    expect(await text('debugger-command')).toBe(
      'Debugger: the built-in scripted debugger (in process)',
    );

    await page.getByTestId('attach').click();
    await page.getByTestId('attach-page').waitFor();
    expect(await text('attach-running')).toBe('Running: sim ↔ sim');
    await page.getByTestId('start').click();
    const dialog = page.getByTestId('confirm-start');
    await dialog.waitFor();
    expect(await dialog.textContent()).toMatch(
      /The view holds [\d,]+ packets of the running session\. Starting a new session stops it and clears the view\./,
    );
    expect(await text('confirm-start-capture')).toBe(
      `They remain in the capture file …/${basename(firstCapture)}.`,
    );
    await h.shot('16-confirm-start');
    await page.getByTestId('confirm-start-cancel').click();
    expect(await dialog.count()).toBe(0);
    expect(h.workbench.status()).toMatchObject({ state: 'running', info: { id: first.id } });

    await page.getByTestId('start').click();
    await page.getByTestId('confirm-start-ok').click();
    await page.getByTestId('timeline').waitFor();
    await waitFor(async () => h.workbench.status().info?.id !== first.id, 'a new session');
    await waitFor(async () => (await displayed()) >= 20, 'rows of the new session');
    expect(readFileSync(firstCapture).length).toBeGreaterThan(24);
  });

  it('lists the recorded sessions newest first, the live one marked, and downloads one', async () => {
    const { page } = h;
    await page.getByTestId('attach').click();
    const rows = page.getByTestId('capture-row');
    await waitFor(async () => (await rows.count()) >= 2, 'two recorded sessions');
    const live = basename(h.workbench.status().info!.capture!);
    expect(await rows.nth(0).getAttribute('data-name')).toBe(live);
    expect(await rows.nth(0).textContent()).toContain('recording');
    expect(await rows.nth(1).getAttribute('data-name')).toBe(basename(firstCapture));
    expect(await rows.nth(1).textContent()).not.toContain('recording');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      rows.nth(1).getByTestId('capture-download').click(),
    ]);
    expect(download.suggestedFilename()).toBe(basename(firstCapture));
    expect(readFileSync(await download.path())).toEqual(readFileSync(firstCapture));
    await h.shot('17-recorded-sessions');
  });

  it('(c) sim:vmbus with feedback', async () => {
    const { page } = h;
    await page.locator('[data-testid=vm-row][data-vm=simulated][data-port="VMBus pipe"]').click();
    expect(await page.getByTestId('target-endpoint').inputValue()).toBe('sim:vmbus');
    await waitFor(
      async () => (await page.getByTestId('mode').textContent())?.includes('(vmbus)') === true,
      'the plan to say vmbus',
    );
    await page.getByTestId('feedback').check();
    await page.getByTestId('start').click();
    await page.getByTestId('confirm-start-ok').click();
    await page.getByTestId('timeline').waitFor();
    await waitFor(async () => (await displayed()) >= 50, '50 packets over VMBus');
    expect(started.at(-1)).toMatchObject({ debugger: 'sim', target: 'sim:vmbus', feedback: true });
    expect(h.workbench.status().info).toMatchObject({ target: 'sim:vmbus', mode: 'vmbus' });
    expect(await page.locator('.tl-row', { hasText: 'STATE_MANIPULATE' }).count()).toBeGreaterThan(
      0,
    );
    await h.shot('18-vmbus-feedback');
  });

  it('(d) sim:kdnet with a wrong key: the empty list says why no packet shows', async () => {
    const { page } = h;
    await page.getByTestId('attach').click();
    await page.locator('[data-testid=vm-row][data-vm=simulated][data-port=KDNET]').click();
    expect(await page.getByTestId('target-endpoint').inputValue()).toBe('sim:kdnet');
    await page.getByTestId('key').fill('9.9.9.9');
    await page.getByTestId('start').click();
    await page.getByTestId('confirm-start-ok').click();
    await page.getByTestId('timeline').waitFor();
    const empty = page.getByTestId('empty-list');
    await waitFor(
      async () =>
        /^No KD packets: \d+ KDNET datagrams failed authentication: wrong key\?$/.test(
          (await empty.textContent()) ?? '',
        ),
      'the wrong key said where the packets would be',
    );
    expect(await displayed()).toBe(0);
    await h.shot('18b-kdnet-wrong-key');
    // The tests below expect a session whose packets show: the simulated VM on COM1 again.
    await page.getByTestId('attach').click();
    await page.locator('[data-testid=vm-row][data-vm=simulated][data-port=COM1]').click();
    await page.getByTestId('start').click();
    await page.getByTestId('confirm-start-ok').click();
    await waitFor(async () => (await displayed()) >= 20, 'rows of the simulated VM');
  });

  it("saves a VM's profile and fills the form from it next time", async () => {
    const { page } = h;
    const sock = join(dir, 'p.sock');
    await page.getByTestId('attach').click();
    await page.locator('[data-testid=vm-row][data-vm=simulated][data-port=COM1]').click();
    await page.getByTestId('debugger-kind-endpoint').check();
    await page.getByTestId('debugger-endpoint').fill(`unix:${sock}`);
    await page.getByTestId('capture-format').selectOption('pcapng');
    await page.getByTestId('save-profile').click();
    await waitFor(
      async () => (await text('attach-notice')) === 'Profile “simulated” saved',
      'saved',
    );
    expect(JSON.parse(readFileSync(h.profilesPath, 'utf8')).profiles).toEqual([
      {
        name: 'simulated',
        debugger: `unix:${sock}`,
        target: 'sim',
        channel: 'COM1',
        captureFormat: 'pcapng',
      },
    ]);
    await page
      .locator('[data-testid=vm-row][data-vm=simulated][data-port=COM1]')
      .getByText('profile')
      .waitFor();

    // Next time (a new page): a session runs, so the packets show; the attach page has the profile.
    await page.reload();
    await page.getByTestId('timeline').waitFor();
    await page.getByTestId('attach').click();
    await waitFor(
      async () => (await page.getByTestId('debugger-endpoint').inputValue()) === `unix:${sock}`,
      'the profile in the form',
    );
    expect(await page.getByTestId('debugger-kind-endpoint').isChecked()).toBe(true);
    expect(await page.getByTestId('capture-format').inputValue()).toBe('pcapng');
    expect(await text('attach-notice')).toBe('Profile “simulated” loaded');
    await h.shot('19-profile-loaded');
    await page.getByTestId('delete-profile').click();
    await waitFor(
      async () => (await text('attach-notice')) === 'Profile “simulated” deleted',
      'deleted',
    );
    expect(JSON.parse(readFileSync(h.profilesPath, 'utf8')).profiles).toEqual([]);
    await page.getByTestId('back-to-packets').click();
    await page.getByTestId('timeline').waitFor();
  });

  it('saves a free endpoint pair under a name, and loads it again from the list', async () => {
    const { page } = h;
    const sock = join(dir, 'pair.sock');
    await page.getByTestId('attach').click();
    await page.getByTestId('target-endpoint').fill('tcp:127.0.0.1:1');
    await page.getByTestId('debugger-kind-endpoint').check();
    await page.getByTestId('debugger-endpoint').fill(`unix:${sock}`);
    await page.getByTestId('profile-name').fill('mypair');
    await page.getByTestId('save-profile').click();
    await waitFor(async () => (await text('attach-notice')) === 'Profile “mypair” saved', 'saved');

    await page.reload();
    await page.getByTestId('timeline').waitFor();
    await page.getByTestId('attach').click();
    const load = page.getByTestId('load-profile');
    await waitFor(
      async () => (await load.locator('option', { hasText: 'mypair' }).count()) === 1,
      'the profile listed',
    );
    expect(await page.getByTestId('target-endpoint').inputValue()).not.toBe('tcp:127.0.0.1:1');
    await load.selectOption('mypair');
    expect(await page.getByTestId('target-endpoint').inputValue()).toBe('tcp:127.0.0.1:1');
    expect(await page.getByTestId('debugger-endpoint').inputValue()).toBe(`unix:${sock}`);
    expect(await text('attach-notice')).toBe('Profile “mypair” loaded');
    await page.getByTestId('delete-profile').click();
    await waitFor(async () => (await text('attach-notice')) === 'Profile “mypair” deleted', 'gone');
    expect(await load.count()).toBe(0);
    await page.getByTestId('back-to-packets').click();
    await page.getByTestId('timeline').waitFor();
  });

  it('says at once when the engine goes away, disables what cannot work, and comes back', async () => {
    const { page } = h;
    expect(await text('session-state')).toBe('running');
    const errorsBefore = h.errors.length;
    const t0 = Date.now();
    await h.stopServer();
    await page.getByTestId('engine-banner').waitFor({ timeout: 1500 });
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(await text('engine-banner')).toMatch(/^Engine disconnected — reconnecting…/);
    expect(await text('session-state')).toBe('engine disconnected — reconnecting…');
    for (const id of ['stop', 'attach', 'clear'])
      expect(await page.getByTestId(id).isDisabled(), id).toBe(true);
    // What the engine last said is not claimed as now: no rate, and the capture was recorded.
    expect(await text('c-rate')).toMatch(/–$/);
    expect(await text('capture')).toMatch(/^Recorded to /);
    await h.shot('20-engine-gone');
    // Down for a while: the page asks several times whether the engine is back (the browser
    // logs each refused connection).
    const refused = (): number =>
      h.errors.slice(errorsBefore).filter((e) => CONNECTION_REFUSED.test(e)).length;
    await waitFor(async () => refused() >= 3, 'three refused reconnects');
    await h.startServer();
    await page.getByTestId('engine-banner').waitFor({ state: 'detached', timeout: 10_000 });
    await waitFor(async () => (await text('session-state')) === 'running', 'running again');
    // The stream starts over from what the engine holds, and goes on.
    await waitFor(async () => (await displayed()) > 50, 'rows again');
    const now = await displayed();
    await waitFor(async () => (await displayed()) > now, 'new rows');
    expect(await page.getByTestId('stop').isDisabled()).toBe(false);
    // The browser logs each refused reconnect; nothing else went wrong.
    expect(h.errors.slice(errorsBefore).every((e) => CONNECTION_REFUSED.test(e))).toBe(true);
    await page.getByTestId('stop').click();
    await waitFor(async () => (await text('session-state')) === 'stopped', 'stopped');
    expect(h.errors.slice(0, errorsBefore)).toEqual([]);
  });

  it('says plainly when kdscope restarted with a new link, stops asking, and the new link works', async () => {
    const { page } = h;
    // A session runs (as started from the page before), then kdscope is killed and started
    // again on the same port: a new run, a new token.
    if (!page.url().startsWith(h.server.url)) await page.goto(h.server.url);
    await h.workbench.start({ debugger: 'sim', target: 'sim', rate: 400 });
    await waitFor(async () => (await text('session-state')) === 'running', 'running');
    await waitFor(async () => (await displayed()) >= 20, 'rows');
    const live = basename(h.workbench.status().info!.capture!);
    const errorsBefore = h.errors.length;
    // What the page asks of the server: whether the engine is there, and sockets.
    let asked = 0;
    page.on('request', (r) => void (new URL(r.url()).pathname.endsWith('/alive') && asked++));
    page.on('websocket', () => void asked++);
    await h.stopServer();
    await page.getByTestId('engine-banner').waitFor();
    await h.startServer({ token: 'another-run-of-kdscope-has-another-token' });
    const banner = page.getByTestId('engine-banner');
    await banner.getByText('kdscope restarted').waitFor({ timeout: 10_000 });
    expect(await banner.innerText()).toBe(
      "kdscope restarted: this page's link is no longer valid. Open the new link kdscope " +
        'printed when it started (kdscope serve, npm run web). The sessions recorded before ' +
        'are in its captures folder, listed under Recorded sessions on its attach page. This ' +
        'page keeps what it shows and no longer reconnects.' +
        // The button, to ask again.
        'Try again',
    );
    expect(await text('session-state')).toBe('engine restarted — open its new link');
    for (const id of ['stop', 'attach', 'clear'])
      expect(await page.getByTestId(id).isDisabled(), id).toBe(true);
    await h.shot('21-engine-restarted');

    // It stopped asking: nothing more over longer than its slowest retry (2 s). A span of time
    // is the condition here: nothing may happen in it.
    const askedThen = asked;
    const errorsThen = h.errors.length;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(asked).toBe(askedThen);
    expect(h.errors.length).toBe(errorsThen);
    // The browser logged each time the page asked while no server was there, and the one
    // refusal: no error loop.
    const refusal = /status of 403/;
    const logged = h.errors.slice(errorsBefore);
    expect(logged.filter((e) => refusal.test(e))).toHaveLength(1);
    expect(logged.filter((e) => !refusal.test(e) && !CONNECTION_REFUSED.test(e))).toEqual([]);

    // Try again asks once more, and is refused once more.
    await page.getByTestId('engine-retry').click();
    await waitFor(async () => asked === askedThen + 1, 'asked again');
    await waitFor(async () => h.errors.length === errorsThen + 1, 'refused again');
    expect(h.errors.at(-1)).toMatch(refusal);
    expect(await banner.innerText()).toMatch(/^kdscope restarted/);

    // What the banner says to do works: the new link shows the running session, whose capture
    // the recorded sessions list.
    await page.goto(h.server.url);
    await page.getByTestId('timeline').waitFor();
    await waitFor(async () => (await text('session-state')) === 'running', 'running again');
    expect(await banner.count()).toBe(0);
    await page.getByTestId('attach').click();
    await waitFor(
      async () =>
        (await page.getByTestId('capture-row').first().getAttribute('data-name')) === live,
      'the live capture listed',
    );
    await page.getByTestId('back-to-packets').click();
    await page.getByTestId('stop').click();
    await waitFor(async () => (await text('session-state')) === 'stopped', 'stopped');
    expect(h.errors.length).toBe(errorsThen + 1);
  });
});
