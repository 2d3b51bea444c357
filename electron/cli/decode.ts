// `kdscope decode`: a capture (pcap, pcapng, .gz, KDNET with --key) or two raw byte streams,
// through the session pipeline, printed as NDJSON or a packet table.

import { CaptureError, captureErrorLine } from '../capture/capture-error';
import { openCapture, openRawPair, type CaptureSource } from '../capture/capture-source';
import { describePacket } from '../../protocol/kd/payloads';
import { SessionDecoder } from '../../protocol/session/pipeline';
import type { PacketRecord } from '../../protocol/session/record';
import { SettleQueue } from '../../protocol/session/settle';
import { parseArgs } from './args';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, type CliIo, type Command } from './command';
import { nothingToDecode } from './nothing-to-decode';
import { NdjsonWriter, TableWriter, ndjsonSummary, tableSummary } from './decode-format';
import { kdnetReport, oneLine } from './kdnet-report';
import { OutputSink } from './output-sink';

const USAGE = `usage: kdscope decode CAPTURE [--key W.X.Y.Z] [--format ndjson|table]
       kdscope decode --debugger FILE --target FILE [--format ndjson|table]

Decodes every KD packet of a capture (pcap or pcapng, optionally .gz: the seed's UDP-wrapped
serial stream, or KDNET with its key) or of two raw byte streams, one per direction.
NDJSON (default): one object per packet, break-in or garbage run, then a summary line.`;

type Format = 'ndjson' | 'table';

interface DecodeRequest {
  readonly format: Format;
  open(): CaptureSource;
  readonly withTime: boolean;
  /** Names the input in error lines. */
  readonly label: string;
}

function parseRequest(args: readonly string[]): DecodeRequest {
  const parsed = parseArgs(args, { values: ['key', 'format', 'debugger', 'target'] });
  const format = parsed.value('format') ?? 'ndjson';
  if (format !== 'ndjson' && format !== 'table')
    throw new UsageError(`--format must be ndjson or table, not '${format}'`);
  const debuggerFile = parsed.value('debugger');
  const targetFile = parsed.value('target');
  const key = parsed.value('key');
  if (debuggerFile !== undefined || targetFile !== undefined) {
    if (debuggerFile === undefined || targetFile === undefined)
      throw new UsageError('raw streams need both --debugger FILE and --target FILE');
    if (parsed.positional.length > 0)
      throw new UsageError('give either a CAPTURE or --debugger/--target, not both');
    if (key !== undefined)
      throw new UsageError('--key applies to a KDNET capture, not raw streams');
    return {
      format,
      withTime: false,
      label: `${debuggerFile} + ${targetFile}`,
      open: () => openRawPair(debuggerFile, targetFile),
    };
  }
  if (parsed.positional.length !== 1)
    throw new UsageError(
      parsed.positional.length === 0
        ? 'which capture? (kdscope decode CAPTURE, or --debugger FILE --target FILE)'
        : `one capture at a time (got ${parsed.positional.length})`,
    );
  const path = parsed.positional[0]!;
  return {
    format,
    withTime: true,
    label: path,
    open: () => openCapture(path, key === undefined ? {} : { key }),
  };
}

/** Thrown from inside the capture loop when the reader of our output went away. */
class OutputClosed extends Error {}

const NO_INFO = { info: false } as const;

export const decodeCommand: Command = {
  name: 'decode',
  usage: USAGE,
  synchronous: true,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const request = parseRequest(args);
    let source: CaptureSource;
    try {
      source = request.open();
    } catch (error) {
      if (error instanceof CaptureError)
        throw new UsageError(captureErrorLine(request.label, error));
      throw error;
    }

    const out = new OutputSink(io.stdout);
    const withTime = request.withTime;
    let print: (record: PacketRecord) => void;
    if (request.format === 'ndjson') {
      const ndjson = new NdjsonWriter(out, withTime);
      print = (record) => ndjson.record(record);
    } else {
      const table = new TableWriter(out, withTime);
      table.header();
      print = (record) => table.record(record);
    }
    const holder: { queue?: SettleQueue } = {};
    const decoder = new SessionDecoder({
      onRecord: (record) => holder.queue!.add(record),
      // NDJSON prints the typed fields only; the table shows the one-line info.
      ...(request.format === 'ndjson'
        ? { describe: (type, payload, dir) => describePacket(type, payload, dir, NO_INFO) }
        : {}),
    });
    const queue = new SettleQueue(decoder.tracker, print);
    holder.queue = queue;

    // Reading AbortSignal.aborted per chunk costs more than decoding a small chunk.
    let stop = io.signal.aborted;
    const onAbort = (): void => {
      stop = true;
    };
    io.signal.addEventListener('abort', onAbort);
    let failure: CaptureError | undefined;
    try {
      source.forEachRange((dir, bytes, start, end, timeUs, frame) => {
        decoder.pushRange(dir, bytes, start, end, timeUs / 1000, frame);
        if (stop || out.closed) throw new OutputClosed();
      });
    } catch (error) {
      if (error instanceof CaptureError) failure = error;
      else if (!(error instanceof OutputClosed)) throw error;
    }
    io.signal.removeEventListener('abort', onAbort);
    if (out.closed) return EXIT_OK;
    decoder.end();
    queue.end();

    const stats = source.stats;
    const summary = decoder.summary();
    if (request.format === 'ndjson') {
      out.write(
        ndjsonSummary(summary, {
          capture: {
            format: stats.format,
            compressed: stats.compressed,
            frames: stats.frames,
            chunks: stats.chunks,
            skippedFrames: stats.skipped,
            skippedBy: stats.skippedBy,
            ...(stats.kdnet ? { kdnet: stats.kdnet } : {}),
          },
          ...(failure ? { error: captureErrorLine(request.label, failure) } : {}),
        }),
      );
    } else {
      out.write(tableSummary(summary));
    }
    await out.end();

    // One line at most: a damaged capture and rejected datagrams are said together.
    const kdnet = kdnetReport(stats);
    const line = oneLine(failure && captureErrorLine(request.label, failure), kdnet.line);
    if (line) io.stderr.write(`kdscope decode: ${line}\n`);
    if (kdnet.wrongKey) return EXIT_FAILURE;
    if (failure) return EXIT_USAGE;
    const nothing = nothingToDecode(request.label, stats);
    if (nothing !== undefined) {
      io.stderr.write(`kdscope decode: ${nothing}\n`);
      return EXIT_USAGE;
    }
    return EXIT_OK;
  },
};
