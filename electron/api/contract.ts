// The one API between the UI (Electron renderer or a browser in web mode) and the engine.
// Declared once as a map of operation name -> function type; the invoke client, the main-side
// handler registry (with its allowlist and validators), the WebSocket client and the test mock
// are all derived from it, so they cannot drift apart.
//
// The renderer may import this file and electron/api/contract-* (pure TS, no Node API).

import type { FieldNode } from '../../protocol/kd/summary';
import type { Direction } from '../../protocol/kd/events';

export type SessionTarget = 'sim';

export interface StartOptions {
  /** The built-in simulated VM is the only target the UI can start without a VM provider. */
  readonly target: SessionTarget;
  /** Packets per second the simulated session aims for (default: a human pace). */
  readonly rate?: number;
}

export interface SessionInfo {
  readonly id: string;
  readonly target: SessionTarget;
  /** Milliseconds since the Unix epoch. */
  readonly startedAt: number;
  /** The debugger command line the user would run against this session's endpoint. */
  readonly debuggerCommand: string;
  /**
   * The pcap this session records every relayed chunk to (one frame per chunk, flushed per
   * frame); absent when it could not be created (SessionStatus.captureError says why).
   */
  readonly capture?: string;
}

export type SessionState = 'idle' | 'running' | 'stopped' | 'failed';

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
  /** Why the session failed, one line. */
  readonly error?: string;
  /** Why the session is not (or no longer) recording, one line; the session goes on. */
  readonly captureError?: string;
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

/** Operations the UI can invoke. Every operation takes at most one argument. */
export interface WorkbenchApi {
  'session.start': (o: StartOptions) => Promise<SessionInfo>;
  'session.stop': () => Promise<void>;
  'session.status': () => Promise<SessionStatus>;
  /** The raw bytes and details tree of one packet, or null when it is no longer in memory. */
  'packets.bytes': (no: number) => Promise<PacketBytes | null>;
  /** The client is subscribed and wants record batches (Fiddle's ready signal). */
  'stream.ready': (o: StreamReady) => Promise<void>;
  /** The client applied batch `seq`; the engine may send more. */
  'stream.ack': (seq: number) => Promise<void>;
  /** Forget the rows streamed so far for this client; new rows keep coming. */
  'view.clear': () => Promise<void>;
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
}

export type OpName = keyof WorkbenchApi;
export type EventName = keyof WorkbenchEvents;
export type OpArgs<K extends OpName> = Parameters<WorkbenchApi[K]>;
export type OpResult<K extends OpName> = Awaited<ReturnType<WorkbenchApi[K]>>;

/** The runtime allowlist; `satisfies` keeps it equal to the type's keys. */
const opTable = {
  'session.start': true,
  'session.stop': true,
  'session.status': true,
  'packets.bytes': true,
  'stream.ready': true,
  'stream.ack': true,
  'view.clear': true,
} as const satisfies Record<OpName, true>;
export const OP_NAMES = Object.keys(opTable) as OpName[];

const eventTable = {
  records: true,
  counters: true,
  'session.state': true,
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
