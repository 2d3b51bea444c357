// The engine facade the UI talks to (through electron/api): one live session at a time, its
// records streamed in batches to every connected window or browser, packet bytes on demand.

import { randomUUID } from 'node:crypto';
import {
  ZERO_COUNTERS,
  type Counters,
  type PacketBytes,
  type SessionInfo,
  type SessionState,
  type SessionStatus,
  type StartOptions,
} from '../api/contract';
import type { ConnectionHandlers, Emit } from '../api/server';
import type { Direction } from '../../protocol/kd/events';
import { batchToBytes, encodeBatch } from '../../protocol/records/columns';
import { SessionDecoder } from '../../protocol/session/pipeline';
import { PacketFlag, type PacketRecord } from '../../protocol/session/record';
import type { Recorder } from './recorder';
import { ByteLog } from './workbench-bytes';
import { defaultCapturesDir, openSessionCapture } from './workbench-captures';
import { packetFields } from './workbench-details';
import { PacketIndex } from './workbench-index';
import { BatchStore } from './workbench-store';
import { BatchStreamer } from './workbench-stream';
import { startSimSession, type SimSession } from './workbench-sim';
import type { SimFault } from './simulators';

export interface WorkbenchOptions {
  /** Folder each session's capture goes to (defaultCapturesDir() when not given). */
  readonly capturesDir?: string;
  /** Rows the engine keeps for the UI (older ones are only in the capture). */
  readonly capacityRows?: number;
  /** Rows per streamed batch at most. */
  readonly batchRows?: number;
  readonly now?: () => number;
  /** Every simulated session's target misbehaves this way (e2e tests of a bad wire). */
  readonly simFault?: SimFault;
}

const ERROR_FLAGS =
  PacketFlag.CHECKSUM_ERROR |
  PacketFlag.GARBAGE |
  PacketFlag.UNEXPECTED_ID |
  PacketFlag.ERROR_STATUS;
const COUNTERS_MS = 250;

export class WorkbenchError extends Error {
  override readonly name = 'WorkbenchError';
}

export const encodeRecords = (records: readonly PacketRecord[]): Uint8Array =>
  batchToBytes(encodeBatch(records));

export class Workbench {
  private readonly store: BatchStore;
  private readonly index: PacketIndex;
  private readonly logs: Record<Direction, ByteLog> = {
    'debugger->target': new ByteLog(),
    'target->debugger': new ByteLog(),
  };
  private readonly connections = new Set<{ emit: Emit; streamer: BatchStreamer }>();
  private readonly now: () => number;
  private readonly capturesDir: string;
  private readonly simFault: SimFault | undefined;
  private recorder: Recorder | null = null;
  private captureError: string | undefined;
  private state: SessionState = 'idle';
  private info: SessionInfo | null = null;
  /** Updated per packet, so mutable; copied out for status and the counters event. */
  private readonly tally: { -readonly [K in keyof Counters]: number } = { ...ZERO_COUNTERS };
  private failure: string | undefined;
  private sim: SimSession | null = null;
  private decoder: SessionDecoder | null = null;
  private flushTimer: ReturnType<typeof setInterval> | null = null;
  private countersTimer: ReturnType<typeof setInterval> | null = null;
  private rateWindow: { time: number; packets: number }[] = [];

  constructor(options: WorkbenchOptions = {}) {
    this.now = options.now ?? (() => performance.timeOrigin + performance.now());
    this.capturesDir = options.capturesDir ?? defaultCapturesDir();
    this.simFault = options.simFault;
    this.index = new PacketIndex(options.capacityRows);
    this.store = new BatchStore({
      encode: encodeRecords,
      ...(options.capacityRows ? { capacityRows: options.capacityRows } : {}),
      ...(options.batchRows ? { maxRows: options.batchRows } : {}),
    });
  }

  status(): SessionStatus {
    return {
      state: this.state,
      info: this.info,
      counters: { ...this.tally },
      ...(this.failure ? { error: this.failure } : {}),
      ...(this.captureError ? { captureError: this.captureError } : {}),
    };
  }

  start(options: StartOptions): SessionInfo {
    if (this.state === 'running')
      throw new WorkbenchError('a session is already running; stop it first');
    this.resetData();
    const startedAt = Date.now();
    const capture = openSessionCapture(this.capturesDir, new Date(startedAt));
    const recorder = capture.recorder ?? null;
    recorder?.bind({
      report: (message) =>
        this.onCaptureTrouble(
          recorder.failure === undefined
            ? message
            : `recording stopped after ${recorder.frames} frames (the session goes on): ${recorder.failure}`,
        ),
    });
    this.recorder = recorder;
    this.captureError = capture.error;
    const info: SessionInfo = {
      id: randomUUID(),
      target: options.target,
      startedAt,
      debuggerCommand: 'built-in scripted debugger attached to the simulated target',
      ...(recorder ? { capture: recorder.label } : {}),
    };
    this.info = info;
    this.state = 'running';
    this.failure = undefined;
    const decoder = new SessionDecoder({
      onRecord: (record) => this.onRecord(record),
      onUpdate: (record) => this.store.update(record),
    });
    this.decoder = decoder;
    this.sim = startSimSession({
      ...(options.rate === undefined ? {} : { rate: options.rate }),
      ...(this.simFault ? { fault: this.simFault } : {}),
      onBytes: (dir, bytes) => {
        const time = this.now();
        if (recorder?.recording) {
          recorder.write([{ dir, timeUs: Math.round(time * 1000), bytes, delivered: true }]);
          this.tally.frames = recorder.frames;
        }
        this.logs[dir].append(bytes);
        this.tally.bytes += bytes.length;
        decoder.push(dir, bytes, time);
      },
      onEnd: (report) =>
        this.finish(report.ok ? undefined : (report.error ?? 'the session failed')),
    });
    // A break-in byte or a noise run ends only when the next byte comes; report it when idle.
    this.flushTimer = setInterval(() => decoder.flush(this.now()), 100);
    this.countersTimer = setInterval(
      () => this.broadcast('counters', this.updateRate()),
      COUNTERS_MS,
    );
    this.broadcast('session.state', this.status());
    return info;
  }

  stop(): void {
    this.finish(undefined);
  }

  private finish(failure: string | undefined): void {
    if (this.state !== 'running') return;
    this.halt();
    this.decoder?.end(this.now());
    this.decoder = null;
    this.state = failure === undefined ? 'stopped' : 'failed';
    this.failure = failure;
    this.store.seal();
    this.broadcast('counters', this.updateRate());
    this.broadcast('session.state', this.status());
  }

  bytes(no: number): PacketBytes | null {
    const at = this.index.get(no);
    if (!at) return null;
    const bytes = this.logs[at.dir].read(at.offset, at.length);
    if (!bytes) return null;
    return { no, dir: at.dir, bytes, fields: packetFields(bytes) };
  }

  /** Rows decoded elsewhere (a capture import, the UI bench) into the live view. */
  ingestRecords(records: readonly PacketRecord[]): void {
    for (const record of records) this.onRecord(record);
  }

  /** The operations for one UI connection; dispose() when it goes away. */
  connect(emit: Emit): ConnectionHandlers {
    const streamer = new BatchStreamer(this.store, (event) => emit('records', event));
    const connection = { emit, streamer };
    this.connections.add(connection);
    return {
      'session.start': async (o) => this.start(o),
      'session.stop': async () => this.stop(),
      'session.status': async () => this.status(),
      'packets.bytes': async (no) => this.bytes(no),
      'stream.ready': async (o) => streamer.ready(o.window),
      'stream.ack': async (seq) => streamer.ack(seq),
      'view.clear': async () => {
        this.store.seal();
        streamer.skipToHead();
      },
      dispose: () => {
        streamer.dispose();
        this.connections.delete(connection);
      },
    };
  }

  dispose(): void {
    this.halt();
    this.store.dispose();
    for (const c of this.connections) c.streamer.dispose();
    this.connections.clear();
  }

  private halt(): void {
    this.sim?.stop();
    this.sim = null;
    this.recorder?.close();
    this.recorder = null;
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.countersTimer) clearInterval(this.countersTimer);
    this.flushTimer = null;
    this.countersTimer = null;
  }

  private resetData(): void {
    this.store.clear();
    this.index.clear();
    for (const log of Object.values(this.logs)) log.clear();
    Object.assign(this.tally, ZERO_COUNTERS);
    this.rateWindow = [];
    for (const c of this.connections) c.streamer.restart();
  }

  /** The recorder stopped (disk full, folder gone): say so; the session goes on. */
  private onCaptureTrouble(message: string): void {
    this.captureError = message;
    this.broadcast('session.state', this.status());
  }

  private onRecord(record: PacketRecord): void {
    this.index.set(record.no, record.dir, record.offset, record.length);
    this.store.add(record);
    const t = this.tally;
    t.packets++;
    if (record.flags & ERROR_FLAGS) t.errors++;
    if (record.flags & PacketFlag.RETRANSMIT) t.retransmits++;
    if (record.kind === 'breakin') t.breakins++;
  }

  private updateRate(): Counters {
    const t = this.now();
    this.rateWindow.push({ time: t, packets: this.tally.packets });
    while (this.rateWindow.length > 2 && t - this.rateWindow[0]!.time > 1000)
      this.rateWindow.shift();
    const first = this.rateWindow[0]!;
    const dt = (t - first.time) / 1000;
    const rate = dt > 0 ? Math.round((this.tally.packets - first.packets) / dt) : 0;
    this.tally.rate = this.state === 'running' ? rate : 0;
    return { ...this.tally };
  }

  private broadcast<E extends 'counters' | 'session.state'>(
    name: E,
    data: E extends 'counters' ? Counters : SessionStatus,
  ): void {
    for (const c of this.connections) c.emit(name, data as never);
  }
}
