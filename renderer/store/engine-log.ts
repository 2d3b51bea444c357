// The log tab: the client's own lines (connection and session state changes and errors, as
// this window saw them) and the engine's (peers, the launched debugger's output, capture and
// decoder trouble): its log so far when a window attaches, then its `log` events.

import type { Disposer, LogLine, WorkbenchClient } from '../../electron/api/contract';
import { followEngineClients, useWorkbench, type WorkbenchState } from './workbench';

export type LogLevel = 'info' | 'warn' | 'error';

export interface LogEntry {
  /** ms since the epoch. */
  readonly time: number;
  readonly level: LogLevel;
  readonly source: 'client' | 'engine';
  readonly text: string;
}

const MAX_ENTRIES = 5000;
const entries: LogEntry[] = [];
const sinks = new Set<(entry: LogEntry | null) => void>();

export function logEntries(): readonly LogEntry[] {
  return entries;
}

/** null tells a sink the log was cleared. */
export function onLogEntry(sink: (entry: LogEntry | null) => void): () => void {
  sinks.add(sink);
  return () => sinks.delete(sink);
}

export function appendEngineLog(entry: LogEntry): void {
  entries.push(entry);
  if (entries.length > MAX_ENTRIES) entries.splice(0, entries.length - MAX_ENTRIES);
  for (const s of sinks) s(entry);
}

export function clearEngineLog(): void {
  entries.length = 0;
  for (const s of sinks) s(null);
}

const client = (level: LogLevel, text: string): void =>
  appendEngineLog({ time: Date.now(), level, source: 'client', text });

/** What changed between two states that deserves a line. */
function describeChange(s: WorkbenchState, prev: WorkbenchState): void {
  if (s.connection !== prev.connection) {
    client(
      s.connection === 'closed' ? 'error' : 'info',
      `connection ${s.connection}${s.connectionError ? `: ${s.connectionError}` : ''}`,
    );
  }
  const a = s.session;
  const b = prev.session;
  if (a.state !== b.state || a.info?.id !== b.info?.id) {
    const capture = a.info?.capture ? `, recording to ${a.info.capture}` : '';
    client(
      a.state === 'failed' ? 'error' : 'info',
      `session ${a.state}${a.state === 'running' ? capture : ''}${a.error ? `: ${a.error}` : ''}`,
    );
  }
  if (a.captureError && a.captureError !== b.captureError) client('warn', a.captureError);
  if (s.lastError && s.lastError !== prev.lastError) client('error', s.lastError);
}

const fromEngine = (line: LogLine): LogEntry => ({
  time: line.time,
  level: line.level,
  source: 'engine',
  // "debugger connected" says its source already; "bad checksum" needs it said.
  text: line.message.startsWith(line.source) ? line.message : `${line.source}: ${line.message}`,
});

/**
 * The engine's lines through one client: what it logged before (once), then its events;
 * events that arrive while the history loads follow it. The disposer removes the listener.
 */
function follow(c: WorkbenchClient): Disposer {
  let pending: LogLine[] | null = [];
  const off = c.on('log', (line) => {
    if (pending) pending.push(line);
    else appendEngineLog(fromEngine(line));
  });
  void c
    .invoke('engine.log')
    .catch(() => [] as LogLine[])
    .then((history) => {
      // Lines logged while the history was being sent came both ways: shown once.
      const key = (l: LogLine): string => `${l.time} ${l.source} ${l.message}`;
      const shown = new Set(history.map(key));
      const later = (pending ?? []).filter((l) => !shown.has(key(l)));
      pending = null;
      for (const line of [...history, ...later]) appendEngineLog(fromEngine(line));
    });
  return off;
}

export function setupEngineLog(): () => void {
  client('info', 'kdscope UI started');
  const offState = useWorkbench.subscribe(describeChange);
  const engine = followEngineClients(follow);
  return () => {
    offState();
    engine.dispose();
  };
}
