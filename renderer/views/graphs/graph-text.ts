// Words and numbers of the link graphs: axis ticks, the text summaries beside the charts
// (what a screen reader or a test reads), direction names as the Dir column writes them.

import type { LinkSample, RingSample } from '../../../electron/api/contract';

const trim = (v: number, digits: number): string => {
  const s = v.toFixed(digits);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
};

/** 1234 -> "1.2k", 3.4e6 -> "3.4M": short axis ticks. */
export function shortNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${trim(v / 1e9, 1)}G`;
  if (a >= 1e6) return `${trim(v / 1e6, 1)}M`;
  if (a >= 1e3) return `${trim(v / 1e3, 1)}k`;
  return a >= 10 || a === 0 ? v.toFixed(0) : trim(v, 1);
}

/** Bytes in SI units, as a rate reader expects ("4.5 kB"). */
export function bytesText(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${trim(v / 1e9, 2)} GB`;
  if (a >= 1e6) return `${trim(v / 1e6, 2)} MB`;
  if (a >= 1e3) return `${trim(v / 1e3, 1)} kB`;
  return `${Math.round(v)} B`;
}

export const rateText = (v: number): string =>
  v >= 100 ? Math.round(v).toLocaleString('en-US') : trim(v, 1);

export const percentText = (v: number): string => (v < 10 ? trim(v, 1) : v.toFixed(0));

/** Seconds on the time axis: "42 s" under a minute, "m:ss" under an hour, else "h:mm:ss". */
export function secondsTick(t: number): string {
  const neg = t < 0 ? '-' : '';
  const s = Math.round(Math.abs(t));
  if (s < 60) return `${neg}${s} s`;
  const ss = String(s % 60).padStart(2, '0');
  if (s < 3600) return `${neg}${Math.floor(s / 60)}:${ss}`;
  return `${neg}${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${ss}`;
}

/** A bucket's width as a chart title says it: "second", "10 s", "2 min", "6 h". */
export function intervalText(ms: number): string {
  if (ms === 1000) return 'second';
  if (ms < 60_000 || ms % 60_000 !== 0) return `${trim(ms / 1000, 3)} s`;
  if (ms < 3_600_000 || ms % 3_600_000 !== 0) return `${ms / 60_000} min`;
  return `${ms / 3_600_000} h`;
}

/** A count as the summaries write it: "12,345". */
export const countText = (v: number): string => Math.round(v).toLocaleString('en-US');

/** The ring's direction as the Dir column says it (the host writes towards the guest). */
export function ringDirection(ring: string): string {
  if (ring === 'host->guest') return 'D->T';
  if (ring === 'guest->host') return 'T->D';
  return ring;
}

export function ringLine(r: RingSample): string {
  const pct = (v: number): string => percentText(r.size > 0 ? (100 * v) / r.size : 0);
  return (
    `ring ${ringDirection(r.ring)} ${pct(r.occupancy)} % used, ` +
    `high water ${pct(r.highWater)} %, ${r.refused.toLocaleString('en-US')} refused`
  );
}

export function pipeLine(s: LinkSample): string | null {
  const p = s.pipe;
  if (!p) return null;
  const n = (v: number): string => v.toLocaleString('en-US');
  return (
    `${n(p.resends)} resends, ${n(p.bad)} bad, feedback ${n(p.feedbackSent)} sent / ` +
    `${n(p.feedbackReceived)} received`
  );
}
