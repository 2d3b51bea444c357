// The engine log tab. For now the client's own log: connection and session state changes and
// errors, as this window saw them. The seam for the engine's log event (to come) is
// appendEngineLog(): the event handler calls it with the engine's lines.

import { useWorkbench, type WorkbenchState } from './workbench';

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

export function setupEngineLog(): () => void {
  client('info', 'kdscope UI started');
  return useWorkbench.subscribe(describeChange);
}
