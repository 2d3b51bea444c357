// The link graphs' data: the engine's link samples (a few a second: bytes and packets per
// direction, the bridge's queues and backpressure, VMBus rings, pipe counters), loaded whole
// (`session.stats`) when a window attaches and then taken from the `stats` event, kept for the
// last ten minutes like the engine. They stay after Stop, until a new session or Clear. Rows
// are also tallied per second of their own time: a view with rows but no link samples (an
// opened capture) can still show packets/s and bytes/s. The panes redraw at most 4 times a
// second (the charts are read by people; ingest must not wait for them), except for the
// session's final sample: the window says stopped before it comes (closing takes a moment),
// and from then on what it shows must be the whole session, as a window opened later loads it.
// An opened capture's graphs come from the engine instead (`captures.rates`): every frame of
// the file counted as it was read, also rows the view never held, and its whole span.

import { create } from 'zustand';
import type {
  CaptureRates,
  Disposer,
  LinkSample,
  SessionStatus,
  WorkbenchClient,
} from '../../electron/api/contract';
import { RowRateBins } from './link-series';
import { onRows } from './row-feed';
import { throttled } from './throttle';
import { engineClient, followEngineClients } from './workbench';

/** As the engine: 10 minutes of samples at 4 a second. */
const KEEP = 2400;

export interface LinkGraphsState {
  /** Bumped (at most every 250 ms) when the samples change. */
  revision: number;
  /** Link samples held. */
  samples: number;
  /** The samples end with the session's final one (taken once it closed): nothing follows. */
  ended: boolean;
  /** Bumped (at most once a second) when rows arrive in a view without link samples. */
  rowsRevision: number;
  /** The span the graphs show, ending at the newest sample; WHOLE_CAPTURE: all of it. */
  windowMs: number;
  /** Bumped when the opened capture's series changes (null series: none). */
  ratesRevision: number;
  /** The view shows an opened capture whose series the engine gave. */
  hasCaptureRates: boolean;
}

/** Spans the graphs offer (ms). */
export const GRAPH_WINDOWS = [60_000, 2 * 60_000, 5 * 60_000, 10 * 60_000] as const;
/** The span of an opened capture's whole file (offered only then). */
export const WHOLE_CAPTURE = 0;
const DEFAULT_WINDOW = 2 * 60_000;

export const useLinkGraphs = create<LinkGraphsState>(() => ({
  revision: 0,
  samples: 0,
  ended: false,
  rowsRevision: 0,
  windowMs: DEFAULT_WINDOW,
  ratesRevision: 0,
  hasCaptureRates: false,
}));

export const linkGraphs = {
  setWindow(ms: number): void {
    const whole = ms === WHOLE_CAPTURE && useLinkGraphs.getState().hasCaptureRates;
    if (whole || (GRAPH_WINDOWS as readonly number[]).includes(ms))
      useLinkGraphs.setState({ windowMs: ms });
  },
};

let samples: LinkSample[] = [];
/** Samples older than this were cleared by the user (Clear), also when reloaded. */
let since = 0;
const rowBins = new RowRateBins();

export function linkSamples(): readonly LinkSample[] {
  return samples;
}

/** The opened capture the series is of (its SessionInfo id), and the series. */
let ratesOf: string | null = null;
let rates: CaptureRates | null = null;

export function captureRates(): CaptureRates | null {
  return rates;
}

function setRates(id: string | null, next: CaptureRates | null): void {
  const fresh = next !== null && (id !== ratesOf || rates === null);
  ratesOf = id;
  rates = next;
  useLinkGraphs.setState((s) => ({
    ratesRevision: s.ratesRevision + 1,
    hasCaptureRates: next !== null,
    // A capture just opened shows its whole span first (what its graphs are for); the whole
    // span means nothing once none is shown.
    windowMs: fresh
      ? WHOLE_CAPTURE
      : next === null && s.windowMs === WHOLE_CAPTURE
        ? DEFAULT_WINDOW
        : s.windowMs,
  }));
}

export function rowRateSamples(now = Date.now()): LinkSample[] {
  return rowBins.samples(now);
}

/** True while the rows' tally has at least one whole second. */
export function hasRowRates(): boolean {
  return rowBins.length > 0;
}

const publishSamples = throttled(250, () =>
  useLinkGraphs.setState((s) => ({
    revision: s.revision + 1,
    samples: samples.length,
    ended: samples.at(-1)?.final === true,
  })),
);
const publishRows = throttled(1000, () =>
  useLinkGraphs.setState((s) => ({ rowsRevision: s.rowsRevision + 1 })),
);

function add(sample: LinkSample): void {
  if (sample.time < since) return;
  const last = samples.at(-1);
  // A sample the loaded history already holds (it came as an event while loading).
  if (last && sample.time <= last.time) return;
  samples.push(sample);
  if (samples.length > KEEP * 1.25) samples = samples.slice(-KEEP);
  if (sample.final) publishSamples.now();
  else publishSamples();
}

function reset(): void {
  samples = [];
  rowBins.clear();
  publishSamples.cancel();
  publishRows.cancel();
  useLinkGraphs.setState((s) => ({
    revision: s.revision + 1,
    samples: 0,
    ended: false,
    rowsRevision: s.rowsRevision + 1,
  }));
}

/** Forget the samples shown (the view's Clear); new ones keep coming. */
export function clearLinkGraphs(): void {
  since = Date.now();
  reset();
}

/**
 * Follows the opened capture's series: fetched when the view's source changes or its reading
 * ends, and at most once a second while it is read (the counters event says it moves).
 */
function followRates(client: WorkbenchClient): Disposer {
  let opened: string | null = null;
  let running = false;
  let disposed = false;
  let asked = 0;
  const fetch = (): void => {
    const ask = ++asked;
    const id = opened;
    if (id === null) {
      if (ratesOf !== null || rates !== null) setRates(null, null);
      return;
    }
    void client
      .invoke('captures.rates')
      .catch(() => null)
      .then((next) => {
        // Only the newest answer counts (an older one may come last).
        if (!disposed && ask === asked && opened === id) setRates(id, next);
      });
  };
  const whileReading = throttled(1000, fetch);
  const onState = (status: SessionStatus): void => {
    const id = status.info?.opened ? status.info.id : null;
    const nowRunning = status.state === 'running';
    if (id !== opened || running !== nowRunning) {
      opened = id;
      running = nowRunning;
      whileReading.cancel();
      fetch();
    }
  };
  const offState = client.on('session.state', onState);
  const offCounters = client.on('counters', () => {
    if (opened !== null && running) whileReading();
  });
  void client
    .invoke('session.status')
    .then(onState)
    .catch(() => undefined);
  return () => {
    disposed = true;
    whileReading.cancel();
    offState();
    offCounters();
  };
}

/**
 * Listens to one client: its samples from now on, and the engine's history so far (events
 * that arrive while it loads are merged by time). The disposer removes the listener.
 */
function follow(client: WorkbenchClient): Disposer {
  const offRates = followRates(client);
  let loaded = false;
  let pending: LinkSample[] = [];
  const off = client.on('stats', (sample) => {
    if (loaded) add(sample);
    else pending.push(sample);
  });
  void client
    .invoke('session.stats')
    .catch(() => [] as LinkSample[])
    .then((history) => {
      samples = history.filter((s) => s.time >= since).slice(-KEEP);
      loaded = true;
      for (const s of pending) add(s);
      pending = [];
      // Loaded once per attach: shown at once (a stopped session's graphs, whole).
      publishSamples.now();
    });
  return () => {
    off();
    offRates();
  };
}

export function setupLinkGraphs(): () => void {
  const engine = followEngineClients(follow);
  const offRows = onRows({
    row(row) {
      rowBins.add(row.time, row.dir, row.length);
    },
    batch() {
      // Only a view without link samples draws the rows' rates.
      if (samples.length === 0) publishRows();
    },
    reset() {
      // A window that reconnects streams its rows again (the view starts over) but the
      // engine's samples are the same: they are reloaded, not forgotten. A new session or the
      // view's Clear (same client) forgets them.
      const reconnecting = engineClient() !== engine.current();
      if (reconnecting) {
        rowBins.clear();
        return;
      }
      clearLinkGraphs();
    },
  });
  return () => {
    engine.dispose();
    offRows();
    publishSamples.cancel();
    publishRows.cancel();
  };
}
