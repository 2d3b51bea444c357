// Service response time per API (Wireshark's SRT, made for KD), with the RTT histogram of the
// selected API: the same computation as `kdscope stats` (protocol/stats).

import { useMemo, useState } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatMs, rttHistogram, type SrtStat } from '../../protocol/stats';
import { srtRtts, srtTable, useStats } from '../store/stats';
import { actions } from '../store/workbench';

function cells(s: SrtStat): string[] {
  const r = s.rttMs;
  return [
    s.apiName,
    String(s.calls),
    String(s.unanswered),
    String(s.errors),
    String(s.bytes),
    r ? formatMs(r.min) : '-',
    r ? formatMs(r.p50) : '-',
    r ? formatMs(r.p95) : '-',
    r ? formatMs(r.max) : '-',
  ];
}

const HEADERS: readonly [string, string][] = [
  ['API', 'Manipulate API the target answers'],
  ['Calls', 'Requests sent (retransmissions not counted again)'],
  ['Unanswered', 'Requests with no response (yet)'],
  ['Errors', 'Responses with a failing NTSTATUS'],
  ['Bytes', 'Bytes on the wire of the requests and responses'],
  ['Min ms', 'Fastest round trip'],
  ['P50 ms', 'Median round trip'],
  ['P95 ms', '95th percentile round trip'],
  ['Max ms', 'Slowest round trip'],
];

const tickMs = (v: number): string =>
  v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toPrecision(2);

export function SrtPane(): React.JSX.Element {
  const revision = useStats((s) => s.revision);
  const [api, setApi] = useState<number | null>(null);
  const table = useMemo(() => (void revision, srtTable()), [revision]);
  const histogram = useMemo(
    () => (
      void revision,
      rttHistogram(srtRtts(api ?? undefined), 20).map((b) => ({
        label: `${tickMs(b.from)}–${tickMs(b.to)}`,
        count: b.count,
      }))
    ),
    [revision, api],
  );
  const selected =
    api === null ? 'all APIs' : (table.rows.find((r) => r.api === api)?.apiName ?? 'all APIs');
  return (
    <div className="srt-pane" data-testid="srt">
      <div className="srt-table-wrap">
        <table className="srt-table mono" data-testid="srt-table">
          <thead>
            <tr>
              {HEADERS.map(([h, title]) => (
                <th key={h} title={title} scope="col">
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.rows.map((s) => (
              <tr
                key={s.api}
                data-api={s.apiName}
                aria-selected={api === s.api}
                className={api === s.api ? 'selected' : ''}
                tabIndex={0}
                title="Click: histogram of this API · double-click: filter on it"
                onClick={() => setApi(api === s.api ? null : s.api)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') setApi(api === s.api ? null : s.api);
                }}
                onDoubleClick={() => {
                  actions.setFilterText(`api == ${s.apiName}`);
                  actions.applyFilter();
                }}
              >
                {cells(s).map((c, k) => (
                  <td key={k} className={k === 0 ? '' : 'num'}>
                    {c}
                  </td>
                ))}
              </tr>
            ))}
            {table.rows.length === 0 && (
              <tr>
                <td colSpan={HEADERS.length} className="dim">
                  No manipulate calls yet.
                </td>
              </tr>
            )}
          </tbody>
          {table.rows.length > 0 && (
            <tfoot>
              <tr data-api="All">
                {cells(table.total).map((c, k) => (
                  <td key={k} className={k === 0 ? '' : 'num'}>
                    {c}
                  </td>
                ))}
              </tr>
            </tfoot>
          )}
        </table>
      </div>
      <div
        className="srt-chart"
        data-testid="srt-chart"
        aria-label={`Round-trip histogram of ${selected}`}
      >
        <div className="chart-title">RTT histogram (ms, log bins) · {selected}</div>
        <ResponsiveContainer width="100%" height="100%" minHeight={80}>
          <BarChart data={histogram} margin={{ top: 4, right: 8, bottom: 0, left: -18 }}>
            <CartesianGrid stroke="#2d323c" vertical={false} />
            <XAxis
              dataKey="label"
              tick={{ fill: '#8a92a3', fontSize: 9 }}
              interval="preserveStartEnd"
            />
            <YAxis allowDecimals={false} tick={{ fill: '#8a92a3', fontSize: 9 }} />
            <Tooltip
              contentStyle={{ background: '#22262e', border: '1px solid #2d323c', fontSize: 11 }}
              labelStyle={{ color: '#d6dae2' }}
              formatter={(v) => [v, 'calls']}
              isAnimationActive={false}
            />
            <Bar dataKey="count" fill="#4c9aff" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
    </div>
  );
}
