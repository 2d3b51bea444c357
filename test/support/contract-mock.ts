// A fresh fake engine per test that `implements` the contract, so it cannot drift from it,
// and a client connected to it through the real registry and message validation.

import {
  ZERO_COUNTERS,
  type CaptureRates,
  type Disposer,
  type ExportJob,
  type ExportRequest,
  type OpenCaptureRequest,
  type RecentCapture,
  type LinkSample,
  type LogLine,
  type PacketBytes,
  type Profile,
  type RecordsEvent,
  type RecordedCapture,
  type RowsPage,
  type RowsRequest,
  type SessionInfo,
  type SessionPlan,
  type SessionStatus,
  type StartOptions,
  type StreamInfo,
  type StreamReady,
  type VmList,
  type WorkbenchApi,
  type WorkbenchClient,
} from '../../electron/api/contract';
import { createClient } from '../../electron/api/contract-client';
import type { ClientMessage, ServerMessage } from '../../electron/api/contract-wire';
import { serveConnection, type Emit } from '../../electron/api/server';
import { encodeRecords } from '../../electron/engine/workbench/workbench';
import { batchToBytes, encodeBatch } from '../../protocol/records/columns';
import type { PacketRecord } from '../../protocol/session/record';
import { untilWithin } from './until';

export class MockWorkbench implements WorkbenchApi {
  readonly calls: { op: keyof WorkbenchApi; arg: unknown }[] = [];
  status: SessionStatus = { state: 'idle', info: null, counters: ZERO_COUNTERS };
  packets = new Map<number, PacketBytes>();
  acked: number[] = [];
  window = 0;
  /** What stream.ready answers: the rows the client keeps. */
  windowRows = 1_000_000;
  /** What packets.rows answers (the test sets it). */
  rows: (r: RowsRequest) => RowsPage = (r) => ({
    from: r.from,
    batch: batchToBytes(encodeBatch([])),
    missing: 'no capture in the mock',
  });
  emit: Emit = () => undefined;

  vms: VmList = { vms: [], problems: [] };
  profiles = new Map<string, Profile>();
  captures: RecordedCapture[] = [];

  'session.plan' = async (o: StartOptions): Promise<SessionPlan> => {
    this.calls.push({ op: 'session.plan', arg: o });
    return {
      debugger: o.debugger,
      target: o.target,
      mode: o.mode ?? 'com',
      debuggerCommands: [{ label: 'WinDbg', command: `windbg -k ${o.debugger}` }],
    };
  };
  'session.start' = async (o: StartOptions): Promise<SessionInfo> => {
    this.calls.push({ op: 'session.start', arg: o });
    const info: SessionInfo = {
      id: 'mock-1',
      debugger: o.debugger,
      target: o.target,
      mode: o.mode ?? 'com',
      startedAt: 0,
      debuggerCommand: 'windbg -k com:pipe,port=\\\\.\\pipe\\mock',
    };
    this.status = { state: 'running', info, counters: ZERO_COUNTERS };
    this.emit('session.state', this.status);
    return info;
  };
  'session.stop' = async (): Promise<void> => {
    this.calls.push({ op: 'session.stop', arg: undefined });
    this.status = { ...this.status, state: 'stopped' };
    this.emit('session.state', this.status);
  };
  'session.status' = async (): Promise<SessionStatus> => this.status;
  'vms.list' = async (): Promise<VmList> => this.vms;
  'profiles.list' = async (): Promise<Profile[]> => [...this.profiles.values()];
  'profiles.save' = async (p: Profile): Promise<void> => {
    this.calls.push({ op: 'profiles.save', arg: p });
    this.profiles.set(p.name, p);
  };
  'profiles.delete' = async (name: string): Promise<void> => {
    this.calls.push({ op: 'profiles.delete', arg: name });
    this.profiles.delete(name);
  };
  stats: LinkSample[] = [];
  'session.stats' = async (): Promise<LinkSample[]> => this.stats;
  log: LogLine[] = [];
  'engine.log' = async (): Promise<LogLine[]> => this.log;
  'captures.list' = async (): Promise<RecordedCapture[]> => this.captures;
  'packets.bytes' = async (no: number): Promise<PacketBytes | null> => {
    this.calls.push({ op: 'packets.bytes', arg: no });
    return this.packets.get(no) ?? null;
  };
  'packets.rows' = async (r: RowsRequest): Promise<RowsPage> => {
    this.calls.push({ op: 'packets.rows', arg: r });
    return this.rows(r);
  };
  'stream.ready' = async (o: StreamReady): Promise<StreamInfo> => {
    this.calls.push({ op: 'stream.ready', arg: o });
    this.window = o.window;
    return { windowRows: this.windowRows };
  };
  'stream.ack' = async (seq: number): Promise<void> => {
    this.acked.push(seq);
  };
  'view.clear' = async (): Promise<void> => {
    this.calls.push({ op: 'view.clear', arg: undefined });
  };
  recent: RecentCapture[] = [];
  selected: Uint8Array[] = [];
  'captures.open' = async (o: OpenCaptureRequest): Promise<SessionInfo> => {
    this.calls.push({ op: 'captures.open', arg: o });
    const info: SessionInfo = {
      id: 'mock-capture',
      debugger: '',
      target: '',
      mode: 'com',
      startedAt: 0,
      debuggerCommand: '',
      opened: {
        name: o.path ?? 'pair',
        path: o.path ?? o.debugger ?? '',
        format: 'pcap',
        compressed: false,
        bytes: 0,
        frames: 0,
      },
    };
    this.status = { state: 'stopped', info, counters: ZERO_COUNTERS };
    this.emit('session.state', this.status);
    return info;
  };
  'captures.recent' = async (): Promise<RecentCapture[]> => this.recent;
  rates: CaptureRates | null = null;
  'captures.rates' = async (): Promise<CaptureRates | null> => this.rates;
  'export.select' = async (part: Uint8Array): Promise<number> => {
    this.selected.push(part);
    return this.selected.length;
  };
  'export.start' = async (o: ExportRequest): Promise<ExportJob> => {
    this.calls.push({ op: 'export.start', arg: o });
    return { id: 'export-1' };
  };
  'export.cancel' = async (id: string): Promise<void> => {
    this.calls.push({ op: 'export.cancel', arg: id });
  };
  'dialog.openCapture' = async (): Promise<string | null> => null;
  'dialog.saveExport' = async (): Promise<string | null> => null;
}

/**
 * A client wired to `mock` through serveConnection over an in-memory, structured-clone pair;
 * `listeners()` counts the event listeners registered on it and not yet removed.
 */
export function connectMock(mock: MockWorkbench): {
  client: WorkbenchClient;
  close: Disposer;
  listeners(): number;
} {
  const toServer = new Set<(m: unknown) => void>();
  const toClient = new Set<(m: unknown) => void>();
  const closers = new Set<(reason: string) => void>();
  let closed = false;
  const close = (reason: string): void => {
    if (closed) return;
    closed = true;
    for (const c of closers) c(reason);
  };
  const deliver = (set: Set<(m: unknown) => void>, message: unknown): void => {
    const copy = structuredClone(message);
    queueMicrotask(() => {
      if (!closed) for (const l of set) l(copy);
    });
  };
  const stop = serveConnection(
    {
      send: (m: ServerMessage) => deliver(toClient, m),
      onMessage: (l) => (toServer.add(l), () => toServer.delete(l)),
      onClose: (l) => (closers.add(l), () => closers.delete(l)),
      close,
    },
    (emit) => {
      mock.emit = emit;
      return Object.assign(mock, { dispose: () => undefined });
    },
  );
  const inner = createClient({
    send: (m: ClientMessage) => deliver(toServer, m),
    onMessage: (l) => (toClient.add(l), () => toClient.delete(l)),
    onClose: (l) => (closers.add(l), () => closers.delete(l)),
    close: () => close('client closed'),
  });
  let listeners = 0;
  const client: WorkbenchClient = {
    ...inner,
    on(name, listener) {
      const off = inner.on(name, listener);
      let live = true;
      listeners++;
      return () => {
        if (live) listeners--;
        live = false;
        off();
      };
    },
  };
  return {
    client,
    close: () => {
      client.dispose();
      stop();
    },
    listeners: () => listeners,
  };
}

const until = untilWithin(10_000, 5);

/**
 * Emits a records batch from `mock` and waits until the renderer's store has applied it (it
 * acknowledged the batch) and published a revision after it (`revision` reads the store's): the
 * store redraws on a timer, at most every 50 ms.
 */
export async function emitRecords(
  mock: MockWorkbench,
  event: RecordsEvent,
  revision: () => number,
): Promise<void> {
  const before = revision();
  mock.emit('records', event);
  await until(
    () => mock.acked.includes(event.seq) && revision() > before,
    `the store to apply and draw batch ${event.seq}`,
  );
}

/** An ACK record numbered `no` (the smallest record a batch carries), with `more` over it. */
export const ackRecord = (no: number, more: Partial<PacketRecord> = {}): PacketRecord => ({
  no,
  time: no,
  dir: 'target->debugger',
  kind: 'packet',
  offset: no * 16,
  length: 16,
  leader: 'control',
  type: 4,
  typeName: 'ACKNOWLEDGE',
  id: 0x80800000,
  flags: 0,
  ...more,
});

/** Records event `seq` carrying `records` (consecutive), `skipped` rows before them. */
export const recordsEvent = (
  seq: number,
  records: readonly PacketRecord[],
  skipped = 0,
  updates?: readonly PacketRecord[],
): RecordsEvent => ({
  seq,
  firstNo: records[0]?.no ?? 0,
  count: records.length,
  skipped,
  batch: encodeRecords(records),
  ...(updates ? { updates: encodeRecords(updates) } : {}),
});

/** Records event `seq` carrying ACK records numbered `nos` (consecutive). */
export const ackBatch = (seq: number, nos: readonly number[]): RecordsEvent =>
  recordsEvent(
    seq,
    nos.map((no) => ackRecord(no)),
  );
