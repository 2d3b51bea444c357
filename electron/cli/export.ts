// `kdscope export`: re-writes a capture as the seed's pcap or as pcapng. Without a filter,
// every chunk becomes one frame as it was (a KDNET capture comes out decrypted, as the
// serial stream it carries). With --filter, the capture is decoded and each matching record
// (packet, break-in or garbage run) becomes one frame holding exactly its bytes.

import { resolve } from 'node:path';
import { CaptureError, CaptureWriteError } from '../capture/capture-error';
import { openCapture, type CaptureSource } from '../capture/capture-source';
import { CaptureExport } from '../capture/export-capture';
import { createFilter, type CompiledFilter } from '../../protocol/filter/index';
import { parseArgs } from './args';
import { EXIT_OK, EXIT_USAGE, RuntimeError, UsageError, type CliIo, type Command } from './command';

const USAGE = `usage: kdscope export CAPTURE --out FILE.pcap|FILE.pcapng [--filter EXPR] [--key W.X.Y.Z]

Writes CAPTURE (pcap, pcapng, .gz; KDNET with --key) as the seed's pcap (.pcap) or as pcapng
(.pcapng). Without --filter every chunk is one frame; with --filter (display-filter syntax,
e.g. 'type == STATE_MANIPULATE && !checksumOk') each matching packet, break-in or garbage run
is one frame holding exactly its bytes.`;

function captureFailure(path: string, error: CaptureError): string {
  const message = error.message.includes(path) ? error.message : `${path}: ${error.message}`;
  return error.offset !== undefined && !/\bbyte \d/.test(message)
    ? `${message} (byte offset ${error.offset})`
    : message;
}

export const exportCommand: Command = {
  name: 'export',
  usage: USAGE,
  synchronous: true,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgs(args, { values: ['out', 'filter', 'key'] });
    if (parsed.positional.length !== 1)
      throw new UsageError(
        parsed.positional.length === 0
          ? 'which capture? (kdscope export CAPTURE --out FILE)'
          : 'one capture at a time',
      );
    const input = parsed.positional[0]!;
    const out = parsed.value('out');
    if (out === undefined) throw new UsageError('--out FILE.pcap or --out FILE.pcapng is needed');
    if (!/\.(pcap|pcapng)$/i.test(out))
      throw new UsageError(`--out must end in .pcap or .pcapng (got ${out})`);
    if (resolve(out) === resolve(input))
      throw new UsageError('--out is the capture being read; write to another file');
    let filter: CompiledFilter | undefined;
    const expression = parsed.value('filter');
    if (expression !== undefined) {
      const made = createFilter(expression);
      if (!made.ok)
        throw new UsageError(
          `--filter: ${made.error.message} at column ${made.error.start + 1}: ${expression}`,
        );
      filter = made.filter;
    }
    const key = parsed.value('key');

    let source: CaptureSource;
    try {
      source = openCapture(input, key === undefined ? {} : { key });
    } catch (error) {
      if (error instanceof CaptureError) throw new UsageError(captureFailure(input, error));
      throw error;
    }
    let job: CaptureExport;
    try {
      job = new CaptureExport({
        source,
        out,
        format: /\.pcapng$/i.test(out) ? 'pcapng' : 'pcap',
        choice: filter
          ? {
              kind: 'records',
              select: (record) => filter.matchRecord(record),
              settled: true,
              describe: true,
            }
          : { kind: 'all' },
        stepFrames: 1 << 30,
      });
    } catch (error) {
      if (error instanceof CaptureWriteError) throw new RuntimeError(error.message);
      throw error;
    }

    let failure: CaptureError | undefined;
    try {
      while (job.step());
      failure = job.outcome().failure;
    } catch (error) {
      if (error instanceof CaptureWriteError) throw new RuntimeError(error.message);
      throw error;
    } finally {
      try {
        job.close();
      } catch (error) {
        if (error instanceof CaptureWriteError && failure === undefined)
          // eslint-disable-next-line no-unsafe-finally
          throw new RuntimeError(error.message);
      }
    }
    // What the file holds (a damaged capture ends the loop before it counts; a chunk too large
    // for one frame is written as several).
    const frames = job.framesWritten;
    const noKey = source.stats.skippedBy['kdnet-no-key'] ?? 0;
    if (noKey > 0)
      io.stderr.write(
        `kdscope export: ${noKey} KDNET datagrams skipped: give the key with --key W.X.Y.Z\n`,
      );
    if (failure) {
      io.stderr.write(
        `kdscope export: ${captureFailure(input, failure)}; wrote the ${frames} frames before it to ${out}\n`,
      );
      return EXIT_USAGE;
    }
    io.stderr.write(`kdscope export: wrote ${frames} frames to ${out}\n`);
    return EXIT_OK;
  },
};
