// The engine's Open and Export, as a window drives them: an opened capture streams the rows
// `kdscope decode` prints (the real CLI process), its packets' bytes are there, a KDNET capture
// asks for its key (missing, then wrong) and opens with it, a live session is replaced only
// when asked; an export of the displayed rows writes the very file `kdscope export --filter`
// writes, progress comes and a cancel removes the file, a live session's capture exports too.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ExportProgress, SessionStatus } from '../../electron/api/contract';
import { Workbench } from '../../electron/engine/workbench/workbench';
import {
  NoRangesBuilder,
  encodeNoRangeParts,
  type NoRange,
} from '../../protocol/records/no-ranges';
import type { PacketRecord } from '../../protocol/session/record';
import { generateRealisticStream } from '../support/kd-gen';
import { makeTempDir, writeGeneratedSession } from '../support/pcap-fixtures';
import { untilWithin } from '../support/until';
import { connectView, type View } from '../support/workbench-view';
import { batchFromBytes, decodeRecord } from '../../protocol/records/columns';

const ROOT = join(import.meta.dirname, '../..');
const tmp = makeTempDir('kdscope-open-export-');
afterAll(() => tmp.cleanup());
const until = untilWithin(30_000, 10);
const KDNET = tmp.file('windbg-uncut.pcapng.gz');
copyFileSync(join(ROOT, 'test/fixtures/windbg-uncut.pcapng.gz'), KDNET);

function kdscope(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [join(ROOT, 'bin/kdscope.mjs'), ...args], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    timeout: 120_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const seedCapture = (name: string, bytes: number, maxRead = 900): string =>
  writeGeneratedSession(tmp.file(name), bytes, 11, maxRead);
const SEED = seedCapture('seed.pcap', 120_000);

/** The fields `kdscope decode` NDJSON and a view's row share. */
function projectRow(r: PacketRecord): Record<string, unknown> {
  return {
    no: r.no,
    kind: r.kind,
    dir: r.dir,
    offset: r.offset,
    frame: r.frame,
    type: r.typeName,
    id: r.id,
    apiName: r.apiName,
    checksumOk: r.checksumOk,
    ack: r.ack,
    pair: r.pair,
    text: r.text,
  };
}
function projectJson(o: Record<string, unknown>): Record<string, unknown> {
  return {
    no: o.no,
    kind: o.kind,
    dir: o.dir,
    offset: o.offset,
    frame: o.frame,
    type: o.type,
    id: o.id,
    apiName: o.apiName,
    checksumOk: o.checksumOk,
    ack: o.ack,
    pair: o.pair,
    text: o.text,
  };
}

function decodeCli(...args: string[]): Record<string, unknown>[] {
  const run = kdscope('decode', ...args);
  expect(run.status, run.stderr).toBe(0);
  return run.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((o) => o.kind !== 'summary');
}

const workbenches: Workbench[] = [];
const views: View[] = [];
afterEach(async () => {
  for (const v of views.splice(0)) v.handlers.dispose();
  for (const w of workbenches.splice(0)) await w.dispose();
});

function setup(): { workbench: Workbench; view: View } {
  const capturesDir = tmp.file(`captures-${workbenches.length}-${Date.now()}`);
  mkdirSync(capturesDir);
  const workbench = new Workbench({ capturesDir, exportsDir: tmp.dir });
  workbenches.push(workbench);
  const view = connectView(workbench, 16, true, true);
  views.push(view);
  return { workbench, view };
}

/** A second connection of the same workbench that keeps its 'export' events. */
function withExports(workbench: Workbench): {
  handlers: ReturnType<Workbench['connect']>;
  progress: ExportProgress[];
} {
  const progress: ExportProgress[] = [];
  const handlers = workbench.connect((name, data) => {
    if (name === 'export') progress.push(data as ExportProgress);
  });
  views.push({ handlers } as View);
  return { handlers, progress };
}

const settled = (states: SessionStatus[]): boolean =>
  states.length > 0 &&
  states.at(-1)!.state !== 'running' &&
  states.at(-1)!.info?.opened !== undefined;

async function openAndRead(view: View, request: Parameters<View['handlers']['captures.open']>[0]) {
  const info = await view.handlers['captures.open'](request);
  await until(() => settled(view.states), 'the capture read');
  const status = view.states.at(-1)!;
  await until(() => view.rows.length === status.counters.packets, 'every row streamed');
  return { info, status };
}

describe('opening a capture into the view', () => {
  it('streams the rows kdscope decode prints, with their bytes and details', async () => {
    const { workbench, view } = setup();
    const { info, status } = await openAndRead(view, { path: SEED });
    expect(info.opened).toMatchObject({ name: 'seed.pcap', path: SEED, format: 'pcap' });
    expect(info.debugger).toBe('');
    expect(status.state).toBe('stopped');
    const cli = decodeCli(SEED);
    expect(cli.length).toBeGreaterThan(1500);
    expect(view.rows.map(projectRow)).toEqual(cli.map(projectJson));
    expect(status.info?.opened?.frames).toBe(status.counters.frames);
    expect(status.counters.frames).toBeGreaterThan(100);
    // The bytes of any row, from the opened capture's decoder.
    const manipulate = view.rows.find((r) => r.typeName === 'STATE_MANIPULATE')!;
    const bytes = workbench.bytes(manipulate.no)!;
    expect(bytes.bytes.length).toBe(manipulate.length);
    expect(bytes.fields.some((f) => f.name.includes('STATE_MANIPULATE') || f.children)).toBe(true);
    expect(await view.handlers['captures.recent']()).toEqual([
      expect.objectContaining({ name: 'seed.pcap', path: SEED }),
    ]);
    // Rows are paged back from an opened pcap (indexed as it was read), as they were streamed.
    const page = await view.handlers['packets.rows']({ from: 1, count: 10 });
    expect(page.missing).toBeUndefined();
    const paged = batchFromBytes(page.batch);
    const pagedRows = Array.from({ length: paged.count }, (_, i) => decodeRecord(paged, i));
    expect(pagedRows).toEqual(view.rows.slice(0, 10));
  });

  it('opens raw pairs and says what cannot be opened in one line', async () => {
    const { view } = setup();
    const d = tmp.file('d.bin');
    const t = tmp.file('t.bin');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(d, generateRealisticStream(20_000, 21).bytes);
    writeFileSync(t, generateRealisticStream(20_000, 22).bytes);
    const { info } = await openAndRead(view, { debugger: d, target: t });
    expect(info.opened).toMatchObject({ format: 'raw-pair', path: d, targetPath: t });
    expect(view.rows.map(projectRow)).toEqual(
      decodeCli('--debugger', d, '--target', t).map(projectJson),
    );
    await expect(view.handlers['captures.open']({ path: tmp.file('nope.pcap') })).rejects.toThrow(
      /^cannot read capture .*nope\.pcap: /,
    );
    await expect(view.handlers['captures.open']({ path: d })).rejects.toThrow(
      /is not a pcap or pcapng capture/,
    );
  });

  it('asks for the KDNET key: missing, then wrong, then the 526 packets', async () => {
    const { view } = setup();
    await expect(view.handlers['captures.open']({ path: KDNET })).rejects.toMatchObject({
      name: 'KdnetKeyMissing',
      message: expect.stringMatching(/KDNET datagrams .*encrypted, give the key/),
    });
    await expect(
      view.handlers['captures.open']({ path: KDNET, key: '1.2.3.4' }),
    ).rejects.toMatchObject({
      name: 'KdnetKeyRejected',
      message: expect.stringMatching(/failed authentication with this key: wrong key\?/),
    });
    // Something that is no key: asked for again, without repeating what was typed.
    const notAKey = view.handlers['captures.open']({ path: KDNET, key: 'not-a-key' });
    await expect(notAKey).rejects.toMatchObject({ name: 'KdnetKeyRejected' });
    await expect(notAKey).rejects.toThrow(/^that is no KDNET key: expected W\.X\.Y\.Z/);
    await expect(notAKey).rejects.not.toThrow(/not-a-key/);
    // Nothing replaced the (empty) view meanwhile.
    expect(view.states).toEqual([]);
    const { status } = await openAndRead(view, { path: KDNET, key: '8.8.8.8' });
    expect(view.rows.filter((r) => r.kind === 'packet').length).toBe(526);
    expect(status.info?.mode).toBe('kdnet');
    expect(status.info?.opened).toMatchObject({ kdnet: true, frames: 955, compressed: true });
    expect(view.rows.map(projectRow)).toEqual(
      decodeCli(KDNET, '--key', '8.8.8.8').map(projectJson),
    );
    // Reopened in this run: the key is remembered, no prompt.
    const again = await view.handlers['captures.open']({ path: KDNET });
    expect(again.opened?.name).toBe('windbg-uncut.pcapng.gz');
    const recent = await view.handlers['captures.recent']();
    expect(recent[0]).toMatchObject({ path: KDNET, kdnet: true });
    expect(JSON.stringify(recent)).not.toContain('8.8.8.8');
  });

  it('replaces a running live session only when asked', async () => {
    const { workbench, view } = setup();
    await view.handlers['session.start']({ debugger: 'sim', target: 'sim', rate: 2000 });
    await until(() => view.rows.length > 20, 'live rows');
    await expect(view.handlers['captures.open']({ path: SEED })).rejects.toMatchObject({
      name: 'SessionRunning',
    });
    expect(workbench.status().state).toBe('running');
    await openAndRead(view, { path: SEED, replace: true });
    expect(workbench.status().info?.opened?.name).toBe('seed.pcap');
    expect(workbench.status().peers).toBeUndefined();
    // A new Start replaces the capture (the finished view is in the recent list).
    await view.handlers['session.start']({ debugger: 'sim', target: 'sim', rate: 2000 });
    expect(workbench.status().info?.opened).toBeUndefined();
    await view.handlers['session.stop']();
  });
});

function ranges(rows: readonly PacketRecord[], keep: (r: PacketRecord) => boolean): NoRange[] {
  const b = new NoRangesBuilder();
  for (const r of rows) if (keep(r)) b.add(r.no);
  return b.build();
}

async function stage(
  handlers: ReturnType<Workbench['connect']>,
  chosen: readonly NoRange[],
  partBytes = 1024,
): Promise<number> {
  let rows = 0;
  for (const part of encodeNoRangeParts(chosen, partBytes))
    rows = await handlers['export.select'](part);
  return rows;
}

const ended = (progress: ExportProgress[], id: string): ExportProgress | undefined =>
  progress.find((p) => p.id === id && p.state !== 'running');

describe('exporting the view', () => {
  it('the displayed rows: the very file kdscope export --filter writes', async () => {
    const { workbench, view } = setup();
    await openAndRead(view, { path: SEED });
    const { handlers, progress } = withExports(workbench);
    const chosen = ranges(view.rows, (r) => r.typeName === 'STATE_MANIPULATE');
    const rows = await stage(handlers, chosen);
    expect(rows).toBe(view.rows.filter((r) => r.typeName === 'STATE_MANIPULATE').length);
    const job = await handlers['export.start']({ packets: 'selected', format: 'pcap' });
    expect(job.rows).toBe(rows);
    await until(() => ended(progress, job.id) !== undefined, 'the export');
    const done = ended(progress, job.id)!;
    expect(done).toMatchObject({ state: 'done', framesWritten: rows });
    expect(done.file).toMatchObject({ name: 'seed-export.pcap', download: `exports/${job.id}` });
    const file = workbench.exportFile(job.id)!;
    expect(file.name).toBe('seed-export.pcap');
    const cli = tmp.file('cli-filter.pcap');
    const run = kdscope('export', SEED, '--out', cli, '--filter', 'type == STATE_MANIPULATE');
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(file.path)).toEqual(readFileSync(cli));
  });

  it('all, as the desktop app saves it: the file kdscope export writes; errors in one line', async () => {
    const { workbench, view } = setup();
    await openAndRead(view, { path: SEED });
    const { handlers, progress } = withExports(workbench);
    const out = tmp.file('saved-all.pcapng');
    const job = await handlers['export.start']({ packets: 'all', format: 'pcapng', out });
    expect(job.totalFrames).toBe(workbench.status().counters.frames);
    await until(() => ended(progress, job.id) !== undefined, 'the export');
    expect(ended(progress, job.id)).toMatchObject({ state: 'done', file: { path: out } });
    expect(workbench.exportFile(job.id)).toBeUndefined();
    const cli = tmp.file('cli-all.pcapng');
    expect(kdscope('export', SEED, '--out', cli).status).toBe(0);
    expect(readFileSync(out)).toEqual(readFileSync(cli));

    await expect(
      handlers['export.start']({ packets: 'all', format: 'pcap', out: tmp.file('x.pcapng') }),
    ).rejects.toThrow(/must end in \.pcap/);
    await expect(
      handlers['export.start']({ packets: 'all', format: 'pcap', out: SEED }),
    ).rejects.toThrow(/the capture being exported/);
    await expect(handlers['export.start']({ packets: 'selected', format: 'pcap' })).rejects.toThrow(
      /no packets are selected/,
    );
    await expect(handlers['export.select'](Uint8Array.of(0x80))).rejects.toThrow(/bad selection/);
  });

  it('a KDNET capture: as captured (encrypted) or decrypted like kdscope export --key', async () => {
    const { workbench, view } = setup();
    await openAndRead(view, { path: KDNET, key: '8.8.8.8' });
    const { handlers, progress } = withExports(workbench);
    const asCaptured = await handlers['export.start']({ packets: 'all', format: 'pcapng' });
    await until(() => ended(progress, asCaptured.id) !== undefined, 'as captured');
    expect(ended(progress, asCaptured.id)).toMatchObject({ state: 'done', framesWritten: 955 });
    const decrypted = await handlers['export.start']({
      packets: 'all',
      format: 'pcap',
      decrypt: true,
    });
    await until(() => ended(progress, decrypted.id) !== undefined, 'decrypted');
    const cli = tmp.file('cli-decrypted.pcap');
    expect(kdscope('export', KDNET, '--key', '8.8.8.8', '--decrypt', '--out', cli).status).toBe(0);
    expect(readFileSync(workbench.exportFile(decrypted.id)!.path)).toEqual(readFileSync(cli));
    // The chosen rows as captured: two passes, their datagrams plus the key exchange.
    const reads = view.rows.filter((r) => r.apiName === 'ReadVirtualMemory');
    await stage(
      handlers,
      ranges(view.rows, (r) => r.apiName === 'ReadVirtualMemory'),
    );
    const chosen = await handlers['export.start']({ packets: 'selected', format: 'pcap' });
    await until(() => ended(progress, chosen.id) !== undefined, 'chosen');
    expect(ended(progress, chosen.id)).toMatchObject({
      state: 'done',
      passes: 2,
      framesWritten: reads.length + 428,
    });
  });

  it('reports progress on a long export and a cancel removes its file', async () => {
    const big = seedCapture('big.pcap', 4_000_000, 4000);
    const { workbench, view } = setup();
    const { handlers, progress } = withExports(workbench);
    await view.handlers['captures.open']({ path: big });
    await until(() => settled(view.states), 'read', 60_000);
    const total = workbench.status().counters.packets;
    expect(total).toBeGreaterThan(50_000);
    await stage(handlers, [[1, total]], 48 * 1024);
    const job = await handlers['export.start']({ packets: 'selected', format: 'pcapng' });
    await until(() => progress.some((p) => p.id === job.id && p.state === 'running'), 'progress');
    const running = progress.find((p) => p.id === job.id)!;
    expect(running.framesRead).toBeGreaterThan(0);
    expect(running.totalFrames).toBe(workbench.status().counters.frames);
    await handlers['export.cancel'](job.id);
    await until(() => ended(progress, job.id) !== undefined, 'cancelled');
    expect(ended(progress, job.id)!.state).toBe('cancelled');
    expect(workbench.exportFile(job.id)).toBeUndefined();
    const left = readdirSync(tmp.dir, { recursive: true }).map(String);
    expect(left.filter((f) => f.endsWith('big-export.pcapng'))).toEqual([]);
    rmSync(big);
  }, 120_000);

  it("a live session's capture, while it records and after", async () => {
    const { workbench, view } = setup();
    const { handlers, progress } = withExports(workbench);
    await expect(handlers['export.start']({ packets: 'all', format: 'pcap' })).rejects.toThrow(
      /nothing to export/,
    );
    await view.handlers['session.start']({ debugger: 'sim', target: 'sim', rate: 5000 });
    await until(() => view.rows.length > 300, 'live rows');
    const during = await handlers['export.start']({ packets: 'all', format: 'pcap' });
    await until(() => ended(progress, during.id) !== undefined, 'export while recording');
    expect(ended(progress, during.id)!.framesWritten).toBeGreaterThan(10);
    await view.handlers['session.stop']();
    const frames = workbench.status().counters.frames;
    await stage(handlers, [[1, 100]]);
    const chosen = await handlers['export.start']({ packets: 'selected', format: 'pcap' });
    await until(() => ended(progress, chosen.id) !== undefined, 'export after stop');
    expect(ended(progress, chosen.id)).toMatchObject({ state: 'done', framesWritten: 100 });
    const all = await handlers['export.start']({ packets: 'all', format: 'pcap' });
    await until(() => ended(progress, all.id) !== undefined, 'all after stop');
    expect(ended(progress, all.id)!.framesWritten).toBe(frames);
    expect(existsSync(workbench.exportFile(all.id)!.path)).toBe(true);
  }, 60_000);
});
