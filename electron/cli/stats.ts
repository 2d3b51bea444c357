// `kdscope stats CAPTURE`: service response time per manipulate API (Wireshark's SRT table made
// for KD) and the expert information, computed by protocol/stats exactly as the UI's panes do.

import { CaptureError, captureErrorLine } from '../capture/capture-error';
import { openCapture, type CaptureSource, type CaptureStats } from '../capture/capture-source';
import { describePacket } from '../../protocol/kd/payloads';
import { SessionDecoder } from '../../protocol/session/pipeline';
import {
  ExpertAccumulator,
  SEVERITIES,
  SrtAccumulator,
  emptyRow,
  formatMs,
  rowFromRecord,
  type ExpertSnapshot,
  type SrtStat,
  type SrtTable,
} from '../../protocol/stats';

import { parseArgs } from './args';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, type CliIo, type Command } from './command';
import { kdnetReport, oneLine } from './kdnet-report';
import { nothingToDecode } from './nothing-to-decode';
import { OutputSink } from './output-sink';

const USAGE = `usage: kdscope stats CAPTURE [--format table|json] [--key W.X.Y.Z]

Service response time of every manipulate API the target answers (calls, unanswered, failed,
bytes of request and reply, round-trip time min/p50/p95/max in ms), then the expert
information (what went wrong on the wire, by severity). The same numbers as the app's
"Response times" and "Expert info" panes.`;

export interface CaptureStatsResult {
  readonly srt: SrtTable;
  readonly expert: ExpertSnapshot;
  readonly capture: CaptureStats;
  readonly error?: CaptureError;
}

/** Decodes `source` and runs the shared statistics over its rows, in stream order. */
export function statsOfCapture(source: CaptureSource): CaptureStatsResult {
  const srt = new SrtAccumulator();
  const expert = new ExpertAccumulator();
  const row = emptyRow();
  // Rows as the tracker emits them (before later links are filled in), as the UI gets them.
  const decoder = new SessionDecoder({
    onRecord: (record) => {
      rowFromRecord(record, row);
      srt.add(row);
      expert.add(row);
    },
    describe: (type, payload, dir) => describePacket(type, payload, dir, { info: false }),
  });
  let error: CaptureError | undefined;
  let capture: CaptureStats;
  try {
    capture = source.forEachRange((dir, bytes, start, end, timeUs, frame) =>
      decoder.pushRange(dir, bytes, start, end, timeUs / 1000, frame),
    );
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    error = e;
    capture = source.stats;
  }
  decoder.end();
  const rejected = capture.kdnet?.unauthenticated ?? 0;
  if (rejected > 0) {
    const first = capture.firstKdnetRejection;
    expert.addCaptureProblem(
      'kdnet-auth',
      first ? { frame: first.frame, detail: first.detail } : {},
      rejected,
    );
  }
  return { srt: srt.snapshot(), expert: expert.snapshot(), capture, ...(error ? { error } : {}) };
}

const COLUMNS = [
  'API',
  'Calls',
  'Unanswered',
  'Errors',
  'Bytes',
  'Min ms',
  'P50 ms',
  'P95 ms',
  'Max ms',
] as const;

/** The cells of one SRT row as the table (and the UI) shows them. */
export function srtCells(s: SrtStat): string[] {
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

function table(rows: readonly string[][]): string {
  const widths = COLUMNS.map((c, k) => Math.max(c.length, ...rows.map((r) => r[k]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ');
  return [line(COLUMNS), ...rows.map(line)].join('\n') + '\n';
}

function formatTable(result: CaptureStatsResult): string {
  const { srt, expert } = result;
  let out = 'Service response time (manipulate calls the target answers)\n';
  out +=
    srt.rows.length === 0
      ? '  no manipulate calls\n'
      : table([...srt.rows.map(srtCells), srtCells(srt.total)]);
  out += `\nExpert information: ${SEVERITIES.map((s) => `${expert.bySeverity[s]} ${s}`).join(', ')}\n`;
  for (const g of expert.groups) {
    const first = g.entries[0];
    const where =
      first?.no !== undefined
        ? `first at packet ${first.no}`
        : first?.frame !== undefined
          ? `first at frame ${first.frame}`
          : '';
    out += `  ${g.severity.padEnd(7)} ${String(g.count).padStart(7)}  ${g.summary}${where ? ` (${where})` : ''}\n`;
  }
  return out;
}

function formatJson(result: CaptureStatsResult): string {
  return `${JSON.stringify({
    srt: result.srt,
    expert: {
      bySeverity: result.expert.bySeverity,
      total: result.expert.total,
      groups: result.expert.groups.map((g) => ({ ...g, entries: g.entries.slice(0, 100) })),
    },
    capture: { format: result.capture.format, frames: result.capture.frames },
    ...(result.error ? { error: result.error.message } : {}),
  })}\n`;
}

export const statsCommand: Command = {
  name: 'stats',
  usage: USAGE,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgs(args, { values: ['format', 'key'] });
    const format = parsed.value('format') ?? 'table';
    if (format !== 'table' && format !== 'json')
      throw new UsageError(`--format must be table or json, not '${format}'`);
    if (parsed.positional.length !== 1)
      throw new UsageError(
        parsed.positional.length === 0
          ? 'which capture? (kdscope stats CAPTURE)'
          : `one capture at a time (got ${parsed.positional.length})`,
      );
    const path = parsed.positional[0]!;
    const key = parsed.value('key');
    let source: CaptureSource;
    try {
      source = openCapture(path, key === undefined ? {} : { key });
    } catch (error) {
      if (error instanceof CaptureError) throw new UsageError(captureErrorLine(path, error));
      throw error;
    }
    const result = statsOfCapture(source);
    const out = new OutputSink(io.stdout);
    out.write(format === 'json' ? formatJson(result) : formatTable(result));
    await out.end();
    // As decode says it: a damaged capture and its KDNET datagrams in one line, then whether
    // anything was there to count at all.
    const kdnet = kdnetReport(result.capture);
    const line = oneLine(
      result.error && `${captureErrorLine(path, result.error)} (statistics cover what came before)`,
      kdnet.line,
    );
    if (line) io.stderr.write(`kdscope stats: ${line}\n`);
    if (kdnet.wrongKey) return EXIT_FAILURE;
    if (result.error) return EXIT_USAGE;
    const nothing = nothingToDecode(path, result.capture);
    if (nothing !== undefined) {
      io.stderr.write(`kdscope stats: ${nothing}\n`);
      return EXIT_USAGE;
    }
    return EXIT_OK;
  },
};
