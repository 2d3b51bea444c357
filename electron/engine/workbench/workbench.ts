// The engine facade the UI talks to (through electron/api): one live session at a time — the
// same LiveSession `kdscope bridge` runs — its records streamed in batches to every connected
// window or browser, packet bytes on demand, the VMs to attach to, profiles and captures.

import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import {
  ENGINE_LOG_KEEP,
  MAX_ROWS_REQUEST,
  OPEN_ERRORS,
  ZERO_COUNTERS,
  type CaptureFormat,
  type CaptureRates,
  type Counters,
  type ExportJob,
  type ExportProgress,
  type ExportRequest,
  type OpenCaptureRequest,
  type LogLine,
  type PacketBytes,
  type PeerStatus,
  type RowsPage,
  type RowsRequest,
  type SessionInfo,
  type SessionPlan,
  type SessionState,
  type SessionStatus,
  type Side,
  type StartOptions,
  type VmList,
  type WorkbenchEvents,
} from '../../api/contract';
import type { Direction } from '../../../protocol/kd/events';
import type { ConnectionHandlers, Emit } from '../../api/server';
import { CaptureWriteError } from '../../capture/capture-error';
import { batchToBytes, encodeBatch } from '../../../protocol/records/columns';
import { PacketFlag, type PacketRecord } from '../../../protocol/session/record';
import type { BridgeEvent } from '../bridge/types';
import { formatEndpoint } from '../endpoint';
import { ProfileStore } from '../profiles/profile-store';
import { debuggerCommands, primaryDebuggerCommand } from '../session/debugger-commands';
import {
  CommandLineError,
  Launcher,
  defaultLaunchCommand,
  maskSecrets,
  type DefaultLaunchSeams,
  type SpawnFn,
} from '../session/launcher';
import type { RecordsPage } from '../session/capture-pager';
import { LiveSession } from '../session/live-session';
import { SessionOptionError, resolveSession, type ResolvedSession } from '../session/plan';
import type { SimFault } from '../simulators/faults';
import { listVms as defaultListVms, type VmListing } from '../vms';
import { BatchStore } from './batch-store';
import { BatchStreamer } from './batch-streamer';
import {
  defaultCapturesDir,
  ensureCapturesDir,
  listCaptures,
  sessionCapturePath,
} from './captures-dir';
import { LinkHistory, SAMPLE_MS } from './link-history';
import { packetFields } from './packet-fields';
import {
  CaptureOpenError,
  CaptureReading,
  openForView,
  openedInfo,
  sourceSpec,
} from './capture-reading';
import { ExportError, ExportJobs, type ExportSource } from './export-jobs';
import { RecentCaptures } from './recent-captures';
import { openCapture } from '../../capture/capture-source';
import {
  decodeNoRanges,
  normalizeNoRanges,
  type NoRange,
} from '../../../protocol/records/no-ranges';
import { basename, join } from 'node:path';

export interface WorkbenchOptions {
  /** Folder each session's capture goes to (defaultCapturesDir() when not given). */
  readonly capturesDir?: string;
  /** A session's capture stops growing at this size (default 1 GiB). */
  readonly captureLimitBytes?: number;
  /** Rows the engine keeps for the UI (older ones are only in the capture). */
  readonly capacityRows?: number;
  /**
   * Rows a window keeps in memory (default 1 M): older ones it asks for with packets.rows,
   * read back from the capture.
   */
  readonly viewRows?: number;
  /** Records between the capture index's checkpoints (tests make it small). */
  readonly checkpointRecords?: number;
  /** Rows per streamed batch at most. */
  readonly batchRows?: number;
  readonly now?: () => number;
  /** Seams: where profiles are kept, how VMs are listed. */
  readonly profiles?: ProfileStore;
  readonly listVms?: (signal?: AbortSignal) => Promise<VmListing>;
  /** The recently opened captures' list (default: a file in the captures folder). */
  readonly recentFile?: string;
  /** Where web-mode exports wait to be downloaded (default: a temp folder). */
  readonly exportsDir?: string;
  /** Awaited before each slice of an export (tests hold an export there to cancel it). */
  readonly beforeExportSlice?: () => Promise<void>;
  /** Every simulated target misbehaves this way (e2e tests of a bad wire). */
  readonly simFault?: SimFault;
  /** "Start debugger": how `kdscope` is run, the platform and WinDbg's whereabouts, spawning. */
  readonly launch?: DefaultLaunchSeams & {
    readonly kdscope?: readonly string[];
    readonly spawn?: SpawnFn;
  };
}

/** The desktop app's file dialogs, per window (web mode has none: the page uploads). */
export interface FileDialogs {
  openCapture(title: string): Promise<string | null>;
  saveExport(name: string, format: CaptureFormat): Promise<string | null>;
}

/** Rows staged for one export at most (a filtered view of the engine's whole store, and then some). */
const MAX_SELECTION_RANGES = 4_000_000;

export const DEFAULT_CAPTURE_LIMIT = 1024 ** 3;
export const DEFAULT_VIEW_ROWS = 1_000_000;

const ERROR_FLAGS =
  PacketFlag.CHECKSUM_ERROR |
  PacketFlag.GARBAGE |
  PacketFlag.UNEXPECTED_ID |
  PacketFlag.ERROR_STATUS;
const SIDES: readonly Side[] = ['debugger', 'target'];

export class WorkbenchError extends Error {
  override readonly name = 'WorkbenchError';
}

export const encodeRecords = (records: readonly PacketRecord[]): Uint8Array =>
  batchToBytes(encodeBatch(records));

export class Workbench {
  private readonly store: BatchStore;
  private readonly connections = new Set<{ emit: Emit; streamer: BatchStreamer }>();
  private readonly now: () => number;
  private readonly capturesDir: string;
  private readonly captureLimit: number;
  private readonly profiles: ProfileStore;
  private readonly listVms: (signal?: AbortSignal) => Promise<VmListing>;
  private readonly simFault: SimFault | undefined;
  private readonly viewRows: number;
  private readonly checkpointRecords: number | undefined;
  private session: LiveSession | null = null;
  /** Set while a start is under way, so a second start is refused at once. */
  private starting = false;
  private captureError: string | undefined;
  private state: SessionState = 'idle';
  private info: SessionInfo | null = null;
  /** Updated per packet, so mutable; copied out for status and the counters event. */
  private readonly tally: { -readonly [K in keyof Counters]: number } = { ...ZERO_COUNTERS };
  private failure: string | undefined;
  private warning: string | undefined;
  /** The last failure to reach a side (connect refused, pipe busy): its state while it lasts. */
  private readonly sideErrors: Partial<Record<Side, string>> = {};
  /** The error a side's connection ended with (a reset): detail, the side is just gone. */
  private readonly lostWith: Partial<Record<Side, string>> = {};
  private countersTimer: ReturnType<typeof setInterval> | null = null;
  private rateWindow: { time: number; packets: number }[] = [];
  private readonly history = new LinkHistory();
  /** The log's last lines, for a window that attaches later. */
  private readonly logLines: LogLine[] = [];
  private readonly packetsByDir: Record<Direction, number> = {
    'debugger->target': 0,
    'target->debugger': 0,
  };
  private offBridge: (() => void) | null = null;
  /** The capture file the view shows instead of a live session, while it is the source. */
  private reading: CaptureReading | null = null;
  private opening = false;
  private readonly exports: ExportJobs;
  private readonly recent: RecentCaptures;
  /** The debugger process this session started ("start debugger"), if any. */
  private launcher: Launcher | null = null;
  private readonly launchSeams: NonNullable<WorkbenchOptions['launch']>;

  constructor(options: WorkbenchOptions = {}) {
    this.now = options.now ?? (() => performance.timeOrigin + performance.now());
    this.capturesDir = options.capturesDir ?? defaultCapturesDir();
    this.captureLimit = options.captureLimitBytes ?? DEFAULT_CAPTURE_LIMIT;
    this.profiles = options.profiles ?? new ProfileStore();
    this.listVms = options.listVms ?? ((signal) => defaultListVms(undefined, signal));
    this.exports = new ExportJobs(options.exportsDir, options.beforeExportSlice);
    this.recent = new RecentCaptures(
      options.recentFile ?? join(this.capturesDir, '.recent-captures.json'),
    );
    this.simFault = options.simFault;
    this.viewRows = options.viewRows ?? DEFAULT_VIEW_ROWS;
    this.checkpointRecords = options.checkpointRecords;
    this.launchSeams = options.launch ?? {};
    this.store = new BatchStore({
      encode: encodeRecords,
      ...(options.capacityRows ? { capacityRows: options.capacityRows } : {}),
      ...(options.batchRows ? { maxRows: options.batchRows } : {}),
    });
  }

  /** The folder sessions record to (what captures.list lists). */
  get capturesFolder(): string {
    return this.capturesDir;
  }

  status(): SessionStatus {
    return {
      state: this.state,
      info: this.info,
      counters: { ...this.tally },
      ...(this.session ? { peers: this.peers(this.session) } : {}),
      ...(this.launcher ? { launched: this.launcher.status() } : {}),
      ...(this.failure ? { error: this.failure } : {}),
      ...(this.warning ? { warning: this.warning } : {}),
      ...(this.captureError ? { captureError: this.captureError } : {}),
    };
  }

  /** What starting with these options would do; a problem is an answer, not an error. */
  plan(options: StartOptions): SessionPlan {
    let resolved: ResolvedSession;
    try {
      resolved = resolveSession(options);
    } catch (error) {
      if (!(error instanceof SessionOptionError)) throw error;
      return {
        debugger: options.debugger,
        target: options.target,
        mode: options.mode ?? 'com',
        debuggerCommands: [],
        problem: error.message,
      };
    }
    const launch = defaultLaunchCommand(resolved.debugger, resolved.mode, this.launchSeams);
    return {
      debugger: formatEndpoint(resolved.debugger),
      target: formatEndpoint(resolved.target),
      mode: resolved.mode,
      debuggerCommands: debuggerCommands(resolved.debugger, resolved.mode),
      ...(launch ? { defaultLaunch: launch } : {}),
    };
  }

  async start(options: StartOptions): Promise<SessionInfo> {
    if (this.state === 'running' || this.starting || this.opening)
      throw new WorkbenchError('a session is already running; stop it first');
    let resolved: ResolvedSession;
    try {
      resolved = resolveSession(options);
    } catch (error) {
      if (error instanceof SessionOptionError) throw new WorkbenchError(error.message);
      throw error;
    }
    if (options.launch !== undefined) {
      if (resolved.debugger.kind === 'sim')
        throw new WorkbenchError(
          'start debugger: the built-in scripted debugger runs in process; choose an endpoint for the debugger',
        );
      try {
        Launcher.check(options.launch);
      } catch (error) {
        if (error instanceof CommandLineError) throw new WorkbenchError(error.message);
        throw error;
      }
    }
    this.starting = true;
    try {
      return await this.startResolved(options, resolved);
    } finally {
      this.starting = false;
    }
  }

  private async startResolved(
    options: StartOptions,
    resolved: ResolvedSession,
  ): Promise<SessionInfo> {
    const startedAt = Date.now();
    const format = options.captureFormat ?? 'pcap';
    const dir = options.captureDir ?? this.capturesDir;
    const dirProblem = options.captureDir === undefined ? undefined : ensureCapturesDir(dir);
    const capturePath = dirProblem
      ? undefined
      : sessionCapturePath(dir, new Date(startedAt), format);
    let session: LiveSession;
    let captureError = dirProblem && `not recording: ${dirProblem}`;
    const startSession = (withCapture: boolean): Promise<LiveSession> =>
      LiveSession.start({
        resolved,
        keepBytes: true,
        ...(this.checkpointRecords ? { checkpointRecords: this.checkpointRecords } : {}),
        ...(withCapture && capturePath
          ? { capture: { path: capturePath, format, limitBytes: this.captureLimit } }
          : {}),
        ...(options.rate === undefined ? {} : { rate: options.rate }),
        ...(this.simFault ? { simTarget: { fault: this.simFault } } : {}),
        report: (line) => this.onLinkWarning(resolved.mode, line),
        onScriptEnd: (report) => {
          if (this.session === session)
            void this.finish(report.ok ? undefined : (report.error ?? 'the session failed'));
        },
      });
    try {
      session = await startSession(true);
    } catch (error) {
      const message = (error as Error).message;
      // The capture could not be created (folder gone, unwritable): the session goes on without.
      if (!(error instanceof CaptureWriteError)) throw new WorkbenchError(message);
      captureError = `not recording: ${message}`;
      try {
        session = await startSession(false);
      } catch (second) {
        throw new WorkbenchError((second as Error).message);
      }
    }
    this.dropReading();
    this.resetData();
    this.session = session;
    this.captureError = captureError;
    const info: SessionInfo = {
      id: randomUUID(),
      debugger: formatEndpoint(resolved.debugger),
      target: formatEndpoint(resolved.target),
      mode: resolved.mode,
      startedAt,
      debuggerCommand: primaryDebuggerCommand(resolved.debugger, resolved.mode),
      ...(session.recorder
        ? { capture: session.recorder.label, captureLimitBytes: this.captureLimit }
        : {}),
      ...(options.profile ? { profile: options.profile } : {}),
    };
    this.info = info;
    this.state = 'running';
    this.failure = undefined;
    this.warning = undefined;
    for (const side of SIDES) {
      delete this.sideErrors[side];
      delete this.lostWith[side];
    }
    this.offBridge = session.bridge.subscribe((event) => this.onBridgeEvent(event));
    this.countersTimer = setInterval(() => this.onSampleTick(session), SAMPLE_MS);
    this.launcher = null;
    this.log(
      'info',
      'session',
      `session started: debugger ${info.debugger}, target ${info.target}`,
    );
    if (options.launch !== undefined) this.launch(options.launch, session);
    this.broadcast('session.state', this.status());
    return info;
  }

  async stop(): Promise<void> {
    // Stop while a capture streams in: what was read stays in the view.
    if (this.reading && this.state === 'running') this.reading.cancel();
    await this.finish(undefined);
  }

  private async finish(failure: string | undefined): Promise<void> {
    const session = this.session;
    if (this.state !== 'running' || !session) return;
    // The state changes at once (the UI stops offering Stop); closing may take a moment.
    this.state = failure === undefined ? 'stopped' : 'failed';
    this.failure = failure;
    if (this.countersTimer) clearInterval(this.countersTimer);
    this.countersTimer = null;
    // The debugger first: it would only report the bridge going away.
    await this.launcher?.stop();
    await session.close();
    this.offBridge?.();
    this.offBridge = null;
    this.tally.frames = session.recorder?.frames ?? 0;
    this.store.seal();
    this.log(
      failure === undefined ? 'info' : 'error',
      'session',
      failure === undefined ? 'session stopped' : `session failed: ${failure}`,
    );
    this.onSampleTick(session, true);
    this.broadcast('session.state', this.status());
  }

  private onSampleTick(session: LiveSession, final = false): void {
    this.broadcast('counters', this.updateRate());
    this.broadcast('stats', this.history.sample(session, this.packetsByDir, final));
  }

  bytes(no: number): PacketBytes | null {
    const session = this.session;
    // Recent packets from the decoder's copy of the streams, older ones from the capture;
    // an opened capture's from its reading.
    const found =
      session?.decoder.recordBytes(no) ?? session?.pager?.bytes(no) ?? this.reading?.bytesOf(no);
    if (!found) return null;
    return {
      no,
      dir: found.location.dir,
      bytes: found.bytes,
      fields: packetFields(found.bytes, found.location.dir),
    };
  }

  /** Rows [from, from + count) as streamed, read back from the session's capture. */
  rows(request: RowsRequest): RowsPage {
    const { from } = request;
    const count = Math.min(request.count, MAX_ROWS_REQUEST);
    const session = this.session;
    if (!session) {
      // An opened capture streams every row once; the view keeps its last viewRows of them
      // and, when the file was indexed as it was read, older ones are decoded again from it.
      const reading = this.reading;
      const pager = reading?.pager;
      if (pager) return pageOf(from, pager.read(from, count));
      const missing = reading
        ? `rows older than the view's last ${this.viewRows} are not read back from this capture: ${reading.unpageable ?? 'it is not indexed'}`
        : 'no session';
      return { from, batch: encodeRecords([]), missing };
    }
    if (!session.pager) {
      return {
        from,
        batch: encodeRecords([]),
        missing: `older rows cannot be shown: ${session.unpageable ?? 'the session is not recorded'}`,
      };
    }
    return pageOf(from, session.pager.read(from, count));
  }

  /** Rows decoded elsewhere (the UI bench) into the live view. */
  ingestRecords(records: readonly PacketRecord[]): void {
    for (const record of records) this.onRecord(record);
  }

  async vms(): Promise<VmList> {
    const listing = await this.listVms();
    return {
      vms: listing.vms,
      problems: [...listing.problems].map(([provider, problem]) => ({ provider, problem })),
      host: { platform: this.launchSeams.platform ?? process.platform, tempDir: tmpdir() },
    };
  }

  /** The operations for one UI connection; dispose() when it goes away. */
  connect(emit: Emit, extras: { readonly dialogs?: FileDialogs } = {}): ConnectionHandlers {
    const streamer = new BatchStreamer(this.store, (event) => emit('records', event));
    const connection = { emit, streamer };
    this.connections.add(connection);
    /** Rows this connection staged for its next export (export.select). */
    let selection: NoRange[] = [];
    const dialogs = (): FileDialogs => {
      if (!extras.dialogs)
        throw new WorkbenchError("file dialogs are the desktop app's; the page uploads instead");
      return extras.dialogs;
    };
    return {
      'session.plan': async (o) => this.plan(o),
      'session.start': (o) => this.start(o),
      'session.stop': () => this.stop(),
      'session.status': async () => this.status(),
      'vms.list': () => this.vms(),
      'profiles.list': async () => this.profiles.list(),
      'profiles.save': async (p) => this.profiles.save(p),
      'profiles.delete': async (name) => this.profiles.delete(name),
      'session.stats': async () => this.history.all(),
      'engine.log': async () => [...this.logLines],
      'captures.list': async () =>
        listCaptures(this.capturesDir, this.state === 'running' ? this.info?.capture : undefined),
      'packets.bytes': async (no) => this.bytes(no),
      'packets.rows': async (r) => this.rows(r),
      'stream.ready': async (o) => {
        streamer.ready(o.window);
        return { windowRows: this.viewRows };
      },
      'stream.ack': async (seq) => streamer.ack(seq),
      'view.clear': async () => {
        this.store.seal();
        streamer.skipToHead();
      },
      'captures.open': (o) => this.open(o),
      'captures.recent': async () => this.recent.list(),
      'captures.rates': async () => this.captureRates(),
      'export.select': async (part) => {
        let ranges: NoRange[];
        try {
          ranges = decodeNoRanges(part);
        } catch (error) {
          throw new WorkbenchError(`bad selection: ${(error as Error).message}`);
        }
        if (selection.length + ranges.length > MAX_SELECTION_RANGES)
          throw new WorkbenchError('selection too large');
        for (const r of ranges) selection.push(r);
        return selection.reduce((n, [a, b]) => n + b - a + 1, 0);
      },
      'export.start': async (o) => {
        const ranges = o.packets === 'selected' ? normalizeNoRanges(selection) : undefined;
        selection = [];
        return this.startExport(o, ranges, (p) => emit('export', p));
      },
      'export.cancel': async (id) => this.exports.cancel(id),
      'dialog.openCapture': (o) => dialogs().openCapture(o.title),
      'dialog.saveExport': (o) => dialogs().saveExport(o.name, o.format),
      dispose: () => {
        streamer.dispose();
        this.connections.delete(connection);
      },
    };
  }

  async dispose(): Promise<void> {
    if (this.countersTimer) clearInterval(this.countersTimer);
    this.countersTimer = null;
    this.dropReading();
    await this.exports.dispose();
    const session = this.session;
    this.session = null;
    this.offBridge?.();
    await this.launcher?.stop();
    await session?.close();
    this.store.dispose();
    for (const c of this.connections) c.streamer.dispose();
    this.connections.clear();
  }

  /**
   * Opens a capture file (or a raw pair) into the view: the same pipeline as `kdscope decode`,
   * streamed to every window like a live session's rows. A running live session is replaced
   * only when asked (`replace`: the UI asked the user); a KDNET capture without a working key
   * is refused with OPEN_ERRORS names, so the UI can ask for one.
   */
  async open(request: OpenCaptureRequest, name?: string): Promise<SessionInfo> {
    if (this.starting || this.opening)
      throw new WorkbenchError('a session or capture is being opened; try again in a moment');
    const live = this.state === 'running' && this.session !== null;
    if (live && !request.replace)
      throw new CaptureOpenError(
        'a live session is running: stop it to open a capture',
        OPEN_ERRORS.sessionRunning,
      );
    this.opening = true;
    try {
      const spec = sourceSpec({
        ...request,
        // A reopen in this run needs no prompt: the key it was opened with is remembered.
        ...(request.key === undefined && request.path !== undefined
          ? { key: this.recent.keyFor(request.path) }
          : {}),
      });
      const source = openForView(spec);
      if (live) await this.finish(undefined);
      this.dropReading();
      this.offBridge?.();
      this.offBridge = null;
      this.session = null;
      this.resetData();
      const reading = new CaptureReading(spec, source, this.checkpointRecords);
      this.reading = reading;
      const opened = openedInfo(spec, source, name);
      const info: SessionInfo = {
        id: randomUUID(),
        debugger: spec.targetPath ? spec.path : '',
        target: spec.targetPath ?? '',
        mode: 'com',
        startedAt: Date.now(),
        debuggerCommand: '',
        opened,
      };
      this.info = info;
      this.state = 'running';
      this.failure = undefined;
      this.captureError = undefined;
      this.recent.add({
        name: opened.name,
        path: spec.path,
        ...(spec.targetPath ? { targetPath: spec.targetPath } : {}),
        ...(spec.key ? { key: spec.key, kdnet: true } : {}),
      });
      this.log('info', 'capture', `opened ${opened.name} (${opened.format})`);
      this.broadcast('session.state', this.status());
      void this.readIntoView(reading).catch((error: unknown) =>
        this.log('error', 'capture', `reading stopped: ${(error as Error).message}`),
      );
      return info;
    } finally {
      this.opening = false;
    }
  }

  private async readIntoView(reading: CaptureReading): Promise<void> {
    let lastCounters = 0;
    const end = await reading.run({
      record: (record) => this.onRecord(record),
      update: (record) => this.store.update(record),
      progress: (stats) => {
        this.tally.frames = stats.frames;
        this.tally.bytes = stats.bytes['debugger->target'] + stats.bytes['target->debugger'];
        const now = performance.now();
        if (now - lastCounters >= 100) {
          lastCounters = now;
          this.broadcast('counters', this.updateRate());
        }
      },
    });
    if (this.reading !== reading) return;
    this.store.seal();
    const stats = end.stats;
    this.tally.frames = stats.frames;
    this.tally.bytes = stats.bytes['debugger->target'] + stats.bytes['target->debugger'];
    const opened = this.info?.opened;
    if (this.info && opened)
      this.info = {
        ...this.info,
        mode: stats.kdnet ? 'kdnet' : 'com',
        opened: {
          ...opened,
          frames: stats.frames,
          ...(stats.kdnet ? { kdnet: true } : {}),
          ...(end.problem ? { problem: end.problem } : {}),
        },
      };
    this.state = end.problem ? 'failed' : 'stopped';
    this.failure = end.problem;
    this.log(
      end.problem ? 'error' : 'info',
      'capture',
      end.problem ??
        `${end.cancelled ? 'stopped reading' : 'read'} ${opened?.name ?? 'the capture'}: ${stats.frames} frames, ${this.tally.packets} rows`,
    );
    this.broadcast('counters', this.updateRate());
    this.broadcast('session.state', this.status());
  }

  /** The opened capture's I/O graph so far (whole once it was read), or null. */
  captureRates(): CaptureRates | null {
    const reading = this.reading;
    if (!reading?.rates) return null;
    return reading.rates.series(this.state !== 'running' && !reading.isCancelled);
  }

  /** Stops reading an opened capture and forgets it (a new session or capture replaces it). */
  private dropReading(): void {
    this.reading?.cancel();
    this.reading = null;
  }

  /** The view's source as something to export: the opened capture, or the session's file. */
  private exportSource(): ExportSource {
    const reading = this.reading;
    if (reading) {
      const { spec } = reading;
      const done = this.state !== 'running';
      return {
        stem: stemOf(this.info?.opened?.name ?? basename(spec.path)),
        paths: spec.targetPath ? [spec.path, spec.targetPath] : [spec.path],
        kdnet: reading.source.stats.kdnet !== undefined || spec.key !== undefined,
        ...(done ? { totalFrames: this.tally.frames } : {}),
        open: () => spec.open(),
      };
    }
    const capture = this.info?.capture;
    if (!capture) throw new ExportError('nothing to export: start a session or open a capture');
    const frames = this.session?.recorder?.frames ?? this.tally.frames;
    // A KDNET session's file holds its datagrams as they went, encrypted.
    const resolved = this.session?.resolved;
    const key = resolved?.mode === 'kdnet' ? resolved.key : undefined;
    return {
      stem: stemOf(basename(capture)),
      paths: [capture],
      kdnet: key !== undefined,
      totalFrames: frames,
      open: () => openCapture(capture, key === undefined ? {} : { key }),
    };
  }

  private startExport(
    request: ExportRequest,
    ranges: NoRange[] | undefined,
    emit: (progress: ExportProgress) => void,
  ): ExportJob {
    const source = this.exportSource();
    return this.exports.start(
      source,
      {
        format: request.format,
        ...(ranges ? { ranges } : {}),
        ...(request.decrypt !== undefined ? { decrypt: request.decrypt } : {}),
        ...(request.out !== undefined ? { out: request.out } : {}),
        ...(request.name !== undefined ? { name: request.name } : {}),
      },
      emit,
    );
  }

  /** A finished web-mode export for the download route (undefined: no such file). */
  exportFile(id: string): { path: string; name: string } | undefined {
    return this.exports.file(id);
  }

  /** Runs the session's debugger command now that the bridge listens; it ends with the session. */
  private launch(command: string, session: LiveSession): void {
    const mine = (): boolean => this.session === session;
    const launcher = Launcher.start(command, {
      ...(this.launchSeams.kdscope ? { kdscope: this.launchSeams.kdscope } : {}),
      ...(this.launchSeams.spawn ? { spawn: this.launchSeams.spawn } : {}),
      onLine: (line, stream) => {
        if (mine()) this.log(stream === 'stderr' ? 'warn' : 'info', 'debugger process', line);
      },
      onExit: (status) => {
        if (!mine()) return;
        this.log(
          status.state === 'failed' ? 'error' : 'info',
          'debugger process',
          status.state === 'failed'
            ? (status.detail ?? 'could not start')
            : `the debugger process ended: ${status.detail ?? 'exited'}`,
        );
        this.broadcast('session.state', this.status());
      },
    });
    this.launcher = launcher;
    const pid = launcher.status().pid;
    this.log(
      'info',
      'debugger process',
      `started${pid === undefined ? '' : ` (pid ${pid})`}: ${maskSecrets(command)}`,
    );
  }

  private peers(session: LiveSession): Record<Side, PeerStatus> {
    const { bridge } = session;
    const counters = bridge.counters();
    const peer = (side: Side): PeerStatus => {
      const health = bridge.health.status(side);
      const failure = this.sideErrors[side];
      const error = failure ?? this.lostWith[side];
      const connections =
        side === 'debugger' ? counters.debuggerConnections : counters.targetConnections;
      // Never reached and the last attempt failed: that failure is the news, not "waiting". A
      // side that was connected and is redialled is gone, reconnecting; the failure its detail.
      const failing = failure !== undefined && !bridge.connected(side) && connections === 0;
      // Nothing listens where its datagrams go: an error while it lasts (the contract's word).
      const refused = health.condition === 'refused';
      const notDelivered =
        counters[side === 'debugger' ? 'target->debugger' : 'debugger->target'].droppedBytes;
      return {
        ...(notDelivered > 0 ? { notDelivered } : {}),
        connection: bridge.connected(side) ? 'connected' : connections > 0 ? 'gone' : 'waiting',
        condition: failing || refused ? 'error' : health.condition,
        line: failing ? `${side}: ${failure}` : health.line,
        connections,
        ...(refused ? { error: health.line } : error ? { error } : {}),
      };
    };
    return { debugger: peer('debugger'), target: peer('target') };
  }

  private onBridgeEvent(event: BridgeEvent): void {
    switch (event.kind) {
      case 'packets':
        for (const record of event.records) this.onRecord(record);
        for (const record of event.updates) this.store.update(record);
        return;
      case 'side':
        if (event.state === 'connected') delete this.lostWith[event.side];
        // An error just before a connection closed (a reset) is how it ended: the side is gone.
        if (event.state === 'gone' && this.sideErrors[event.side] !== undefined)
          this.lostWith[event.side] = this.sideErrors[event.side]!;
        delete this.sideErrors[event.side];
        this.log('info', event.side, `${event.side} ${event.state}`);
        this.broadcast('session.state', this.status());
        return;
      case 'health':
        this.broadcast('session.state', this.status());
        return;
      case 'unreachable':
        // The side's last failure, the detail of its waiting or reconnecting; expected, so info.
        this.sideErrors[event.side] = event.message;
        this.log('info', event.side, event.message);
        this.broadcast('session.state', this.status());
        return;
      case 'notice':
        this.log(event.level, event.source, event.message);
        return;
      case 'error':
        if (event.source === 'debugger' || event.source === 'target')
          this.sideErrors[event.source] = event.message;
        if (event.source === 'recorder') return this.onCaptureTrouble(this.session);
        this.log('error', event.source, event.message);
        this.broadcast('session.state', this.status());
        return;
    }
  }

  /** Trouble the decoder or the VMBus pipe saw (one line each kind): logged and in the status. */
  private onLinkWarning(mode: string, line: string): void {
    this.warning = line;
    this.log('warn', mode === 'kdnet' ? 'kdnet' : 'vmbus', line);
    this.broadcast('session.state', this.status());
  }

  private resetData(): void {
    this.store.clear();
    Object.assign(this.tally, ZERO_COUNTERS);
    this.packetsByDir['debugger->target'] = 0;
    this.packetsByDir['target->debugger'] = 0;
    this.history.clear();
    this.rateWindow = [];
    for (const c of this.connections) c.streamer.restart();
  }

  /** The recorder stopped (disk full, size limit): say so; the session goes on. */
  private onCaptureTrouble(session: LiveSession | null): void {
    const recorder = session?.recorder;
    if (!recorder) return;
    this.captureError = `recording stopped after ${recorder.frames} frames (the session goes on): ${recorder.failure ?? 'write failed'}`;
    this.log('error', 'recorder', this.captureError);
    this.broadcast('session.state', this.status());
  }

  private onRecord(record: PacketRecord): void {
    this.store.add(record);
    this.packetsByDir[record.dir]++;
    const t = this.tally;
    t.packets++;
    if (record.flags & ERROR_FLAGS) t.errors++;
    if (record.flags & PacketFlag.RETRANSMIT) t.retransmits++;
    if (record.kind === 'breakin') t.breakins++;
  }

  private updateRate(): Counters {
    const t = this.now();
    const session = this.session;
    if (session) {
      const c = session.bridge.counters();
      this.tally.bytes = c['debugger->target'].bytes + c['target->debugger'].bytes;
      if (session.recorder) this.tally.frames = session.recorder.frames;
    }
    this.rateWindow.push({ time: t, packets: this.tally.packets });
    while (this.rateWindow.length > 2 && t - this.rateWindow[0]!.time > 1000)
      this.rateWindow.shift();
    const first = this.rateWindow[0]!;
    const dt = (t - first.time) / 1000;
    const rate = dt > 0 ? Math.round((this.tally.packets - first.packets) / dt) : 0;
    this.tally.rate = this.state === 'running' ? rate : 0;
    return { ...this.tally };
  }

  private log(level: LogLine['level'], source: string, message: string): void {
    const line: LogLine = { time: Date.now(), level, source, message };
    this.logLines.push(line);
    if (this.logLines.length > ENGINE_LOG_KEEP) this.logLines.shift();
    this.broadcast('log', line);
  }

  private broadcast<E extends 'counters' | 'session.state' | 'log' | 'stats'>(
    name: E,
    data: WorkbenchEvents[E],
  ): void {
    for (const c of this.connections) c.emit(name, data as never);
  }
}

function pageOf(from: number, page: RecordsPage): RowsPage {
  return {
    from,
    batch: encodeRecords(page.records),
    ...(page.missing === undefined ? {} : { missing: page.missing }),
  };
}

/** "windbg-uncut" of "windbg-uncut.pcapng.gz". */
function stemOf(name: string): string {
  return name.replace(/(\.(pcap|pcapng|cap|bin|raw))?(\.gz)?$/i, '') || 'capture';
}
