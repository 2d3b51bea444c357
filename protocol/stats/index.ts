// Statistics over the annotated rows, shared by the CLI (`kdscope stats`) and the UI's panes.

export { emptyRow, forEachTableRow, rowFromRecord } from './rows';
export type { StatsRow } from './rows';
export { SrtAccumulator, formatMs, percentile, rttHistogram, summarizeRtts } from './srt';
export type { HistogramBin, RttSummary, SrtStat, SrtTable } from './srt';
export { EXPERT_KINDS, ExpertAccumulator, SEVERITIES } from './expert';
export type {
  ExpertEntry,
  ExpertGroup,
  ExpertGroupName,
  ExpertKey,
  ExpertOptions,
  ExpertSnapshot,
  Severity,
} from './expert';
export { DbgPrintTap, FLOOD_BYTES_PER_S, FLOOD_LINES_PER_S, FLOOD_SHARE } from './dbgprint';
export type { DbgPrintRate } from './dbgprint';
