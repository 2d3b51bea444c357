// Every UI session is recorded: the Workbench's capture, read back by our reader and decoded
// again, gives exactly the rows the workbench streamed; rows a lagging view skipped are in it;
// an unwritable captures folder is one line in the status while the session streams on.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Workbench } from '../../electron/engine/workbench/workbench';
import type { PacketRecord } from '../../protocol/session/record';
import { connectView as connect, decodeCapture } from '../support/workbench-view';
import { untilWithin } from '../support/until';

let dir: string;
const disposers: (() => void)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-web-capture-'));
});
afterEach(() => {
  for (const d of disposers.splice(0).reverse()) d();
  rmSync(dir, { recursive: true, force: true });
});

const until = untilWithin(15_000, 10);

function connectView(workbench: Workbench, window: number, autoAck: boolean) {
  const view = connect(workbench, window, autoAck);
  disposers.push(() => view.handlers.dispose());
  return view;
}

const identity = (r: PacketRecord): string =>
  `${r.no} ${r.dir} ${r.kind} ${r.typeName ?? r.type ?? ''} ${r.id ?? ''} ${r.apiName ?? ''} ${r.length}`;

function newWorkbench(options: ConstructorParameters<typeof Workbench>[0]): Workbench {
  const workbench = new Workbench(options);
  disposers.push(() => workbench.dispose());
  return workbench;
}

describe('UI session captures', () => {
  it('decode to exactly the rows the workbench streamed; skipped rows are in the file', async () => {
    const capturesDir = join(dir, 'captures');
    mkdirSync(capturesDir);
    // A small window of rows in the engine, so a view that does not keep up loses some.
    const workbench = newWorkbench({ capturesDir, capacityRows: 512, batchRows: 64 });
    const live = connectView(workbench, 64, true);
    const lagging = connectView(workbench, 1, false);
    const info = await live.handlers['session.start']({
      debugger: 'sim',
      target: 'sim',
      rate: 20_000,
    });
    expect(info.capture).toBeDefined();
    const capture = info.capture!;
    expect(capture.startsWith(capturesDir)).toBe(true);
    expect(basename(capture)).toMatch(/^kdscope-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.pcap$/);
    await until(() => live.rows.length >= 3000, '3000 rows');
    // The lagging view acknowledges its one batch now: it skips to what the engine still holds.
    for (const seq of lagging.unacked.splice(0)) await lagging.handlers['stream.ack'](seq);
    await live.handlers['session.stop']();
    await until(() => live.states.at(-1)?.state === 'stopped', 'stopped');
    const status = workbench.status();
    expect(status.captureError).toBeUndefined();
    await until(() => live.rows.length === status.counters.packets, 'the last rows');

    const decoded = decodeCapture(capture);
    expect(decoded.frames).toBe(status.counters.frames);
    expect(decoded.frames).toBeGreaterThan(1000);
    expect(decoded.rows.length).toBe(live.rows.length);
    expect(decoded.rows.map(identity)).toEqual(live.rows.map(identity));
    expect(new Set(live.rows.map((r) => r.typeName)).size).toBeGreaterThanOrEqual(3);

    expect(lagging.skipped).toBeGreaterThan(0);
    const seen = new Set(lagging.rows.map((r) => r.no));
    const missed = decoded.rows.filter((r) => !seen.has(r.no));
    expect(missed.length).toBeGreaterThanOrEqual(lagging.skipped);
    // Nothing the view missed is missing from the file: it holds rows 1..n without a gap.
    expect(decoded.rows.every((r, i) => r.no === i + 1)).toBe(true);
  }, 60_000);

  it('is a pcap tshark reads with our UDP wrap', async () => {
    if (spawnSync('tshark', ['-v']).status !== 0)
      throw new Error('tshark is not installed (apt-get install tshark): needed to check captures');
    const workbench = newWorkbench({ capturesDir: dir });
    const view = connectView(workbench, 64, true);
    const info = await view.handlers['session.start']({
      debugger: 'sim',
      target: 'sim',
      rate: 2000,
    });
    await until(() => view.rows.length >= 100, '100 rows');
    await view.handlers['session.stop']();
    const run = spawnSync(
      'tshark',
      ['-r', info.capture!, '-T', 'fields', '-e', 'udp.srcport', '-e', 'udp.dstport'],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.length).toBe(workbench.status().counters.frames);
    expect(new Set(lines)).toEqual(new Set(['51111\t51112', '51112\t51111']));
  }, 60_000);

  it('gives each session its own file, even two in the same second', async () => {
    const workbench = newWorkbench({ capturesDir: dir });
    const view = connectView(workbench, 64, true);
    const paths: string[] = [];
    for (let i = 0; i < 3; i++) {
      const info = await view.handlers['session.start']({
        debugger: 'sim',
        target: 'sim',
        rate: 5000,
      });
      paths.push(info.capture!);
      await until(() => workbench.status().counters.frames >= 20, 'frames');
      await view.handlers['session.stop']();
    }
    expect(new Set(paths).size).toBe(3);
    for (const path of paths) expect(decodeCapture(path).rows.length).toBeGreaterThan(10);
  }, 60_000);

  it('an unwritable captures folder is one line in the status; the session streams on', async () => {
    const aFile = join(dir, 'not-a-folder');
    writeFileSync(aFile, 'x');
    const gone = join(dir, 'gone');
    mkdirSync(gone);
    const cases = [
      { capturesDir: join(aFile, 'captures'), code: /ENOTDIR/ },
      { capturesDir: gone, code: /ENOENT/ },
    ];
    for (const { capturesDir, code } of cases) {
      const workbench = newWorkbench({ capturesDir });
      if (capturesDir === gone) rmSync(gone, { recursive: true });
      const view = connectView(workbench, 64, true);
      const info = await view.handlers['session.start']({
        debugger: 'sim',
        target: 'sim',
        rate: 5000,
      });
      expect(info.capture).toBeUndefined();
      const status = workbench.status();
      expect(status.state).toBe('running');
      expect(status.captureError).toMatch(/^not recording: cannot create capture .*\.pcap: /);
      expect(status.captureError).toMatch(code);
      expect(status.captureError).not.toContain('\n');
      expect(view.states.at(-1)?.captureError).toBe(status.captureError);
      await until(() => view.rows.length >= 200, '200 rows without a capture');
      await view.handlers['session.stop']();
      expect(workbench.status()).toMatchObject({ state: 'stopped', counters: { frames: 0 } });
      expect(existsSync(capturesDir)).toBe(false);
    }
  }, 60_000);
});
