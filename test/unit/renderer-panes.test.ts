// The stores behind the toolbar counters, the terminal, the response-time and expert panes and
// the marks, fed by the renderer's store from a fresh mock engine through the real messages.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MockWorkbench, connectMock, emitRecords, recordsEvent } from '../support/contract-mock';
import { PacketFlag, type PacketRecord } from '../../protocol/session/record';
import { untilWithin } from '../support/until';

const until = untilWithin(5_000);

vi.stubGlobal('requestAnimationFrame', (cb: (t: number) => void) => setTimeout(() => cb(0), 0));
const { actions, attach, useWorkbench } = await import('../../renderer/store/workbench');
const { setupPanes } = await import('../../renderer/store/panes');
const { viewCounters } = await import('../../renderer/store/view-counters');
const { srtTable, expertSnapshot } = await import('../../renderer/store/stats');
const { terminalBacklog, onTerminalText } = await import('../../renderer/store/terminal');
const { marks, useMarks } = await import('../../renderer/store/marks');
const { logEntries } = await import('../../renderer/store/engine-log');

const T0 = 1_700_000_000_000;
const base = { dir: 'debugger->target', kind: 'packet', offset: 0, flags: 0 } as const;

/** A GetVersion call: request, ACK, reply (RTT 2 ms), ACK; then a DbgPrint and its ACK. */
function call(no: number, bad = false): PacketRecord[] {
  const t = T0 + no;
  return [
    {
      ...base,
      no,
      time: t,
      length: 73,
      leader: 'data',
      type: 2,
      typeName: 'STATE_MANIPULATE',
      id: 0x80800000,
      checksumOk: true,
      api: 0x3146,
      apiName: 'GetVersion',
      flags: PacketFlag.NO_RESPONSE,
    },
    {
      ...base,
      no: no + 1,
      time: t + 1,
      dir: 'target->debugger',
      length: 16,
      leader: 'control',
      type: 4,
      ack: no,
    },
    {
      ...base,
      no: no + 2,
      time: t + 2,
      dir: 'target->debugger',
      length: 73,
      leader: 'data',
      type: 2,
      typeName: 'STATE_MANIPULATE',
      id: 0x80800000,
      checksumOk: !bad,
      api: 0x3146,
      apiName: 'GetVersion',
      returnStatus: 0,
      pair: no,
      rttMs: 2,
      flags: bad ? PacketFlag.CHECKSUM_ERROR : 0,
    },
    { ...base, no: no + 3, time: t + 3, length: 16, leader: 'control', type: 4, ack: no + 2 },
    {
      ...base,
      no: no + 4,
      time: t + 4,
      dir: 'target->debugger',
      length: 40,
      leader: 'data',
      type: 3,
      typeName: 'DEBUG_IO',
      id: 0x80800001,
      checksumOk: true,
      api: 0x3230,
      apiName: 'PrintString',
      text: `print ${no}\n`,
    },
    { ...base, no: no + 5, time: t + 5, length: 16, leader: 'control', type: 4, ack: no + 4 },
  ];
}

const mock = new MockWorkbench();
// What the engine logged before this window attached.
mock.log = [{ time: T0, level: 'warn', source: 'target', message: 'the wire went quiet' }];
const { client, close } = connectMock(mock);
let seq = 0;
async function push(records: PacketRecord[], skipped = 0): Promise<void> {
  await emitRecords(
    mock,
    recordsEvent(++seq, records, skipped),
    () => useWorkbench.getState().revision,
  );
}

let dispose: () => void;
beforeAll(async () => {
  dispose = setupPanes();
  await attach(client);
});
afterAll(() => {
  dispose();
  close();
});

describe('the panes fed from the packet rows', () => {
  it('count in the toolbar what the list holds, and start over on Clear', async () => {
    await push([...call(1), ...call(7, true)]);
    expect(viewCounters()).toMatchObject({
      packets: 12,
      errors: 1,
      bytes: 2 * (73 + 16 + 73 + 16 + 40 + 16),
    });
    // Rows the engine skipped for this view still count as packets of the session.
    await push(call(20), 5);
    expect(viewCounters().packets).toBe(12 + 6 + 5);
    marks.toggle(3);
    expect(useMarks.getState().marked.has(3)).toBe(true);

    await actions.clear();
    expect(viewCounters()).toMatchObject({ packets: 0, bytes: 0, errors: 0 });
    expect(useMarks.getState().marked.size).toBe(0);
    expect(srtTable().total.calls).toBe(0);
    await push(call(40));
    expect(viewCounters().packets).toBe(6);
  });

  it('compute response times and expert info over the same rows', async () => {
    await actions.clear();
    await push([...call(100), ...call(106, true), ...call(112)]);
    const srt = srtTable();
    expect(srt.rows).toHaveLength(1);
    expect(srt.rows[0]).toMatchObject({
      apiName: 'GetVersion',
      calls: 3,
      answered: 3,
      bytes: 6 * 73,
    });
    expect(srt.rows[0]!.rttMs).toMatchObject({ min: 2, p50: 2, max: 2 });
    const expert = expertSnapshot(false);
    expect(expert.bySeverity.error).toBe(1);
    expect(expert.groups[0]).toMatchObject({ key: 'bad-checksum', entries: [{ no: 108 }] });
  });

  it('write the DbgPrint text to the terminal as it comes, with CRLF line ends', async () => {
    await actions.clear();
    const seen: string[] = [];
    const off = onTerminalText((e) => seen.push('text' in e ? e.text : '<reset>'));
    await push([...call(200), ...call(206)]);
    off();
    expect(seen).toEqual(['print 200\r\nprint 206\r\n']);
    expect(terminalBacklog()).toBe('print 200\r\nprint 206\r\n');
    await actions.clear();
    expect(terminalBacklog()).toBe('');
  });

  it('log what the session did', () => {
    expect(logEntries().some((e) => e.text === 'kdscope UI started')).toBe(true);
  });

  it("log the engine's lines: those before the window attached, then as they come", async () => {
    const engineLines = (): string[] =>
      logEntries()
        .filter((e) => e.source === 'engine')
        .map((e) => `${e.level} ${e.text}`);
    await until(() => engineLines().length > 0, 'the engine log history');
    expect(engineLines()).toEqual(['warn target: the wire went quiet']);
    mock.emit('log', { time: T0 + 5, level: 'info', source: 'debugger process', message: 'hi' });
    await until(() => engineLines().length > 1, 'the log event');
    expect(engineLines()).toEqual([
      'warn target: the wire went quiet',
      'info debugger process: hi',
    ]);
  });

  it('stop listening once disposed', async () => {
    dispose();
    const before = viewCounters().packets;
    await push(call(300));
    expect(viewCounters().packets).toBe(before);
    dispose = setupPanes();
  });
});
