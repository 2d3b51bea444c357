// The Link tab: packets/s and bytes/s per direction, and what fills up on the way: the
// bridge's queues with backpressure marked (COM, KDNET), or each VMBus ring's fill with its
// high-water mark and the pipe's counters. Each chart has a text summary beside it (what it
// shows now, in words). After Stop the graphs keep the session's end. An opened capture draws
// the engine's count of the whole file (packets and bytes per bucket, the whole span or its
// last minutes), its titles naming the bucket ("Packets per 10 s"); a view with neither link
// samples nor that series draws packets/s and bytes/s from the rows' timestamps only.

import { useMemo } from 'react';
import {
  CartesianGrid,
  Line,
  LineChart,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { LinkSample } from '../../../electron/api/contract';
import {
  GRAPH_WINDOWS,
  WHOLE_CAPTURE,
  captureRates,
  hasRowRates,
  linkGraphs,
  linkSamples,
  rowRateSamples,
  useLinkGraphs,
} from '../../store/link-graphs';
import {
  captureSeries,
  flagSpans,
  linkSeries,
  ringPercent,
  type LinkPoint,
} from '../../store/link-series';
import { useMarks } from '../../store/marks';
import { timeOrigin, useWorkbench } from '../../store/workbench';
import {
  bytesText,
  countText,
  intervalText,
  percentText,
  pipeLine,
  rateText,
  ringDirection,
  ringLine,
  secondsTick,
  shortNumber,
} from './graph-text';
import './graphs.css';

/** Points per chart: about one per 2-4 px of a chart at 1024 px. */
const MAX_POINTS = 240;

const DT = '#4c9aff';
const TD = '#5fd38d';
const DT_PAUSED = 'rgb(242 193 78 / 0.22)';
const TD_PAUSED = 'rgb(255 154 162 / 0.22)';
const AXIS = { fill: '#8a92a3', fontSize: 10 };
const MARGIN = { top: 4, right: 10, bottom: 0, left: 0 };

type Series = keyof Pick<
  LinkPoint,
  | 'dtPackets'
  | 'tdPackets'
  | 'dtBytes'
  | 'tdBytes'
  | 'dtDropped'
  | 'tdDropped'
  | 'dtQueued'
  | 'tdQueued'
  | 'ring0'
  | 'ring1'
>;

interface ChartProps {
  points: readonly LinkPoint[];
  lines: readonly { key: Series; name: string; color: string; dashed?: boolean }[];
  tick: (v: number) => string;
  value: (v: number) => string;
  /** The time the tooltip names: the bucket's end, or the whole bucket when wider than 1 s. */
  when?: (t: number) => string;
  yDomain?: [number, number];
  children?: React.ReactNode;
}

function Chart(p: ChartProps): React.JSX.Element {
  return (
    <ResponsiveContainer width="100%" height="100%" minHeight={60}>
      <LineChart data={p.points as LinkPoint[]} margin={MARGIN}>
        <CartesianGrid stroke="#2d323c" vertical={false} />
        {p.children}
        <XAxis
          dataKey="t"
          type="number"
          domain={['dataMin', 'dataMax']}
          tick={AXIS}
          tickFormatter={secondsTick}
          minTickGap={24}
          height={16}
        />
        <YAxis
          tick={AXIS}
          tickFormatter={p.tick}
          width={38}
          allowDecimals={false}
          {...(p.yDomain ? { domain: p.yDomain } : {})}
        />
        <Tooltip
          contentStyle={{ background: '#22262e', border: '1px solid #2d323c', fontSize: 11 }}
          labelStyle={{ color: '#d6dae2' }}
          labelFormatter={(t) => (p.when ?? sinceStart)(Number(t))}
          formatter={(v, name) => [p.value(Number(v)), name]}
          isAnimationActive={false}
        />
        {p.lines.map((l) => (
          <Line
            key={l.key}
            dataKey={l.key}
            name={l.name}
            stroke={l.color}
            dot={false}
            strokeWidth={1.5}
            {...(l.dashed ? { strokeDasharray: '4 3' } : {})}
            isAnimationActive={false}
            connectNulls
          />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
}

const sinceStart = (t: number): string => `${secondsTick(t)} since the start`;

function Legend(props: { items: readonly [string, string][] }): React.JSX.Element {
  return (
    <span className="graph-legend">
      {props.items.map(([color, text]) => (
        <span key={text}>
          <i style={{ background: color }} />
          {text}
        </span>
      ))}
    </span>
  );
}

interface CardProps {
  id: string;
  title: string;
  legend: readonly [string, string][];
  summary: readonly string[];
  /** What the summary's words mean (its tooltip). */
  hint: string;
  points: number;
  /** An opened capture's bucket (ms): what each point counts. */
  bucketMs?: number;
  children: React.ReactNode;
}

function Card(p: CardProps): React.JSX.Element {
  return (
    <figure
      className="graph-card"
      data-testid={`graph-${p.id}`}
      data-points={p.points}
      data-bucket-ms={p.bucketMs}
    >
      <figcaption className="graph-head">
        <span className="graph-title">{p.title}</span>
        <Legend items={p.legend} />
      </figcaption>
      <div className="graph-plot" aria-hidden="true">
        {p.children}
      </div>
      <div
        className="graph-summary"
        data-testid={`graph-${p.id}-summary`}
        title={p.hint}
        aria-live="off"
      >
        {p.summary.map((line) => (
          <div key={line}>{line}</div>
        ))}
      </div>
    </figure>
  );
}

const DIR_LEGEND: readonly [string, string][] = [
  [DT, 'D->T (to the target)'],
  [TD, 'T->D (to the debugger)'],
];

/** Bytes read while their receiver was absent, so far: '' when every byte was delivered. */
export function notDeliveredText(sample: LinkSample | undefined): string {
  const d = sample?.['debugger->target'].droppedBytes ?? 0;
  const u = sample?.['target->debugger'].droppedBytes ?? 0;
  if (d + u === 0) return '';
  const parts = [d > 0 ? `D->T ${bytesText(d)}` : '', u > 0 ? `T->D ${bytesText(u)}` : ''];
  return `not delivered (no receiver connected): ${parts.filter(Boolean).join(', ')}`;
}

function RateCards(props: {
  points: readonly LinkPoint[];
  sample: LinkSample | undefined;
}): React.JSX.Element {
  const { points } = props;
  const last = points.at(-1);
  const dropped = notDeliveredText(props.sample);
  const rates = last
    ? [
        `D->T ${rateText(last.dtPackets)} packets/s, ${bytesText(last.dtBytes)}/s`,
        `T->D ${rateText(last.tdPackets)} packets/s, ${bytesText(last.tdBytes)}/s`,
      ]
    : ['no packets yet'];
  return (
    <>
      <Card
        id="packets"
        title="Packets per second"
        hint="KD packets decoded each way per second (the newest interval shown)"
        legend={DIR_LEGEND}
        summary={last ? rates.map((r) => r.replace(/, .*$/, '')) : rates}
        points={points.length}
      >
        <Chart
          points={points}
          lines={[
            { key: 'dtPackets', name: 'D->T packets/s', color: DT },
            { key: 'tdPackets', name: 'T->D packets/s', color: TD },
          ]}
          tick={shortNumber}
          value={rateText}
        />
      </Card>
      <Card
        id="bytes"
        title="Bytes per second"
        hint="Bytes read each way per second (the newest interval shown); dashed: those read while the receiving side was not connected, recorded but delivered to no one"
        legend={DIR_LEGEND}
        summary={[
          ...(last
            ? [`D->T ${bytesText(last.dtBytes)}/s`, `T->D ${bytesText(last.tdBytes)}/s`]
            : rates),
          ...(dropped ? [dropped] : []),
        ]}
        points={points.length}
      >
        <Chart
          points={points}
          lines={[
            { key: 'dtBytes', name: 'D->T bytes/s', color: DT },
            { key: 'tdBytes', name: 'T->D bytes/s', color: TD },
            ...(dropped
              ? ([
                  { key: 'dtDropped', name: 'D->T not delivered/s', color: DT, dashed: true },
                  { key: 'tdDropped', name: 'T->D not delivered/s', color: TD, dashed: true },
                ] as const)
              : []),
          ]}
          tick={shortNumber}
          value={(v) => `${bytesText(v)}/s`}
        />
      </Card>
    </>
  );
}

/** Totals and the busiest bucket of one direction over the points shown. */
function tally(points: readonly LinkPoint[], key: Series): { total: number; peak: number } {
  let total = 0;
  let peak = 0;
  for (const p of points) {
    const v = p[key] ?? 0;
    total += v;
    peak = Math.max(peak, v);
  }
  return { total, peak };
}

/** An opened capture's counts per bucket: titles and summaries say the bucket. */
function CaptureCards(props: {
  points: readonly LinkPoint[];
  bucketMs: number;
}): React.JSX.Element {
  const { points, bucketMs } = props;
  const per = intervalText(bucketMs);
  const when = (t: number): string =>
    bucketMs === 1000
      ? sinceStart(t)
      : `${secondsTick(t - bucketMs / 1000)} to ${secondsTick(t)} since the start`;
  const line = (dir: string, key: Series, text: (v: number) => string, what: string): string => {
    const { total, peak } = tally(points, key);
    return `${dir} ${text(total)}${what}, at most ${text(peak)} per ${per}`;
  };
  return (
    <>
      <Card
        id="packets"
        title={`Packets per ${per}`}
        hint={`KD packets decoded each way in each ${per} of the capture; the summary: in the span shown`}
        legend={DIR_LEGEND}
        summary={[
          line('D->T', 'dtPackets', countText, ' packets'),
          line('T->D', 'tdPackets', countText, ' packets'),
        ]}
        points={points.length}
        bucketMs={bucketMs}
      >
        <Chart
          points={points}
          lines={[
            { key: 'dtPackets', name: `D->T packets per ${per}`, color: DT },
            { key: 'tdPackets', name: `T->D packets per ${per}`, color: TD },
          ]}
          tick={shortNumber}
          value={countText}
          when={when}
        />
      </Card>
      <Card
        id="bytes"
        title={`Bytes per ${per}`}
        hint={`Bytes captured each way in each ${per} of the capture; the summary: in the span shown`}
        legend={DIR_LEGEND}
        summary={[line('D->T', 'dtBytes', bytesText, ''), line('T->D', 'tdBytes', bytesText, '')]}
        points={points.length}
        bucketMs={bucketMs}
      >
        <Chart
          points={points}
          lines={[
            { key: 'dtBytes', name: `D->T bytes per ${per}`, color: DT },
            { key: 'tdBytes', name: `T->D bytes per ${per}`, color: TD },
          ]}
          tick={shortNumber}
          value={bytesText}
          when={when}
        />
      </Card>
    </>
  );
}

function QueueCard(props: { points: readonly LinkPoint[]; last: LinkSample }): React.JSX.Element {
  const { points, last } = props;
  const dtSpans = useMemo(() => flagSpans(points, (p) => p.dtPaused), [points]);
  const tdSpans = useMemo(() => flagSpans(points, (p) => p.tdPaused), [points]);
  const d = last['debugger->target'];
  const u = last['target->debugger'];
  const paused = [d.paused ? 'D->T' : '', u.paused ? 'T->D' : ''].filter(Boolean);
  const spans = dtSpans.length + tdSpans.length;
  return (
    <Card
      id="queues"
      title="Bytes queued in the bridge"
      hint="Bytes the bridge holds for the receiving side; backpressure: the bridge stopped reading the sending side until the receiver drains"
      legend={DIR_LEGEND}
      summary={[
        `queued D->T ${bytesText(d.queuedBytes)}, T->D ${bytesText(u.queuedBytes)}`,
        paused.length > 0
          ? `backpressure (shaded) now: reading paused ${paused.join(' and ')}`
          : spans > 0
            ? `backpressure (shaded) in ${spans} span${spans === 1 ? '' : 's'}, none now`
            : 'no backpressure in this window',
      ]}
      points={points.length}
    >
      <Chart
        points={points}
        lines={[
          { key: 'dtQueued', name: 'queued D->T', color: DT },
          { key: 'tdQueued', name: 'queued T->D', color: TD },
        ]}
        tick={shortNumber}
        value={bytesText}
      >
        {dtSpans.map(([x1, x2]) => (
          <ReferenceArea key={`d${x1}`} x1={x1} x2={x2} fill={DT_PAUSED} ifOverflow="hidden" />
        ))}
        {tdSpans.map(([x1, x2]) => (
          <ReferenceArea key={`t${x1}`} x1={x1} x2={x2} fill={TD_PAUSED} ifOverflow="hidden" />
        ))}
      </Chart>
    </Card>
  );
}

function RingCard(props: { points: readonly LinkPoint[]; last: LinkSample }): React.JSX.Element {
  const { points, last } = props;
  const rings = last.rings ?? [];
  const colors = [DT, TD];
  const marks = rings.map((r) => ringPercent(r.highWater, r.size));
  let peak = 0;
  for (const p of points) peak = Math.max(peak, p.ring0 ?? 0, p.ring1 ?? 0);
  // Fill is often a few %: scale to what happened, with room for the high-water lines.
  const top = Math.min(100, Math.max(5, Math.ceil((Math.max(peak, ...marks) * 1.15) / 5) * 5));
  const pipe = pipeLine(last);
  return (
    <Card
      id="rings"
      title="VMBus ring fill (% of the ring)"
      hint="used: what the ring holds now; high water: the most it held; refused: writes that found it full (the writer waited); resends and feedback: the VMBus pipe's integrity mode"
      legend={[
        ...rings
          .slice(0, 2)
          .map((r, i): [string, string] => [colors[i]!, `ring ${ringDirection(r.ring)}`]),
        ['#8a92a3', 'dashed: high water'],
      ]}
      summary={[...rings.map(ringLine), ...(pipe ? [pipe] : [])]}
      points={points.length}
    >
      <Chart
        points={points}
        lines={rings.slice(0, 2).map((r, i) => ({
          key: i === 0 ? 'ring0' : 'ring1',
          name: `ring ${ringDirection(r.ring)} % used`,
          color: colors[i]!,
        }))}
        tick={(v) => `${percentText(v)}%`}
        value={(v) => `${percentText(v)} %`}
        yDomain={[0, top]}
      >
        {marks.slice(0, 2).map((m, i) => (
          <ReferenceLine
            key={i}
            y={m}
            stroke={colors[i]}
            strokeDasharray="4 3"
            strokeOpacity={0.8}
            ifOverflow="extendDomain"
          />
        ))}
      </Chart>
    </Card>
  );
}

export function LinkGraphsPane(): React.JSX.Element {
  const revision = useLinkGraphs((s) => s.revision);
  const count = useLinkGraphs((s) => s.samples);
  const ended = useLinkGraphs((s) => s.ended);
  const rowsRevision = useLinkGraphs((s) => s.rowsRevision);
  const ratesRevision = useLinkGraphs((s) => s.ratesRevision);
  const fromCapture = useLinkGraphs((s) => s.hasCaptureRates);
  const windowMs = useLinkGraphs((s) => s.windowMs);
  const timeRef = useMarks((s) => s.timeRef);
  const state = useWorkbench((s) => s.session.state);
  const engineUp = useWorkbench((s) => s.connection === 'open');
  const fromRows = !fromCapture && count < 2;
  const whole = fromCapture && windowMs === WHOLE_CAPTURE;
  // The whole span means nothing without a capture's series (a moment, as one is replaced).
  const spanMs = windowMs === WHOLE_CAPTURE ? GRAPH_WINDOWS.at(-1)! : windowMs;
  const { points, last, bucketMs } = useMemo(() => {
    void revision;
    void rowsRevision;
    void ratesRevision;
    const rates = fromCapture ? captureRates() : null;
    if (rates) {
      // From the capture's first frame (or the row the user made the time reference).
      const origin = timeRef?.time ?? rates.first;
      const opts = { origin, windowMs: whole ? null : spanMs, maxPoints: MAX_POINTS };
      const series = captureSeries(rates, opts);
      return { points: series.points, last: undefined, bucketMs: series.bucketMs };
    }
    const samples = fromRows ? rowRateSamples() : linkSamples();
    const opts = { origin: timeOrigin(), windowMs: spanMs, maxPoints: MAX_POINTS };
    return {
      points: linkSeries(samples, opts),
      last: fromRows ? undefined : samples.at(-1),
      bucketMs: undefined,
    };
  }, [revision, rowsRevision, ratesRevision, spanMs, whole, fromRows, fromCapture, timeRef]);

  let source: string;
  if (!engineUp) source = 'engine disconnected: the graphs show what came before';
  else if (fromCapture) {
    const per = intervalText(bucketMs ?? 1000);
    source =
      state === 'running'
        ? `reading the capture: packets and bytes per ${per} of what is read so far`
        : `opened capture: packets and bytes per ${per}, every frame of the file counted` +
          (state === 'failed' ? ' up to the damage' : '') +
          '; captures hold no queues or rings';
  } else if (!fromRows) {
    source =
      state === 'running'
        ? `live: ${count.toLocaleString('en-US')} link samples (4 a second)`
        : ended
          ? `session ${state}: the graphs show how it ended`
          : `waiting for the last link sample of the ${state} session…`;
  } else if (hasRowRates()) {
    source =
      'no link samples for this view (an opened capture): packets/s and bytes/s from the ' +
      "rows' timestamps; captures hold no queues or rings";
  } else {
    source =
      state === 'running'
        ? 'waiting for the first link samples…'
        : 'no link samples: start a session (an opened capture has none)';
  }
  const first = points[0];
  const end = points.at(-1);

  return (
    <div
      className="graphs-pane"
      data-testid="graphs"
      data-source={fromCapture ? 'capture' : fromRows ? 'rows' : 'link'}
      {...(bucketMs !== undefined && first && end
        ? {
            'data-bucket-ms': bucketMs,
            // The span drawn, in seconds since the origin: from the first bucket's start.
            'data-from': first.t - bucketMs / 1000,
            'data-to': end.t,
          }
        : {})}
    >
      <div className="pane-tools">
        <span className="dim graphs-source" data-testid="graphs-source">
          {source}
        </span>
        <span className="spacer" />
        <label
          className="dim"
          title={
            fromCapture
              ? "Time shown: the whole capture, or its last minutes ending at the capture's end"
              : 'Time shown, ending at the newest sample'
          }
        >
          show{' '}
          <select
            value={whole ? WHOLE_CAPTURE : spanMs}
            data-testid="graphs-window"
            onChange={(e) => linkGraphs.setWindow(Number(e.target.value))}
          >
            {fromCapture && <option value={WHOLE_CAPTURE}>whole capture</option>}
            {GRAPH_WINDOWS.map((ms) => (
              <option key={ms} value={ms}>
                last {ms / 60_000} min
              </option>
            ))}
          </select>
        </label>
        <span className="dim" title="The time axis counts as the Time column does">
          x: time since the start
        </span>
      </div>
      {points.length === 0 ? (
        <div className="empty small">No graph yet.</div>
      ) : bucketMs !== undefined ? (
        <div className="graphs-row">
          <CaptureCards points={points} bucketMs={bucketMs} />
        </div>
      ) : (
        <div className="graphs-row">
          <RateCards points={points} sample={last} />
          {last?.rings && last.rings.length > 0 ? (
            <RingCard points={points} last={last} />
          ) : (
            last && <QueueCard points={points} last={last} />
          )}
        </div>
      )}
    </div>
  );
}
