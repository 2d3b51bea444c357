// The link graphs' store fed by the renderer's store from a mock engine through the real
// messages: the engine's history is loaded when a window attaches and merged with the samples
// that arrive meanwhile; samples stay after Stop, the session's final one drawn by the time the
// window says stopped; Clear and a new session forget them; a window
// that reconnects loads them again (what was cleared stays cleared); rows without link samples
// are tallied per second for the opened-capture view; an opened capture's series comes from
// the engine (captures.rates), fetched as it is read and once it was, shown whole at first.

import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  ZERO_COUNTERS,
  type CaptureRates,
  type LinkSample,
  type SessionStatus,
} from '../../electron/api/contract';
import { encodeRecords } from '../../electron/engine/workbench/workbench';
import type { PacketRecord } from '../../protocol/session/record';
import { MockWorkbench, ackRecord, connectMock, emitRecords } from '../support/contract-mock';
import { untilWithin } from '../support/until';

vi.stubGlobal('requestAnimationFrame', (cb: (t: number) => void) => setTimeout(() => cb(0), 0));
const { actions, attach, useWorkbench } = await import('../../renderer/store/workbench');
const {
  setupLinkGraphs,
  linkSamples,
  rowRateSamples,
  useLinkGraphs,
  captureRates,
  linkGraphs,
  WHOLE_CAPTURE,
  GRAPH_WINDOWS,
} = await import('../../renderer/store/link-graphs');

const until = untilWithin(10_000, 5);
const revision = (): number => useWorkbench.getState().revision;
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

const dir = (packets: number) => ({
  packets,
  bytes: packets * 20,
  droppedBytes: 0,
  queuedBytes: 0,
  paused: false,
});
const sample = (time: number): LinkSample => ({
  time,
  'debugger->target': dir(time - T0),
  'target->debugger': dir(time - T0),
});
const T0 = Date.now() - 60_000;
/** The session's last sample, taken once it closed. */
const final = (time: number): LinkSample => ({ ...sample(time), final: true });
const status = (id: string, state: SessionStatus['state']): SessionStatus => ({
  state,
  info: { id, debugger: 'sim', target: 'sim', mode: 'com', startedAt: T0, debuggerCommand: 'x' },
  counters: ZERO_COUNTERS,
});

const times = (): number[] => linkSamples().map((s) => s.time);

describe('the link graphs store', () => {
  const mock = new MockWorkbench();
  mock.status = status('s1', 'running');
  mock.stats = [sample(T0 + 250), sample(T0 + 500), sample(T0 + 750)];
  let one: ReturnType<typeof connectMock>;
  let two: ReturnType<typeof connectMock>;

  it('loads the history on attach and follows the stats events without doubles', async () => {
    cleanups.push(setupLinkGraphs());
    one = connectMock(mock);
    cleanups.push(one.close);
    await attach(one.client);
    await until(() => linkSamples().length === 3, 'the history loaded');
    // An event the history already held, then new ones.
    mock.emit('stats', sample(T0 + 750));
    mock.emit('stats', sample(T0 + 1000));
    mock.emit('stats', sample(T0 + 1250));
    await until(() => linkSamples().length === 5, 'two new samples');
    expect(times()).toEqual([250, 500, 750, 1000, 1250].map((t) => T0 + t));
    // The pane is told, at a human pace.
    await until(() => useLinkGraphs.getState().samples === 5, 'the pane told of 5 samples');
  });

  it('keeps them after Stop, the final sample drawn by the time the window says stopped', async () => {
    // The engine's order: the sample taken once the session closed, then the state.
    mock.stats = [...mock.stats, sample(T0 + 1000), sample(T0 + 1250), final(T0 + 1300)];
    expect(useLinkGraphs.getState().ended).toBe(false);
    mock.emit('stats', final(T0 + 1300));
    mock.status = status('s1', 'stopped');
    mock.emit('session.state', mock.status);
    await until(() => useWorkbench.getState().session.state === 'stopped', 'stopped');
    expect(linkSamples()).toHaveLength(6);
    // Not 250 ms later: a check right after "stopped" sees the whole session.
    expect(useLinkGraphs.getState()).toMatchObject({ samples: 6, ended: true });
  });

  it('reloads them in a window that reconnects, and Clear forgets them for good', async () => {
    two = connectMock(mock);
    cleanups.push(two.close);
    await attach(two.client);
    await until(() => useWorkbench.getState().connection === 'open', 'open');
    // The rows start over; the engine's samples are the same and stay.
    await until(() => linkSamples().length === 6, 'the history reloaded');
    // Drawn whole at once, and known to be whole.
    expect(useLinkGraphs.getState()).toMatchObject({ samples: 6, ended: true });
    await actions.clear();
    expect(linkSamples()).toHaveLength(0);
    expect(useLinkGraphs.getState().ended).toBe(false);
    mock.emit('stats', sample(Date.now() + 10));
    await until(() => linkSamples().length === 1, 'a sample after Clear');
    // Another reconnect: the engine still holds the old samples, this window cleared them.
    mock.stats = [...mock.stats, ...linkSamples()];
    const three = connectMock(mock);
    cleanups.push(three.close);
    await attach(three.client);
    await until(() => useWorkbench.getState().connection === 'open', 'open again');
    // A sample after the reload is taken once the history is in (it waits for it).
    const after = linkSamples()[0]!.time;
    mock.emit('stats', sample(Date.now() + 30));
    await until(() => linkSamples().length >= 2, 'the reload and one more sample');
    expect(times()[0]).toBe(after);
    expect(linkSamples()).toHaveLength(2);
    // The clients replaced keep no listener of ours (nor of the store's).
    expect(one.listeners()).toBe(0);
    expect(two.listeners()).toBe(0);
  });

  it('forgets them when a new session starts', async () => {
    mock.status = status('s2', 'running');
    mock.emit('session.state', mock.status);
    await until(() => linkSamples().length === 0, 'the graphs to start over');
    mock.emit('stats', sample(Date.now() + 20));
    await until(() => linkSamples().length === 1, 'the new session first sample');
  });

  it('tallies rows per second of their own time (for a view without link samples)', async () => {
    await actions.clear();
    const rec = (no: number, time: number, dir: PacketRecord['dir']): PacketRecord =>
      ackRecord(no, { time, dir, offset: 0 });
    const base = Math.floor(T0 / 1000) * 1000;
    const records = [
      rec(1, base + 100, 'debugger->target'),
      rec(2, base + 200, 'target->debugger'),
      rec(3, base + 1100, 'debugger->target'),
      rec(4, base + 2500, 'debugger->target'),
    ];
    await emitRecords(
      mock,
      { seq: 1, firstNo: 1, count: 4, skipped: 0, batch: encodeRecords(records) },
      revision,
    );
    const samples = rowRateSamples();
    expect(samples.map((s) => s.time)).toEqual([base, base + 1000, base + 2000, base + 3000]);
    expect(samples.map((s) => s['debugger->target'].packets)).toEqual([0, 1, 2, 3]);
    expect(samples.map((s) => s['target->debugger'].bytes)).toEqual([0, 16, 16, 16]);
    // The second still filling is not drawn yet.
    expect(rowRateSamples(base + 2500)).toHaveLength(3);
  });

  it("fetches an opened capture's series as it is read and once it was; whole first", async () => {
    const opened = (state: SessionStatus['state']): SessionStatus => ({
      ...status('c1', state),
      info: {
        ...status('c1', state).info!,
        opened: {
          name: 'gap.pcap',
          path: '/x/gap.pcap',
          format: 'pcap',
          compressed: false,
          bytes: 1,
          frames: 0,
        },
      },
    });
    const bins = (packets: number[], complete: boolean): CaptureRates => ({
      start: 10_000,
      binMs: 10_000,
      first: 10_500,
      last: 10_000 * packets.length + 9000,
      'debugger->target': { packets, bytes: packets.map((p) => p * 10) },
      'target->debugger': { packets, bytes: packets },
      complete,
    });
    linkGraphs.setWindow(GRAPH_WINDOWS[0]);
    // No capture yet: the whole span is not offered.
    linkGraphs.setWindow(WHOLE_CAPTURE);
    expect(useLinkGraphs.getState().windowMs).toBe(GRAPH_WINDOWS[0]);
    mock.rates = bins([1, 0], false);
    mock.status = opened('running');
    mock.emit('session.state', mock.status);
    await until(() => captureRates()?.complete === false, 'the series so far');
    expect(useLinkGraphs.getState()).toMatchObject({
      hasCaptureRates: true,
      windowMs: WHOLE_CAPTURE,
    });
    // While it is read, the counters event brings the series again (at most once a second).
    mock.rates = bins([1, 0, 3], false);
    mock.emit('counters', ZERO_COUNTERS);
    await until(() => captureRates()?.['debugger->target'].packets.length === 3, 'more bins');
    // The user's span stays as the series grows and once it is whole.
    linkGraphs.setWindow(GRAPH_WINDOWS[1]);
    mock.rates = bins([1, 0, 3, 0, 0, 7], true);
    mock.status = opened('stopped');
    mock.emit('session.state', mock.status);
    await until(() => captureRates()?.complete === true, 'the whole series');
    expect(captureRates()!['debugger->target'].packets).toEqual([1, 0, 3, 0, 0, 7]);
    expect(useLinkGraphs.getState().windowMs).toBe(GRAPH_WINDOWS[1]);
    linkGraphs.setWindow(WHOLE_CAPTURE);
    expect(useLinkGraphs.getState().windowMs).toBe(WHOLE_CAPTURE);
    // A live session has none: the whole span goes back to a span of minutes.
    mock.rates = null;
    mock.status = status('s3', 'running');
    mock.emit('session.state', mock.status);
    await until(() => !useLinkGraphs.getState().hasCaptureRates, 'the series forgotten');
    expect(captureRates()).toBeNull();
    expect(useLinkGraphs.getState().windowMs).not.toBe(WHOLE_CAPTURE);
  });
});
