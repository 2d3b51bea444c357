// The renderer's open/export store against a fresh mock engine through the real registry and
// messages: which rows each export scope stages (displayed after a filter, marked, a range),
// the prompts the engine's refusals call for (key missing or rejected, a live session) and what
// answering them sends, and an export's progress, download-less end and cancel.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import type { ExportProgress, OpenCaptureRequest, SessionInfo } from '../../electron/api/contract';
import { encodeRecords } from '../../electron/engine/workbench/workbench';
import { decodeNoRanges, type NoRange } from '../../protocol/records/no-ranges';
import type { PacketRecord } from '../../protocol/session/record';
import { MockWorkbench, connectMock, emitRecords } from '../support/contract-mock';
import { untilWithin } from '../support/until';

vi.stubGlobal('requestAnimationFrame', (cb: (t: number) => void) => setTimeout(() => cb(0), 0));
const { actions, attach, useWorkbench } = await import('../../renderer/store/workbench');
const { marks } = await import('../../renderer/store/marks');
const { useAttach } = await import('../../renderer/store/attach');
const captures = await import('../../renderer/store/captures');
const { captureActions, useCaptures } = captures;

const until = untilWithin(10_000, 5);

const rec = (no: number): PacketRecord => ({
  no,
  time: 1000 + no,
  dir: no % 2 ? 'debugger->target' : 'target->debugger',
  kind: 'packet',
  offset: no * 100,
  length: 16,
  leader: no % 3 ? 'control' : 'data',
  type: no % 3 ? 4 : 2,
  typeName: no % 3 ? 'ACKNOWLEDGE' : 'STATE_MANIPULATE',
  id: 0x80800000,
  flags: 0,
});

const mock = new MockWorkbench();
const { client, close } = connectMock(mock);
let seq = 0;

beforeAll(async () => {
  await attach(client);
  const records = Array.from({ length: 300 }, (_, i) => rec(i + 1));
  await emitRecords(
    mock,
    { seq: ++seq, firstNo: 1, count: records.length, skipped: 0, batch: encodeRecords(records) },
    () => useWorkbench.getState().revision,
  );
});
afterAll(() => close());

/** The no. ranges the store staged with export.select since `from`. */
const staged = (from = 0): NoRange[] => mock.selected.slice(from).flatMap((p) => decodeNoRanges(p));
const caps = () => useCaptures.getState();

describe('which rows an export takes', () => {
  it('property: rangesOfNos covers exactly the valid numbers given, sorted and merged', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 400 }), { maxLength: 200 }), (nos) => {
        const ranges = captures.rangesOfNos(nos);
        const covered: number[] = [];
        for (const [a, b] of ranges) for (let n = a; n <= b; n++) covered.push(n);
        expect(covered).toEqual([...new Set(nos.filter((n) => n >= 1))].sort((a, b) => a - b));
        // Merged: no two ranges touch.
        for (let i = 1; i < ranges.length; i++)
          expect(ranges[i]![0]).toBeGreaterThan(ranges[i - 1]![1] + 1);
      }),
    );
  });

  it('displayed: the filter’s matches; all: no ranges; marked: the Ctrl+M rows', () => {
    actions.setFilterText('type == STATE_MANIPULATE');
    actions.applyFilter();
    const every3 = Array.from({ length: 100 }, (_, i) => 3 * (i + 1));
    expect(captures.exportRanges('displayed')).toEqual(every3.map((n) => [n, n]));
    expect(captures.exportRanges('all')).toBeNull();
    expect(() => captures.exportRanges('marked')).toThrow(/no packets are marked/);
    marks.toggle(7);
    marks.toggle(5);
    marks.toggle(6);
    marks.toggle(40);
    expect(captures.exportRanges('marked')).toEqual([
      [5, 7],
      [40, 40],
    ]);
    marks.clear();
    actions.setFilterText('type == RESET');
    actions.applyFilter();
    expect(() => captures.exportRanges('displayed')).toThrow(/no packets are displayed/);
    actions.setFilterText('');
    actions.applyFilter();
    expect(captures.exportRanges('displayed')).toEqual([[1, 300]]);
  });

  it('a range must be 1 ≤ from ≤ to', () => {
    expect(captures.exportRanges('range', { from: 10, to: 20 })).toEqual([[10, 20]]);
    for (const bad of [
      { from: 0, to: 5 },
      { from: 9, to: 8 },
      { from: Number.NaN, to: 3 },
      { from: 2 },
      { from: 1.5, to: 3 },
    ])
      expect(() => captures.exportRanges('range', bad)).toThrow(/1 ≤ from ≤ to/);
  });

  it('progress as a fraction over the passes; names from the source', () => {
    const p = (over: Partial<ExportProgress>): ExportProgress => ({
      id: 'x',
      state: 'running',
      pass: 1,
      passes: 1,
      framesRead: 0,
      framesWritten: 0,
      ...over,
    });
    expect(captures.exportFraction(null)).toBe(0);
    expect(captures.exportFraction(p({ framesRead: 50, totalFrames: 200 }))).toBe(0.25);
    expect(
      captures.exportFraction(p({ pass: 2, passes: 2, framesRead: 100, totalFrames: 200 })),
    ).toBe(0.75);
    expect(captures.exportFraction(p({ framesRead: 5 }))).toBeNull();
    expect(captures.exportFraction(p({ state: 'done' }))).toBe(1);
    const opened = (name: string): SessionInfo => ({
      id: 'i',
      debugger: '',
      target: '',
      mode: 'com',
      startedAt: 0,
      debuggerCommand: '',
      opened: { name, path: name, format: 'pcapng', compressed: true, bytes: 1, frames: 1 },
    });
    const status = (info: SessionInfo) =>
      ({ state: 'stopped', info, counters: useWorkbench.getState().counters }) as const;
    expect(captures.exportName(status(opened('windbg-uncut.pcapng.gz')), 'pcap')).toBe(
      'windbg-uncut-export.pcap',
    );
    expect(
      captures.exportName(
        status({ ...opened('x'), opened: undefined, capture: '/c/kdscope-1.pcapng' }),
        'pcapng',
      ),
    ).toBe('kdscope-1-export.pcapng');
  });
});

describe('opening', () => {
  const refuse = (name: string, message: string) => async (): Promise<SessionInfo> => {
    throw Object.assign(new Error(message), { name });
  };
  const opens: OpenCaptureRequest[] = [];
  const realOpen = mock['captures.open'];

  it('a missing key, then a rejected one, prompt for the key; the right one opens and shows the packets', async () => {
    useAttach.setState({ page: 'attach' });
    let answers = [
      refuse('KdnetKeyMissing', 'x.pcapng holds KDNET datagrams: give the key'),
      refuse('KdnetKeyRejected', '9 KDNET datagrams failed authentication with this key'),
    ];
    mock['captures.open'] = async (o) => {
      opens.push(o);
      const next = answers.shift();
      return next ? next() : realOpen(o);
    };
    await captureActions.openPath('/up/x.pcapng');
    expect(caps().keyPrompt).toMatchObject({ reason: 'missing', name: 'x.pcapng' });
    expect(caps().busy).toBeNull();
    await captureActions.submitKey('  ');
    expect(opens).toHaveLength(1);
    await captureActions.submitKey(' 1.2.3.4 ');
    expect(caps().keyPrompt).toMatchObject({ reason: 'rejected' });
    expect(caps().keyPrompt!.message).not.toContain('1.2.3.4');
    await captureActions.submitKey('8.8.8.8');
    expect(opens).toEqual([
      { path: '/up/x.pcapng' },
      { path: '/up/x.pcapng', key: '1.2.3.4' },
      { path: '/up/x.pcapng', key: '8.8.8.8' },
    ]);
    expect(caps()).toMatchObject({ keyPrompt: null, dialog: 'none', error: null, busy: null });
    expect(useAttach.getState().page).toBe('packets');
    answers = [];
  });

  it('a live session: asks; Cancel sends nothing more, confirming sends replace', async () => {
    opens.length = 0;
    let live = true;
    mock['captures.open'] = async (o) => {
      opens.push(o);
      if (live && !o.replace) return refuse('SessionRunning', 'a live session is running')();
      return realOpen(o);
    };
    await captureActions.openPath('/up/a.pcap');
    expect(caps().replacePrompt).toMatchObject({ name: 'a.pcap' });
    captureActions.cancelReplace();
    expect(caps().replacePrompt).toBeNull();
    expect(opens).toHaveLength(1);
    await captureActions.openPath('/up/a.pcap');
    await captureActions.confirmReplace();
    expect(opens.at(-1)).toEqual({ path: '/up/a.pcap', replace: true });
    expect(caps().replacePrompt).toBeNull();
    live = false;
  });

  it('another refusal is shown in the open dialog; more than one file dropped is refused', async () => {
    mock['captures.open'] = refuse('CaptureOpenError', 'b.txt is not a pcap or pcapng capture');
    await captureActions.openPath('/up/b.txt');
    expect(caps()).toMatchObject({
      dialog: 'open',
      error: 'b.txt is not a pcap or pcapng capture',
      keyPrompt: null,
    });
    captureActions.close();
    await captureActions.dropFiles([new File(['a'], 'a.pcap'), new File(['b'], 'b.pcap')]);
    expect(caps().error).toMatch(/drop one capture at a time \(2 files were dropped\)/);
    captureActions.close();
    mock['captures.open'] = realOpen;
  });
});

describe('exporting', () => {
  it('stages the marked rows, starts a selected export, follows its progress to the end', async () => {
    marks.toggle(10);
    marks.toggle(11);
    marks.toggle(200);
    const before = mock.selected.length;
    captureActions.showExport();
    await captureActions.startExport({
      scope: 'marked',
      format: 'pcapng',
      decrypt: false,
      name: 'x-export.pcapng',
    });
    expect(staged(before)).toEqual([
      [10, 11],
      [200, 200],
    ]);
    expect(mock.calls.at(-1)).toEqual({
      op: 'export.start',
      arg: { packets: 'selected', format: 'pcapng', name: 'x-export.pcapng' },
    });
    expect(caps().exporting).toMatchObject({ id: 'export-1', rows: 3 });
    const base = { id: 'export-1', pass: 1, passes: 1, totalFrames: 300 } as const;
    mock.emit('export', { ...base, state: 'running', framesRead: 150, framesWritten: 2 });
    await until(() => caps().exporting?.progress?.framesRead === 150, 'progress');
    expect(captures.exportFraction(caps().exporting!.progress)).toBe(0.5);
    // Progress of another connection's job is no business of this dialog.
    mock.emit('export', { ...base, id: 'other', state: 'done', framesRead: 1, framesWritten: 1 });
    mock.emit('export', {
      ...base,
      state: 'done',
      framesRead: 300,
      framesWritten: 3,
      file: { name: 'x-export.pcapng', bytes: 400, path: '/tmp/x-export.pcapng' },
    });
    await until(() => caps().exporting?.progress?.state === 'done', 'done');
    expect(caps().exporting?.progress?.framesWritten).toBe(3);
    marks.clear();
  });

  it('all packets stages nothing; Cancel asks the engine to stop the job', async () => {
    captureActions.showExport();
    // An ended export gives way to a new form.
    expect(caps().exporting).toBeNull();
    const before = mock.selected.length;
    await captureActions.startExport({
      scope: 'all',
      format: 'pcap',
      decrypt: true,
      name: 'y.pcap',
    });
    expect(mock.selected.length).toBe(before);
    expect(mock.calls.at(-1)).toEqual({
      op: 'export.start',
      arg: { packets: 'all', format: 'pcap', decrypt: true, name: 'y.pcap' },
    });
    await captureActions.cancelExport();
    expect(mock.calls.at(-1)).toEqual({ op: 'export.cancel', arg: 'export-1' });
  });

  it('nothing to export is said in the dialog, and nothing is started', async () => {
    const calls = mock.calls.length;
    await captureActions.startExport({
      scope: 'marked',
      format: 'pcap',
      decrypt: false,
      name: 'z',
    });
    expect(caps().error).toMatch(/no packets are marked/);
    expect(caps().exporting).toBeNull();
    expect(mock.calls.length).toBe(calls);
  });
});
