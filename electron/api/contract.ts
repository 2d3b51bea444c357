// The one API between the UI (Electron renderer or a browser in web mode) and the engine.
// Declared once as a map of operation name -> function type; the invoke client, the main-side
// handler registry (with its allowlist and validators), the WebSocket client and the test mock
// are all derived from it, so they cannot drift apart.
//
// The renderer may import this file and electron/api/contract-* (pure TS, no Node API).

import type { FieldNode } from '../../protocol/kd/summary';
import type { Direction } from '../../protocol/kd/events';

/** Which end of the bridge: WinDbg's, or the VM's. */
export type Side = 'debugger' | 'target';
/** com: KD serial bytes; vmbus: windbg-uefi's VMBus pipe messages; kdnet: KDNET over UDP. */
export type SessionMode = 'com' | 'vmbus' | 'kdnet';
export type CaptureFormat = 'pcap' | 'pcapng';

/**
 * A session is the bridge: the debugger's endpoint (served for WinDbg), the target's endpoint
 * (connected to), what they speak, and where it is recorded. The simulators are presets:
 * target 'sim' or 'sim:vmbus', debugger 'sim' (the built-in scripted debugger).
 */
export interface StartOptions {
  /** Endpoint text (pipe:NAME, unix:PATH, tcp:HOST:PORT, serial:DEV, udp:…), or 'sim'. */
  readonly debugger: string;
  /** Endpoint text (sim, sim:vmbus, unix:PATH, tcp:HOST:PORT, pipe:NAME, vm:NAME, vmbus:NAME…). */
  readonly target: string;
  /** Default: vmbus for vmbus:/sim:vmbus targets, kdnet for udp:, else com. */
  readonly mode?: SessionMode;
  /** windbg-uefi's feedback/resend mode (vmbus only). */
  readonly feedback?: boolean;
  /** KDNET key W.X.Y.Z (kdnet only). Never logged. */
  readonly key?: string;
  /** Default pcap (the seed's format). */
  readonly captureFormat?: CaptureFormat;
  /** Folder for this session's capture (default: the engine's captures folder). */
  readonly captureDir?: string;
  /** Packets per second the built-in scripted debugger aims for (debugger 'sim' only). */
  readonly rate?: number;
  /**
   * A debugger command to run once the bridge listens ("start debugger"); the engine stops it
   * with the session, and never touches a process it did not start.
   */
  readonly launch?: string;
  /** The profile (per VM) the session was started from. */
  readonly profile?: string;
}

/** One way to point a debugger at the bridge, ready to paste. */
export interface DebuggerCommand {
  readonly label: string;
  readonly command: string;
}

/** What starting with these options would do (session.plan), or why it cannot. */
export interface SessionPlan {
  readonly debugger: string;
  readonly target: string;
  readonly mode: SessionMode;
  /** Command lines for the debugger, best first (WinDbg pipe/TCP/serial forms, kd, …). */
  readonly debuggerCommands: readonly DebuggerCommand[];
  /** What "start debugger" runs here by default (WinDbg where it exists, else the scripted one). */
  readonly defaultLaunch?: string;
  /** Why these options cannot start (one line); absent when they can. */
  readonly problem?: string;
}

export interface SessionInfo {
  readonly id: string;
  /** Canonical endpoint texts. */
  readonly debugger: string;
  readonly target: string;
  readonly mode: SessionMode;
  /** Milliseconds since the Unix epoch. */
  readonly startedAt: number;
  /** The debugger command line the user would run against this session's endpoint. */
  readonly debuggerCommand: string;
  /**
   * The capture this session records every relayed chunk to (one frame per chunk, flushed per
   * frame); absent when it could not be created (SessionStatus.captureError says why).
   */
  readonly capture?: string;
  /** Recording stops (with a line in captureError) when the capture reaches this size. */
  readonly captureLimitBytes?: number;
  readonly profile?: string;
  /**
   * Present when the view shows a capture file opened by the user instead of a live session
   * (debugger and target are then empty, or a raw pair's two files).
   */
  readonly opened?: OpenedCapture;
}

export type SessionState = 'idle' | 'running' | 'stopped' | 'failed';

/** One side's link in plain words (the bridge's health monitor). */
export interface PeerStatus {
  readonly connection: 'waiting' | 'connected' | 'gone';
  /**
   * waiting, talking, silent, gone; reset-loop: stale RESETs bounce between the sides;
   * no-ack: this side stopped acknowledging; error: the last attempt to reach it failed.
   */
  readonly condition: 'waiting' | 'talking' | 'silent' | 'gone' | 'reset-loop' | 'no-ack' | 'error';
  /** One plain line, e.g. "target: connected, silent for 12 s (running, or is the VM paused?)". */
  readonly line: string;
  /** Connections so far (a reconnect makes it 2, 3…). */
  readonly connections: number;
  /** The last transport error on this side, one line (pipe busy, refused, …). */
  readonly error?: string;
  /**
   * Bytes for this side read from the other while this side was not connected: recorded (they
   * were on the wire), delivered to no one. Absent while there are none.
   */
  readonly notDelivered?: number;
}

/** A debugger process the session started. */
export interface LaunchedDebugger {
  readonly command: string;
  readonly pid?: number;
  readonly state: 'running' | 'exited' | 'failed';
  /** Exit code, or why it could not start / how it ended, one line. */
  readonly detail?: string;
}

export interface Counters {
  readonly packets: number;
  readonly bytes: number;
  /** Checksum errors, garbage runs, unexpected ids and failing NTSTATUS replies. */
  readonly errors: number;
  readonly retransmits: number;
  readonly breakins: number;
  /** Packets per second over the last second. */
  readonly rate: number;
  /** Frames written to the session's capture. */
  readonly frames: number;
}

export interface SessionStatus {
  readonly state: SessionState;
  readonly info: SessionInfo | null;
  readonly counters: Counters;
  /** Each side's link, while a session exists. */
  readonly peers?: Readonly<Record<Side, PeerStatus>>;
  readonly launched?: LaunchedDebugger;
  /** Why the session failed, one line. */
  readonly error?: string;
  /** The latest trouble on the link that is not a failure (a wrong KDNET key, VMBus resends). */
  readonly warning?: string;
  /** Why the session is not (or no longer) recording, one line; the session goes on. */
  readonly captureError?: string;
}

/** A VM a provider sees (what `kdscope vms` lists). */
export interface VmView {
  readonly provider: string;
  readonly name: string;
  readonly state: 'running' | 'stopped' | 'paused' | 'saved' | 'unknown';
  readonly id?: string;
  readonly channels: readonly VmChannelView[];
}

export interface VmChannelView {
  readonly kind: 'com-pipe' | 'unix' | 'tcp' | 'pty' | 'serial' | 'vmbus' | 'sim';
  readonly port: string;
  readonly path: string;
  /** The target endpoint that reaches it, when kdscope can. */
  readonly endpoint?: string;
  readonly note?: string;
}

export interface VmList {
  readonly vms: readonly VmView[];
  /** Providers that saw nothing, and why (tool missing, access denied). */
  readonly problems: readonly { readonly provider: string; readonly problem: string }[];
  /** Where the engine runs, for the attach page's default debugger endpoint. */
  readonly host?: { readonly platform: string; readonly tempDir: string };
}

/** What the attach page remembers per VM (saved to profiles.json in the user's config dir). */
export interface Profile {
  /** The VM's name (or any name for a free endpoint pair). */
  readonly name: string;
  readonly target: string;
  readonly debugger: string;
  /** The VM channel's port label (COM1, VMBus pipe, …), to preselect it. */
  readonly channel?: string;
  readonly mode?: SessionMode;
  readonly feedback?: boolean;
  readonly key?: string;
  readonly launch?: string;
  readonly captureDir?: string;
  readonly captureFormat?: CaptureFormat;
}

/** A capture in the captures folder (a recorded session). */
export interface RecordedCapture {
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
  /** Milliseconds since the Unix epoch. */
  readonly modifiedAt: number;
  /** True for the running session's capture. */
  readonly live?: boolean;
}

/** One direction of the bridge at one moment (cumulative counts, current queue). */
export interface DirectionSample {
  readonly bytes: number;
  readonly packets: number;
  /** Relayed bytes nobody received (the other side was not connected). */
  readonly droppedBytes: number;
  /** Bytes the bridge holds for the receiving side (its socket's write buffer). */
  readonly queuedBytes: number;
  /** Backpressure: the bridge stopped reading the sending side until the other drains. */
  readonly paused: boolean;
}

/** A VMBus ring's fill (the simulated rings of sim:vmbus). */
export interface RingSample {
  readonly ring: string;
  readonly size: number;
  readonly occupancy: number;
  readonly highWater: number;
  /** Writes refused because the ring was full. */
  readonly refused: number;
}

/** The VMBus pipe channel's counters (mode vmbus). */
export interface PipeSample {
  readonly messagesOut: number;
  readonly messagesIn: number;
  readonly resends: number;
  readonly bad: number;
  readonly feedbackSent: number;
  readonly feedbackReceived: number;
  /** KD bytes accepted and not yet sent (feedback mode waits for the peer). */
  readonly queuedBytes: number;
}

/** The link sampled a few times a second, for the occupancy and I/O graphs. */
export interface LinkSample {
  /** Milliseconds since the Unix epoch; each sample later than the one before. */
  readonly time: number;
  readonly 'debugger->target': DirectionSample;
  readonly 'target->debugger': DirectionSample;
  readonly rings?: readonly RingSample[];
  readonly pipe?: PipeSample;
  /**
   * The session's last sample, taken once it closed: no sample follows. The state says
   * stopped before it (closing takes a moment), so the graphs know they are whole by this.
   */
  readonly final?: true;
}

/** Lines of its log the engine keeps for a window that attaches later. */
export const ENGINE_LOG_KEEP = 1000;

/** One line of the engine's log (errors, state changes), for the UI's log tab. */
export interface LogLine {
  readonly time: number;
  readonly level: 'info' | 'warn' | 'error';
  readonly source: string;
  readonly message: string;
}

export interface PacketBytes {
  readonly no: number;
  readonly dir: Direction;
  /** The packet as on the wire (header, payload, trailer). */
  readonly bytes: Uint8Array;
  /** Details tree; offsets are relative to bytes[0]. */
  readonly fields: readonly FieldNode[];
}

export interface StreamReady {
  /** Batches the client accepts before acknowledging (the flow-control window). */
  readonly window: number;
}

// ---- Opening and exporting captures -------------------------------------------------------

/** A capture file in the view (SessionInfo.opened). */
export interface OpenedCapture {
  /** The file's name as the user knows it (an upload keeps its own). */
  readonly name: string;
  readonly path: string;
  /** A raw pair's target stream (path is then the debugger's). */
  readonly targetPath?: string;
  readonly format: 'pcap' | 'pcap-ns' | 'pcapng' | 'raw-pair';
  readonly compressed: boolean;
  /** Size of the file(s) on disk. */
  readonly bytes: number;
  /** Frames read so far; all of them once the state is no longer 'running'. */
  readonly frames: number;
  /** The capture holds KDNET datagrams, decrypted with the key given (never sent back). */
  readonly kdnet?: boolean;
  /** Reading ended early (a cut or corrupt file: what came before is shown), one line. */
  readonly problem?: string;
}

/** What to open: a capture file, or two raw byte streams (one per direction). */
export interface OpenCaptureRequest {
  /** pcap or pcapng, optionally .gz. */
  readonly path?: string;
  /** A raw pair: what the debugger sent, and what the target sent. */
  readonly debugger?: string;
  readonly target?: string;
  /** KDNET key W.X.Y.Z for encrypted datagrams. Never logged. */
  readonly key?: string;
  /** Stop the running live session to open this (the UI asked the user first). */
  readonly replace?: boolean;
}

/**
 * Why captures.open refused, as RemoteError names: the UI asks for a key on the first two
 * and asks whether to stop the live session on the third.
 */
export const OPEN_ERRORS = {
  keyMissing: 'KdnetKeyMissing',
  keyRejected: 'KdnetKeyRejected',
  sessionRunning: 'SessionRunning',
} as const;

/** Bins of a capture's rate series at most (captures.rates widens its bins to stay under). */
export const MAX_RATE_BINS = 3600;

/** One direction's counts per bin. */
export interface DirectionBins {
  /** Records decoded (packets, garbage runs, break-ins), by their own time. */
  readonly packets: readonly number[];
  /** Bytes captured, by their frame's time. */
  readonly bytes: readonly number[];
}

/**
 * An opened capture's I/O graph: packets and bytes per direction for its whole span, counted
 * by the engine as it reads the file (every frame, also rows the view no longer holds).
 */
export interface CaptureRates {
  /** Milliseconds since the Unix epoch where bin 0 starts (a multiple of binMs). */
  readonly start: number;
  /** Each bin's width: 1000 ms, widened for long captures to stay within MAX_RATE_BINS. */
  readonly binMs: number;
  /** The earliest and latest time counted (ms since the epoch). */
  readonly first: number;
  readonly last: number;
  readonly 'debugger->target': DirectionBins;
  readonly 'target->debugger': DirectionBins;
  /**
   * Reading ended: every frame was counted (up to the damage of a cut or corrupt file, which
   * SessionInfo.opened.problem names); false while it streams in, or after Stop (a part).
   */
  readonly complete: boolean;
}

/** A capture opened recently (captures.recent), newest first. */
export interface RecentCapture {
  readonly name: string;
  readonly path: string;
  readonly targetPath?: string;
  /** Milliseconds since the Unix epoch. */
  readonly openedAt: number;
  readonly bytes: number;
  /** It needed a KDNET key (the engine remembers it until it exits). */
  readonly kdnet?: boolean;
}

/**
 * Export Specified Packets: 'all' writes the source as it is (every chunk, or every frame of a
 * KDNET capture); 'selected' writes the rows staged with export.select (no. ranges: the view's
 * displayed rows, the marked ones, a from-to range), one frame per row.
 */
export interface ExportRequest {
  readonly packets: 'all' | 'selected';
  readonly format: CaptureFormat;
  /** A KDNET source: the KD stream in the seed's format instead of the datagrams as captured. */
  readonly decrypt?: boolean;
  /** Where to write (the desktop app's save dialog); absent: a file for the page to download. */
  readonly out?: string;
  /** The download's file name (absent: one made from the source's). */
  readonly name?: string;
}

export interface ExportJob {
  readonly id: string;
  /** Frames in the source when known (for a progress bar). */
  readonly totalFrames?: number;
  /** Rows chosen ('selected'). */
  readonly rows?: number;
}

/** An export's progress, pushed to the connection that started it. */
export interface ExportProgress {
  readonly id: string;
  readonly state: 'running' | 'done' | 'failed' | 'cancelled';
  /** Passes over the source (2 for chosen rows of a KDNET capture as captured). */
  readonly pass: number;
  readonly passes: number;
  readonly framesRead: number;
  readonly totalFrames?: number;
  readonly framesWritten: number;
  /** Once done: the file; `download` is its URL relative to the page (web mode). */
  readonly file?: {
    readonly name: string;
    readonly bytes: number;
    readonly path?: string;
    readonly download?: string;
  };
  /** Why it failed, one line. */
  readonly error?: string;
  /** Done, but the source was damaged: the frames before the damage were exported. */
  readonly warning?: string;
}

/** Largest part of no. ranges one export.select call takes (the socket's messages are small). */
export const MAX_SELECTION_PART = 48 * 1024;

/** How the client should hold the streamed rows (the answer to stream.ready). */
export interface StreamInfo {
  /**
   * Rows the client keeps in memory at most (its window on the tail); older rows are fetched
   * with packets.rows when the view shows them.
   */
  readonly windowRows: number;
}

/** Rows by no.: [from, from + count). */
export interface RowsRequest {
  readonly from: number;
  readonly count: number;
}

/** Rows decoded again from the session's capture (packets.rows). */
export interface RowsPage {
  readonly from: number;
  /** A columnar batch (protocol/records batchToBytes) of the rows found, in order from `from`. */
  readonly batch: Uint8Array;
  /** Why rows asked for are not here (not recorded, recording stopped, no session...). */
  readonly missing?: string;
}

/** Rows asked for in one packets.rows call at most. */
export const MAX_ROWS_REQUEST = 4096;

/** Operations the UI can invoke. Every operation takes at most one argument. */
export interface WorkbenchApi {
  /** What these options would do: endpoints, the debugger command lines, or the problem. */
  'session.plan': (o: StartOptions) => Promise<SessionPlan>;
  'session.start': (o: StartOptions) => Promise<SessionInfo>;
  'session.stop': () => Promise<void>;
  'session.status': () => Promise<SessionStatus>;
  'vms.list': () => Promise<VmList>;
  'profiles.list': () => Promise<Profile[]>;
  /** Saves (replaces) the profile of that name. */
  'profiles.save': (p: Profile) => Promise<void>;
  'profiles.delete': (name: string) => Promise<void>;
  /** The session's link samples so far (bounded: the last ten minutes). */
  'session.stats': () => Promise<LinkSample[]>;
  /** The engine's log so far (bounded: its last ENGINE_LOG_KEEP lines), oldest first. */
  'engine.log': () => Promise<LogLine[]>;
  /** Recorded sessions in the captures folder, newest first. */
  'captures.list': () => Promise<RecordedCapture[]>;
  /**
   * The raw bytes and details tree of one packet (old ones read back from the capture), or null
   * when neither memory nor the capture holds it.
   */
  'packets.bytes': (no: number) => Promise<PacketBytes | null>;
  /**
   * Rows by no. as they were streamed (late links included), read back from the session's
   * capture: what the view shows of rows older than its window. At most MAX_ROWS_REQUEST.
   */
  'packets.rows': (r: RowsRequest) => Promise<RowsPage>;
  /** The client is subscribed and wants record batches (Fiddle's ready signal). */
  'stream.ready': (o: StreamReady) => Promise<StreamInfo>;
  /** The client applied batch `seq`; the engine may send more. */
  'stream.ack': (seq: number) => Promise<void>;
  /** Forget the rows streamed so far for this client; new rows keep coming. */
  'view.clear': () => Promise<void>;
  /**
   * Opens a capture into the view instead of a live session; resolves once it is being read
   * (rows stream like a live session's; 'session.state' says when all are in). Refused with
   * OPEN_ERRORS names when a key is needed or a live session runs.
   */
  'captures.open': (o: OpenCaptureRequest) => Promise<SessionInfo>;
  /** Captures opened recently that still exist. */
  'captures.recent': () => Promise<RecentCapture[]>;
  /**
   * The opened capture's packets and bytes per direction over its whole span (so far, while it
   * is read); null when the view shows no opened capture or it holds no frame yet.
   */
  'captures.rates': () => Promise<CaptureRates | null>;
  /** Stages a part of the rows to export (encodeNoRanges bytes); returns the rows staged. */
  'export.select': (part: Uint8Array) => Promise<number>;
  /** Starts exporting the view's source; progress comes as 'export' events. */
  'export.start': (o: ExportRequest) => Promise<ExportJob>;
  'export.cancel': (id: string) => Promise<void>;
  /** Desktop app only: the system's open dialog for a capture (null: cancelled). */
  'dialog.openCapture': (o: { readonly title: string }) => Promise<string | null>;
  /** Desktop app only: the system's save dialog for an export (null: cancelled). */
  'dialog.saveExport': (o: {
    readonly name: string;
    readonly format: CaptureFormat;
  }) => Promise<string | null>;
}

export interface RecordsEvent {
  readonly seq: number;
  /** no. of the first row in this batch. */
  readonly firstNo: number;
  readonly count: number;
  /** Rows skipped before this batch because the client fell behind the engine's memory. */
  readonly skipped: number;
  /** A columnar batch (protocol/records batchToBytes). */
  readonly batch: Uint8Array;
  /**
   * Rows sent in earlier batches that changed since (same encoding): the session tracker links
   * a request to its response and ACK, and clears NO_RESPONSE, after the request went out.
   */
  readonly updates?: Uint8Array;
}

/** What the engine pushes, unasked. */
export interface WorkbenchEvents {
  records: RecordsEvent;
  counters: Counters;
  'session.state': SessionStatus;
  /** A link sample, a few times a second while a session runs. */
  stats: LinkSample;
  log: LogLine;
  /** An export this connection started moved on (a few times a second), or ended. */
  export: ExportProgress;
}

export type OpName = keyof WorkbenchApi;
export type EventName = keyof WorkbenchEvents;
export type OpArgs<K extends OpName> = Parameters<WorkbenchApi[K]>;
export type OpResult<K extends OpName> = Awaited<ReturnType<WorkbenchApi[K]>>;

/** The runtime allowlist; `satisfies` keeps it equal to the type's keys. */
const opTable = {
  'session.plan': true,
  'session.start': true,
  'session.stop': true,
  'session.status': true,
  'vms.list': true,
  'profiles.list': true,
  'profiles.save': true,
  'profiles.delete': true,
  'session.stats': true,
  'engine.log': true,
  'captures.list': true,
  'packets.bytes': true,
  'packets.rows': true,
  'stream.ready': true,
  'stream.ack': true,
  'view.clear': true,
  'captures.open': true,
  'captures.recent': true,
  'captures.rates': true,
  'export.select': true,
  'export.start': true,
  'export.cancel': true,
  'dialog.openCapture': true,
  'dialog.saveExport': true,
} as const satisfies Record<OpName, true>;
export const OP_NAMES = Object.keys(opTable) as OpName[];

const eventTable = {
  records: true,
  counters: true,
  'session.state': true,
  stats: true,
  log: true,
  export: true,
} as const satisfies Record<EventName, true>;
export const EVENT_NAMES = Object.keys(eventTable) as EventName[];

export const isOpName = (name: unknown): name is OpName =>
  typeof name === 'string' && Object.hasOwn(opTable, name);
export const isEventName = (name: unknown): name is EventName =>
  typeof name === 'string' && Object.hasOwn(eventTable, name);

export type Disposer = () => void;

/** What UI code holds: invoke an operation, listen to an event. */
export interface WorkbenchClient {
  invoke<K extends OpName>(op: K, ...args: OpArgs<K>): Promise<OpResult<K>>;
  on<E extends EventName>(name: E, listener: (data: WorkbenchEvents[E]) => void): Disposer;
  /** Closes the underlying transport; pending calls reject. */
  dispose(): void;
}

export const ZERO_COUNTERS: Counters = {
  packets: 0,
  bytes: 0,
  errors: 0,
  retransmits: 0,
  breakins: 0,
  rate: 0,
  frames: 0,
};
