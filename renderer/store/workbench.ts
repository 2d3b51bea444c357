// The renderer's state: a bounded columnar PacketTable fed by engine batches (the window on the
// tail: the engine says how many rows it keeps), the display filter's matches, selection,
// follow/pause, session and counters. Unfiltered, the view shows every row of the session from
// its first: rows older than the window (or skipped while the view lagged) are fetched from the
// engine by no. when they come on screen (row-pages.ts). A filter runs over the window only,
// and says so. The table is mutable and lives outside React state; the store publishes a
// revision at most once per animation frame.

import { create } from 'zustand';
import type { EngineRefusal } from '../api/client';
import {
  ZERO_COUNTERS,
  type Counters,
  type Disposer,
  type PacketBytes,
  type RecordsEvent,
  type SessionStatus,
  type StartOptions,
  type WorkbenchClient,
} from '../../electron/api/contract';
import type { FilterError } from '../../protocol/filter/ast';
import { batchFromBytes, decodeRecord } from '../../protocol/records/columns';
import { PacketTable } from '../../protocol/records/table';
import { prepareFilter, type PreparedFilter } from './filter-engine';
import type { PacketRecord } from '../../protocol/session/record';
import { MatchList } from './match-list';
import { emitReset, emitRows } from './row-feed';
import { RowPages, type RowGap } from './row-pages';
import { useMarks } from './marks';

export interface FieldSelection {
  /** Path of child indices from the root list, e.g. "0.3". */
  readonly path: string;
  readonly offset: number;
  readonly length: number;
}

export interface WorkbenchState {
  connection: 'connecting' | 'open' | 'closed';
  connectionError: string | null;
  /** Closed for good (web mode): a server at the page's address will not take this page. */
  engineRefused: EngineRefusal | null;
  session: SessionStatus;
  counters: Counters;
  /** Bumped when the table or the matches change. */
  revision: number;
  /** Rows the timeline shows (frozen while paused). */
  displayCount: number;
  /** Rows that arrived while the view was paused. */
  pendingWhilePaused: number;
  paused: boolean;
  follow: boolean;
  filterText: string;
  filterError: FilterError | null;
  filterApplied: string;
  filterMs: number | null;
  /** Rows of the view (whatever the filter): those in memory and the older ones paged in. */
  totalRows: number;
  /** Rows of the view not in memory (left the window, or skipped): fetched when shown. */
  droppedRows: number;
  /** Rows of the session before the list's first one (the list spans MAX_LIST_ROWS at most). */
  unlistedRows: number;
  /**
   * The applied filter ran over the rows in memory only, [from, to], and `older` rows of the
   * view (older than the window, or skipped while it lagged) were not searched; null when it
   * covered every row.
   */
  filterCovers: { from: number; to: number; older: number } | null;
  selectedNo: number | null;
  selectedIndex: number | null;
  details: PacketBytes | null;
  detailsMissing: boolean;
  field: FieldSelection | null;
  lastError: string | null;
}

const initial: WorkbenchState = {
  connection: 'connecting',
  connectionError: null,
  engineRefused: null,
  session: { state: 'idle', info: null, counters: ZERO_COUNTERS },
  counters: ZERO_COUNTERS,
  revision: 0,
  displayCount: 0,
  pendingWhilePaused: 0,
  paused: false,
  follow: true,
  filterText: '',
  filterError: null,
  filterApplied: '',
  filterMs: null,
  totalRows: 0,
  droppedRows: 0,
  unlistedRows: 0,
  filterCovers: null,
  selectedNo: null,
  selectedIndex: null,
  details: null,
  detailsMissing: false,
  field: null,
  lastError: null,
};

export const useWorkbench = create<WorkbenchState>(() => ({ ...initial }));

export const table = new PacketTable();
const matches = new MatchList();
let filter: PreparedFilter | null = null;
let client: WorkbenchClient | null = null;
let publishScheduled = false;
/**
 * no. of the view's first row: 1 for a session seen from its start, the first row streamed
 * after Clear (null until it comes).
 */
let viewBase: number | null = 1;
/**
 * Time of the view's first row (no. viewBase) once seen: the table's first row is not it once
 * the window has dropped older rows, or when this window joined after they left the engine.
 */
let viewBaseTime: number | null = null;

const set = useWorkbench.setState;
const get = useWorkbench.getState;

/** Rows older than the window, fetched from the engine when shown. */
export const pages = new RowPages(
  () => client,
  () => schedulePublish(),
);

/** no. of the newest row held (0 when none). */
function lastNo(): number {
  return table.length > 0 ? table.value('no', table.length - 1) : 0;
}

/**
 * Rows the list spans at most: a browser lays out about 33 M px, 1.6 M rows of 20 px. A longer
 * session's list starts this many rows before the newest (older ones stay in the capture).
 */
export const MAX_LIST_ROWS = 1_500_000;

/** no. of the list's first row, unfiltered. */
function firstShown(): number {
  return Math.max(viewBase ?? table.firstNo, lastNo() - MAX_LIST_ROWS + 1);
}

/** Rows of the view, unfiltered: from its first no. to the newest. */
function viewRows(): number {
  if (table.length === 0) return 0;
  const base = firstShown();
  return lastNo() - base + 1;
}

/** Rows the timeline could show now (ignores pause). */
function liveCount(): number {
  if (!filter) return viewRows();
  matches.trimBelow(table.dropped);
  return matches.length;
}

/** Table row index of display row i, or -1 when it is not in memory. */
export function tableRow(displayIndex: number): number {
  if (!filter) {
    if (table.length === 0) return -1;
    const no = firstShown() + displayIndex;
    const first = table.firstNo;
    if (no < first) return -1;
    // No gap in the window (the usual case): arithmetic; else a search.
    const guess = no - first;
    if (guess < table.length && table.value('no', guess) === no) return guess;
    return table.rowOfNo(no);
  }
  if (displayIndex >= matches.length) return -1;
  const row = matches.at(displayIndex) - table.dropped;
  return row >= 0 && row < table.length ? row : -1;
}

/** no. of display row i, or null when it is gone (a filtered row that left the window). */
export function displayNo(displayIndex: number): number | null {
  if (!filter) return table.length === 0 ? null : firstShown() + displayIndex;
  const row = tableRow(displayIndex);
  return row < 0 ? null : table.value('no', row);
}

/**
 * The record of display row i: from the window, else from the engine (a fetch starts, and the
 * view redraws when it arrives); what stands in its place meanwhile.
 */
export function displayRecord(displayIndex: number): PacketRecord | RowGap {
  const row = tableRow(displayIndex);
  if (row >= 0) return table.row(row);
  const no = displayNo(displayIndex);
  if (no === null) return { missing: 'no longer in memory' };
  return pages.get(no);
}

/** The record with this no. if the window or a fetched page holds it (no fetch). */
export function heldRecord(no: number): PacketRecord | undefined {
  const row = table.rowOfNo(no);
  return row >= 0 ? table.row(row) : pages.peek(no);
}

/** Display index of the row with this no., or null (binary search: no. grows with the row). */
export function displayIndexOf(no: number, count = get().displayCount): number | null {
  if (!filter) {
    const at = no - firstShown();
    return table.length > 0 && at >= 0 && at < count ? at : null;
  }
  let lo = 0;
  let hi = count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const row = tableRow(mid);
    if (row < 0) return null;
    const v = table.value('no', row);
    if (v === no) return mid;
    if (v < no) lo = mid + 1;
    else hi = mid - 1;
  }
  return null;
}

function publish(): void {
  publishScheduled = false;
  const count = liveCount();
  const s = get();
  const total = viewRows();
  set({
    revision: s.revision + 1,
    totalRows: total,
    droppedRows: Math.max(0, total - table.length),
    unlistedRows: table.length === 0 ? 0 : firstShown() - (viewBase ?? table.firstNo),
    filterCovers: filterCovers(total),
    displayCount: s.paused ? Math.min(s.displayCount, count) : count,
    pendingWhilePaused: s.paused ? count - Math.min(s.displayCount, count) : 0,
    selectedIndex:
      s.selectedNo === null
        ? null
        : displayIndexOf(s.selectedNo, s.paused ? s.displayCount : count),
  });
}

function filterCovers(total: number): WorkbenchState['filterCovers'] {
  if (!filter || table.length === 0 || total <= table.length) return null;
  return { from: table.firstNo, to: lastNo(), older: total - table.length };
}

/**
 * The list redraws at most every PUBLISH_MS while rows stream (a packet list read by people
 * needs no 60 Hz; Wireshark uses 500 ms), and always in an animation frame.
 */
const PUBLISH_MS = 50;
let lastPublish = 0;

function schedulePublish(): void {
  if (publishScheduled) return;
  publishScheduled = true;
  let done = false;
  const run = (): void => {
    if (done) return;
    done = true;
    lastPublish = performance.now();
    publish();
  };
  const wait = Math.max(0, lastPublish + PUBLISH_MS - performance.now());
  setTimeout(() => {
    requestAnimationFrame(run);
    // rAF does not run in hidden tabs; the timeout keeps the state current there.
    setTimeout(run, 100);
  }, wait);
}

/** Applies one batch from the engine and acknowledges it. */
export function ingest(event: RecordsEvent): void {
  const batch = batchFromBytes(event.batch);
  if (viewBase === null && batch.count > 0) viewBase = event.firstNo;
  if (viewBaseTime === null && viewBase !== null) {
    const at = viewBase - event.firstNo;
    if (at >= 0 && at < batch.count) viewBaseTime = decodeRecord(batch, at).time;
  }
  const before = table.dropped + table.length;
  table.append(batch);
  emitRows(table, Math.max(0, before - table.dropped), table.length, event.skipped);
  if (filter) {
    const from = Math.max(0, before - table.dropped);
    const rows = filter.run(table, from);
    for (let i = 0; i < rows.length; i++) matches.push(rows[i]! + table.dropped);
  }
  if (event.updates) {
    const updates = batchFromBytes(event.updates);
    for (let i = 0; i < updates.count; i++) table.patch(decodeRecord(updates, i));
    // The details pane may show one of them: it re-reads on the next selection.
  }
  void client?.invoke('stream.ack', event.seq).catch(() => undefined);
  schedulePublish();
}

export const STREAM_WINDOW = 4;

/** The engine client in use (null before the first connection), for the other stores. */
export const engineClient = (): WorkbenchClient | null => client;

/** What followEngineClients() gives back. */
export interface EngineFollower {
  /** The client followed now (null before the first). */
  readonly current: () => WorkbenchClient | null;
  readonly dispose: Disposer;
}

/**
 * Calls follow() with each client this window attaches to (the first, and a new one after the
 * engine came back), disposing of what it did for the one before; dispose() undoes the last.
 */
export function followEngineClients(follow: (c: WorkbenchClient) => Disposer): EngineFollower {
  let followed: WorkbenchClient | null = null;
  let offClient: Disposer | null = null;
  const attachTo = (): void => {
    const c = client;
    if (c === followed || c === null) return;
    offClient?.();
    followed = c;
    offClient = follow(c);
  };
  const offState = useWorkbench.subscribe((s) => {
    if (s.connection === 'open') attachTo();
  });
  if (useWorkbench.getState().connection === 'open') attachTo();
  return {
    current: () => followed,
    dispose: () => {
      offState();
      offClient?.();
    },
  };
}

/** Removes the listeners of the client attached last (none before the first attach). */
let detachListeners: Disposer | null = null;

/**
 * Wires a client to the store: the first one, and a new one after the engine came back (web
 * mode), which streams the engine's rows from its start again: the view starts over. The
 * previous client's listeners go first; the disposer removes this client's.
 */
export async function attach(c: WorkbenchClient): Promise<Disposer> {
  detachListeners?.();
  const reconnect = client !== null;
  client = c;
  if (reconnect) resetView();
  const offs = [
    c.on('records', ingest),
    c.on('counters', (counters) => set({ counters })),
    c.on('session.state', (session) => {
      const prev = get().session;
      if (
        session.state === 'running' &&
        (prev.state !== 'running' || prev.info?.id !== session.info?.id)
      ) {
        resetView();
      }
      set({ session, counters: session.counters });
    }),
  ];
  const off = (): void => {
    for (const dispose of offs.splice(0)) dispose();
    if (detachListeners === off) detachListeners = null;
  };
  detachListeners = off;
  try {
    const session = await c.invoke('session.status');
    set({
      session,
      counters: session.counters,
      connection: 'open',
      connectionError: null,
      engineRefused: null,
    });
    const info = await c.invoke('stream.ready', { window: STREAM_WINDOW });
    // Before the first batch: the window is sized while it is empty.
    if (info.windowRows !== table.capacity && table.length === 0) {
      table.configure({ capacity: info.windowRows });
    }
  } catch (error) {
    set({ connection: 'closed', connectionError: (error as Error).message });
  }
  return off;
}

/** Removes the listeners of the client attached last (the page goes away). */
export function detach(): void {
  detachListeners?.();
}

/** The view starts over: at the session's first row (`base` 1), or at the next one streamed. */
function resetView(base: 1 | null = 1): void {
  table.clear();
  matches.clear();
  pages.clear();
  viewBase = base;
  viewBaseTime = null;
  emitReset();
  set({ selectedNo: null, selectedIndex: null, details: null, field: null, detailsMissing: false });
  publish();
}

function report(error: unknown): void {
  set({ lastError: error instanceof Error ? error.message : String(error) });
}

export const actions = {
  async start(options: StartOptions): Promise<void> {
    if (!client) return;
    set({ lastError: null });
    try {
      await client.invoke('session.start', options);
    } catch (error) {
      report(error);
    }
  },
  async stop(): Promise<void> {
    try {
      await client?.invoke('session.stop');
    } catch (error) {
      report(error);
    }
  },
  async clear(): Promise<void> {
    try {
      await client?.invoke('view.clear');
    } catch (error) {
      report(error);
    }
    resetView(null);
  },
  togglePause(): void {
    const s = get();
    if (s.paused) set({ paused: false });
    else set({ paused: true, displayCount: liveCount() });
    publish();
  },
  setFollow(follow: boolean): void {
    if (get().follow !== follow) set({ follow });
  },
  setFilterText(text: string): void {
    const trimmed = text.trim();
    const result = trimmed === '' ? null : prepareFilter(trimmed, filterTimeOrigin);
    set({ filterText: text, filterError: result && !result.ok ? result.error : null });
  },
  /** Runs the filter over every row in memory (Enter in the filter box). */
  applyFilter(): void {
    const text = get().filterText.trim();
    if (text === '') {
      filter = null;
      matches.clear();
      set({ filterApplied: '', filterError: null, filterMs: null });
      publish();
      return;
    }
    const result = prepareFilter(text, filterTimeOrigin);
    if (!result.ok) {
      set({ filterError: result.error });
      return;
    }
    const t0 = performance.now();
    const rows = result.filter.run(table);
    matches.reset(rows, table.dropped);
    filter = result.filter;
    set({ filterApplied: text, filterError: null, filterMs: performance.now() - t0 });
    publish();
  },
  async select(displayIndex: number | null): Promise<void> {
    if (displayIndex === null) {
      set({ selectedNo: null, selectedIndex: null, details: null, field: null });
      return;
    }
    const s = get();
    const index = Math.max(0, Math.min(s.displayCount - 1, displayIndex));
    const no = displayNo(index);
    if (no === null) return;
    if (no === s.selectedNo) {
      set({ selectedIndex: index });
      return;
    }
    set({ selectedNo: no, selectedIndex: index, field: null, detailsMissing: false });
    if (s.follow && index < s.displayCount - 1) set({ follow: false });
    try {
      const details = (await client?.invoke('packets.bytes', no)) ?? null;
      if (get().selectedNo !== no) return;
      set({ details, detailsMissing: details === null });
    } catch (error) {
      report(error);
    }
  },
  /** Selects the row with this no. (a link in the details pane), if the view shows it. */
  async selectNo(no: number): Promise<void> {
    const index = displayIndexOf(no);
    if (index === null) {
      report(
        filter
          ? `packet ${no} is hidden by the filter or older than the rows it searched`
          : `packet ${no} is not in this view`,
      );
      return;
    }
    set({ follow: false, lastError: null });
    await actions.select(index);
  },
  selectField(field: FieldSelection | null): void {
    set({ field });
  },
};

/** The bytes and details tree of any packet (the call dialog), null when no longer held. */
export async function packetBytes(no: number): Promise<PacketBytes | null> {
  return (await client?.invoke('packets.bytes', no)) ?? null;
}

export function setConnectionClosed(reason: string): void {
  set({ connection: 'closed', connectionError: reason, engineRefused: null });
}

/** A server at the page's address will not take this page (web mode): the page stops asking. */
export function setConnectionRefused(refusal: EngineRefusal): void {
  set({
    connection: 'closed',
    connectionError:
      refusal === 'token'
        ? "the engine does not know this page's link"
        : 'something other than kdscope answers at this address',
    engineRefused: refusal,
  });
}

/**
 * What the Time column and `time` in a display filter count from: the time reference when the
 * user set one, else the session's start (an opened capture's, or no session: the first row in
 * memory).
 */
export function timeOrigin(): number {
  const ref = useMarks.getState().timeRef;
  if (ref) return ref.time;
  const info = useWorkbench.getState().session.info;
  // An opened capture counts from its first record (as kdscope export --filter does), not from
  // when it was opened.
  const start = info?.opened ? undefined : info?.startedAt;
  if (start) return start;
  return viewStartTime() ?? (table.length > 0 ? table.value('time', 0) : 0);
}

/** Time of the view's first row: streamed, held, or fetched (undefined until then). */
function viewStartTime(): number | undefined {
  if (viewBaseTime !== null) return viewBaseTime;
  if (viewBase === null || table.length === 0) return undefined;
  if (table.firstNo === viewBase) return (viewBaseTime = table.value('time', 0));
  const row = pages.get(viewBase);
  if ('no' in row) return (viewBaseTime = row.time);
  return undefined;
}

/** For compiled filters: asked at every evaluation, so moving the reference moves `time`. */
export const filterTimeOrigin = (): number => timeOrigin();
