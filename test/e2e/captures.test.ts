// Opening and exporting captures as a user does it in web mode: the real KDNET capture chosen
// in the open dialog's file chooser (uploaded), the key asked for (a wrong one first; neither is
// shown back), its rows on screen; a capture dropped on the window; a running session stopped
// only when the user says so; the recent list on the attach page; Export Specified Packets of
// the displayed rows after a filter, downloaded and read back with tshark (frames, ports) and
// with our decoder (the same packets).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KDSCOPE_BIN } from '../support/kdscope-process';
import { makeTempDir, writeGeneratedSession, type TempDir } from '../support/pcap-fixtures';
import { requireTool } from '../support/tools';
import { untilWithin } from '../support/until';
import { root, screenshotDir, startHarness, type Harness } from './harness';

const KDNET_FIXTURE = join(root, 'test/fixtures/windbg-uncut.pcapng.gz');
const KEY = '8.8.8.8';
const WRONG_KEY = '1.2.3.4';

let h: Harness;
let tmp: TempDir;
let kdnet: string;
let seed: string;
const engineLog: string[] = [];

/**
 * The engine's exports wait here before each slice of work while `exportHold` is set (the
 * cancel test holds one to press Cancel mid-export); `exportSlices` counts the waits.
 */
let exportHold: Promise<void> | undefined;
let exportSlices = 0;
let exportCancels = 0;
const beforeExportSlice = async (): Promise<void> => {
  exportSlices++;
  await exportHold;
};

const seedCapture = (name: string, bytes: number, maxRead = 900): string =>
  writeGeneratedSession(tmp.file(name), bytes, 21, maxRead);

function kdscope(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [KDSCOPE_BIN, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    timeout: 120_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** `kdscope decode` NDJSON records: packets, break-ins, garbage runs (not the summary). */
function decodeRecords(...args: string[]): Record<string, unknown>[] {
  const run = kdscope('decode', ...args);
  expect(run.status, run.stderr).toBe(0);
  return run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((o) => o.kind !== 'summary');
}
const decodePackets = (...args: string[]): Record<string, unknown>[] =>
  decodeRecords(...args).filter((o) => o.kind === 'packet');

beforeAll(async () => {
  tmp = makeTempDir('kdscope-e2e-captures-');
  kdnet = tmp.file('windbg-uncut.pcapng.gz');
  copyFileSync(KDNET_FIXTURE, kdnet);
  seed = seedCapture('seed-session.pcap', 60_000, 900);
  h = await startHarness({ workbench: { exportsDir: tmp.dir, beforeExportSlice } });
  // Counts the export cancels that reach the engine from the page (a spy; the real one runs).
  const connect = h.workbench.connect.bind(h.workbench);
  h.workbench.connect = (emit, extras) => {
    const handlers = connect(emit, extras);
    const cancel = handlers['export.cancel'];
    return {
      ...handlers,
      'export.cancel': (id) => {
        exportCancels++;
        return cancel(id);
      },
    };
  };
  // Every line of the engine's log, as a window gets them.
  h.workbench.connect((name, data) => {
    if (name === 'log') engineLog.push((data as { message: string }).message);
  });
}, 180_000);

afterAll(async () => {
  await h?.close();
  tmp?.cleanup();
});

const waitFor = untilWithin(60_000, 50);
/**
 * The engine's status shows an opened capture before its answer reaches the page, and the page
 * closes the open dialog on that answer: a test that goes on with the page waits for it.
 */
const openDialogClosed = (): Promise<void> =>
  waitFor(
    async () => (await h.page.getByTestId('open-dialog').count()) === 0,
    'the open dialog closed',
  );

const text = async (testId: string): Promise<string> =>
  (await h.page.getByTestId(testId).textContent()) ?? '';
const displayed = async (): Promise<number> => {
  const m = /Displayed: ([\d,]+)/.exec(await text('displayed'));
  return m ? Number(m[1]!.replace(/,/g, '')) : -1;
};
const state = (): string | undefined => h.workbench.status().state;

async function shotAt(name: string, width: number, height: number): Promise<void> {
  await h.page.setViewportSize({ width, height });
  await h.page.screenshot({ path: join(screenshotDir, `${name}-${width}x${height}.png`) });
}

/** Drops `path` on the window as a browser does: a drop event whose DataTransfer holds it. */
async function dropFile(path: string, name: string): Promise<void> {
  const base64 = readFileSync(path).toString('base64');
  await h.page.evaluate(
    ({ base64, name }) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], name, { type: 'application/octet-stream' }));
      const at = document.body;
      at.dispatchEvent(new DragEvent('dragenter', { bubbles: true, dataTransfer: data }));
      at.dispatchEvent(
        new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: data }),
      );
      at.dispatchEvent(
        new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: data }),
      );
    },
    { base64, name },
  );
}

describe('opening captures', () => {
  it('the real KDNET capture by the file chooser: the key is asked for (a wrong one first), then its 526 packets show', async () => {
    const { page } = h;
    await page.goto(h.server.url);
    await page.getByTestId('attach-page').waitFor();
    await page.getByTestId('attach-open-capture').click();
    await page.getByTestId('open-dialog').waitFor();
    await shotAt('captures-open-dialog', 1440, 900);
    await page.getByTestId('open-file-input').setInputFiles(kdnet);

    const prompt = page.getByTestId('kdnet-key-prompt');
    await prompt.waitFor();
    expect(await prompt.textContent()).toMatch(/KDNET key needed/);
    expect(await text('kdnet-key-reason')).toMatch(/encrypted, give the key/);
    await shotAt('captures-key-prompt', 1440, 900);
    await shotAt('captures-key-prompt', 1024, 640);
    await page.setViewportSize({ width: 1440, height: 900 });

    // A wrong key: asked again, and the key is shown nowhere.
    await page.getByTestId('kdnet-key').fill(WRONG_KEY);
    expect(await page.getByTestId('kdnet-key').getAttribute('type')).toBe('password');
    await page.getByTestId('kdnet-key-ok').click();
    await waitFor(
      async () => /did not open it/.test((await prompt.textContent()) ?? ''),
      'the wrong key refused',
    );
    expect(await text('kdnet-key-reason')).toMatch(/failed authentication with this key/);
    expect(await page.getByTestId('kdnet-key').inputValue()).toBe('');
    // Something that is no key at all: refused without repeating it.
    await page.getByTestId('kdnet-key').fill('not-a-key');
    await page.getByTestId('kdnet-key-ok').click();
    await waitFor(async () => /no KDNET key/.test(await text('kdnet-key-reason')), 'malformed');

    await page.getByTestId('kdnet-key').fill(KEY);
    await page.getByTestId('kdnet-key-ok').click();
    await page.getByTestId('timeline').waitFor();
    expect(await prompt.count()).toBe(0);
    await waitFor(async () => state() === 'stopped', 'the capture read');
    // 526 KD packets and the target's 12-byte hello (a garbage row), as kdscope decode finds.
    await waitFor(async () => (await displayed()) === 527, '527 rows');
    const records = decodeRecords(kdnet, '--key', KEY);
    expect(records).toHaveLength(527);
    expect(records.filter((r) => r.kind === 'packet')).toHaveLength(526);
    expect(await text('c-packets')).toBe('527');
    expect(await text('opened-file')).toBe('File: windbg-uncut.pcapng.gz · KDNET, decrypted');
    expect(h.workbench.status().info?.opened).toMatchObject({
      name: 'windbg-uncut.pcapng.gz',
      kdnet: true,
      frames: 955,
    });
    await shotAt('captures-kdnet-rows', 1440, 900);
    await shotAt('captures-kdnet-rows', 1024, 640);
    await page.setViewportSize({ width: 1440, height: 900 });

    // Neither key reached the page's text, the engine's log or the recent list.
    const body = (await page.locator('body').textContent()) ?? '';
    for (const key of [KEY, WRONG_KEY, 'not-a-key']) expect(body).not.toContain(key);
    const log = engineLog.join('\n');
    expect(log).toMatch(/opened windbg-uncut\.pcapng\.gz/);
    for (const key of [KEY, WRONG_KEY, 'not-a-key']) expect(log).not.toContain(key);
    expect(h.errors).toEqual([]);
  }, 120_000);

  it('a capture dropped on the window opens (uploaded); the attach page lists it with the KDNET one', async () => {
    const { page } = h;
    await dropFile(seed, 'seed-session.pcap');
    await waitFor(
      async () => h.workbench.status().info?.opened?.name === 'seed-session.pcap',
      'the dropped capture opened',
    );
    await waitFor(async () => state() === 'stopped', 'read');
    const rows = decodeRecords(seed).length;
    expect(rows).toBeGreaterThan(100);
    await waitFor(async () => (await displayed()) === rows, 'the rows kdscope decode finds');
    expect(await page.getByTestId('drop-overlay').count()).toBe(0);

    await page.getByTestId('attach').click();
    await page.getByTestId('attach-page').waitFor();
    const recent = page.getByTestId('recent-row');
    await waitFor(async () => (await recent.count()) >= 2, 'two recent captures');
    expect(await recent.nth(0).getAttribute('data-name')).toBe('seed-session.pcap');
    expect(await recent.nth(1).getAttribute('data-name')).toBe('windbg-uncut.pcapng.gz');
    await shotAt('captures-recent', 1440, 900);
    await shotAt('captures-recent', 1024, 640);
    await page.setViewportSize({ width: 1440, height: 900 });
    // Reopened from the list: the engine remembers the key for this run, no prompt.
    await recent.nth(1).getByTestId('recent-open').click();
    await page.getByTestId('timeline').waitFor();
    await waitFor(async () => (await displayed()) === 527, 'the KDNET rows again');
    expect(await page.getByTestId('kdnet-key-prompt').count()).toBe(0);
  }, 120_000);

  it('a dropped file that is no capture: the error names it as the user knows it, not the upload', async () => {
    const { page } = h;
    const notes = tmp.file('notes.txt');
    writeFileSync(notes, 'these are notes, not packets\n'.repeat(20));
    await dropFile(notes, 'notes.txt');
    const error = page.getByTestId('open-error');
    await error.waitFor();
    const said = (await error.textContent()) ?? '';
    expect(said).toMatch(/^notes\.txt\b/);
    expect(said).not.toMatch(/kdscope-uploads|\/tmp\//);
    // The dialog came up without a click: it has the focus, and Escape closes it.
    await page.keyboard.press('Escape');
    await openDialogClosed();
  }, 60_000);

  it('asks before stopping a live session; Cancel keeps it, Stop it and open replaces it', async () => {
    const { page } = h;
    await page.getByTestId('attach').click();
    await page.getByTestId('start').click();
    // The view holds the KDNET capture reopened above: the question names the file.
    const confirm = page.getByTestId('confirm-start-ok');
    await confirm.waitFor();
    expect(await text('confirm-start')).toMatch(/holds 527 packets of windbg-uncut\.pcapng\.gz/);
    expect(await text('confirm-start-capture')).toBe(
      'The file stays as it is: open it again at any time.',
    );
    await confirm.click();
    await waitFor(async () => state() === 'running' && !h.workbench.status().info?.opened, 'live');
    const live = h.workbench.status().info!.id;

    await page.keyboard.press('Control+o');
    await page.getByTestId('open-dialog').waitFor();
    await page.getByTestId('open-file-input').setInputFiles(seed);
    const prompt = page.getByTestId('replace-prompt');
    await prompt.waitFor();
    expect(await prompt.textContent()).toMatch(/Stop the live session\?.*Its packets stay in/);
    await shotAt('captures-replace-prompt', 1024, 640);
    await page.setViewportSize({ width: 1440, height: 900 });
    await prompt.getByText('Cancel').click();
    expect(h.workbench.status()).toMatchObject({ state: 'running', info: { id: live } });

    await page.getByTestId('open-file-input').setInputFiles(seed);
    await page.getByTestId('replace-ok').click();
    await waitFor(
      async () => h.workbench.status().info?.opened?.name === 'seed-session.pcap',
      'the capture replaced the session',
    );
    await openDialogClosed();
  }, 120_000);
});

describe('exporting', () => {
  it('the displayed rows after a filter, decrypted: tshark reads its frames and ports, our decoder the same packets', async () => {
    const { page } = h;
    const tshark = requireTool('tshark');
    await page.keyboard.press('Control+o');
    await page.getByTestId('open-file-input').setInputFiles(kdnet);
    await page.getByTestId('kdnet-key').fill(KEY);
    await page.getByTestId('kdnet-key-ok').click();
    await waitFor(async () => (await displayed()) === 527 && state() === 'stopped', 'rows');

    const filter = page.getByTestId('filter');
    await filter.fill('type == STATE_MANIPULATE');
    await filter.press('Enter');
    const expected = decodePackets(kdnet, '--key', KEY).filter(
      (p) => p.type === 'STATE_MANIPULATE',
    );
    expect(expected).toHaveLength(187);
    await waitFor(async () => (await displayed()) === 187, 'the filtered rows');

    await page.getByTestId('export').click();
    const dialog = page.getByTestId('export-dialog');
    await dialog.waitFor();
    // A filter is applied: Displayed is what the dialog offers first.
    expect(await page.getByTestId('export-scope-displayed').isChecked()).toBe(true);
    expect(await dialog.textContent()).toContain('(187)');
    await page.getByTestId('export-decrypt').check();
    await page.getByTestId('export-format-pcap').check();
    await shotAt('captures-export-dialog', 1440, 900);
    await shotAt('captures-export-dialog', 1024, 640);
    await page.setViewportSize({ width: 1440, height: 900 });

    const download = page.waitForEvent('download');
    await page.getByTestId('export-ok').click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('windbg-uncut-export.pcap');
    const out = tmp.file('displayed.pcap');
    await file.saveAs(out);
    await waitFor(
      async () => (await page.getByTestId('export-status').getAttribute('data-state')) === 'done',
      'done',
    );
    expect(await text('export-status')).toMatch(/Exported 187 frames: downloaded as/);
    await shotAt('captures-export-done', 1440, 900);

    // tshark: one frame per displayed packet, in the seed's UDP wrap.
    const fields = spawnSync(
      tshark,
      ['-r', out, '-T', 'fields', '-E', 'separator=,', '-e', 'udp.srcport', '-e', 'udp.dstport'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(fields.status, fields.stderr).toBe(0);
    const lines = fields.stdout.trim().split('\n');
    expect(lines).toHaveLength(187);
    expect(new Set(lines)).toEqual(new Set(['51111,51112', '51112,51111']));
    // Our decoder: the same packets, in the same order, each in its direction.
    const project = (p: Record<string, unknown>): unknown[] => [
      p.dir,
      p.type,
      p.id,
      p.apiName,
      p.byteCount,
      p.checksumOk,
    ];
    expect(decodePackets(out).map(project)).toEqual(expected.map(project));
    // The frame count tshark sees matches by direction too.
    const toTarget = lines.filter((l) => l === '51111,51112').length;
    expect(toTarget).toBe(expected.filter((p) => p.dir === 'debugger->target').length);

    await page.getByTestId('export-close').click();
    expect(await dialog.count()).toBe(0);
    expect(h.errors).toEqual([]);
  }, 120_000);

  it('Cancel during an export: the dialog says it was cancelled, the partial file is removed and nothing downloads', async () => {
    const { page } = h;
    await page.keyboard.press('Control+o');
    await page.getByTestId('open-file-input').setInputFiles(seed);
    await waitFor(
      async () =>
        h.workbench.status().info?.opened?.name === 'seed-session.pcap' && state() === 'stopped',
      'the seed capture read',
    );
    await openDialogClosed();
    // The last test's filter goes: every row is displayed.
    await page.getByTestId('filter').fill('');
    await page.getByTestId('filter').press('Enter');
    const rows = decodeRecords(seed).length;
    await waitFor(async () => (await displayed()) === rows, 'its rows');

    let downloads = 0;
    const counted = (): void => void downloads++;
    page.on('download', counted);
    let release!: () => void;
    exportHold = new Promise((resolve) => (release = resolve));
    const slicesBefore = exportSlices;
    try {
      await page.getByTestId('export').click();
      const dialog = page.getByTestId('export-dialog');
      await dialog.waitFor();
      await page.getByTestId('export-scope-all').check();
      await page.getByTestId('export-format-pcap').check();
      await page.getByTestId('export-name').fill('cancelled-export.pcap');
      await page.getByTestId('export-ok').click();
      // The engine holds the export before its first slice: the file is open (its header is
      // written), nothing is finished, and the dialog offers Cancel.
      await waitFor(async () => exportSlices > slicesBefore, 'the export held');
      const partial = (): string[] =>
        readdirSync(tmp.dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
          f.endsWith('cancelled-export.pcap'),
        );
      expect(partial()).toHaveLength(1);
      expect(existsSync(join(tmp.dir, partial()[0]!))).toBe(true);
      const cancel = page.getByTestId('export-cancel');
      await waitFor(async () => await cancel.isEnabled(), 'Cancel enabled');
      expect(await page.getByTestId('export-ok').isDisabled()).toBe(true);
      const cancelsBefore = exportCancels;
      await cancel.click();
      // The cancel reaches the engine while the export is held; then it may go on. (A click
      // is done once the page has it: released at once, a small export could end first.)
      await waitFor(async () => exportCancels > cancelsBefore, 'the cancel at the engine');
      release();
      exportHold = undefined;
      const status = page.getByTestId('export-status');
      await waitFor(
        async () => (await status.getAttribute('data-state')) === 'cancelled',
        'cancelled',
      );
      expect(await status.textContent()).toBe('Export cancelled; nothing was kept.');
      expect(partial()).toEqual([]);
      await shotAt('captures-export-cancelled', 1024, 640);
      await page.setViewportSize({ width: 1440, height: 900 });
      // Not offered: no download came, and the dialog can start another export or close.
      expect(downloads).toBe(0);
      expect(await page.getByTestId('export-ok').isEnabled()).toBe(true);
      await page.getByTestId('export-close').click();
      expect(await dialog.count()).toBe(0);
      expect(engineLog.join('\n')).not.toMatch(/export failed/i);
      expect(h.errors).toEqual([]);
    } finally {
      release();
      exportHold = undefined;
      page.off('download', counted);
    }
  }, 120_000);
});
