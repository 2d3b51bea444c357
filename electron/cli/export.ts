// `kdscope export`: re-writes a capture as the seed's pcap or as pcapng. Without a filter,
// every chunk becomes one frame as it was. With --filter, the capture is decoded and each
// matching record (packet, break-in or garbage run) becomes one frame holding exactly its
// bytes. A KDNET capture is written decrypted (--key K --decrypt), as the serial stream it
// carries: each KD packet re-framed as kdcom sends it, its 0xAA trailer put back
// (protocol/kdnet/serial-framing.ts), one frame per datagram in the seed's UDP wrap
// (51111 <-> 51112), so stock Wireshark with resources/wireshark/kdscope.lua reads it
// without a crypto library; what was no KD packet (a break-in, the target's 12-byte hello)
// goes as it was, and the dissector shows it as such.

import { renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CaptureError, CaptureWriteError, captureErrorLine } from '../capture/capture-error';
import { openCapture, type CaptureSource } from '../capture/capture-source';
import { CaptureExport } from '../capture/export-capture';
import { createFilter, type CompiledFilter } from '../../protocol/filter/index';
import { parseArgs } from './args';
import {
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  RuntimeError,
  UsageError,
  type CliIo,
  type Command,
} from './command';
import { captureFormatOf } from './capture-format';
import { kdnetReport, oneLine } from './kdnet-report';
import { nothingToExport } from './nothing-to-decode';

const USAGE = `usage: kdscope export CAPTURE --out FILE.pcap|FILE.pcapng [--filter EXPR]
                      [--key W.X.Y.Z --decrypt]

Writes CAPTURE (pcap, pcapng, .gz) as the seed's pcap (.pcap) or as pcapng (.pcapng).
Without --filter every chunk is one frame; with --filter (display-filter syntax,
e.g. 'type == STATE_MANIPULATE && !checksumOk') each matching packet, break-in or garbage run
is one frame holding exactly its bytes. A KDNET capture is written decrypted: --key K
--decrypt gives the KD stream it carries in the seed's format, which Wireshark reads with
resources/wireshark/kdscope.lua and no crypto library.`;

/** The same file, by name or through a link (same device and inode). */
function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  const sa = statSync(a, { throwIfNoEntry: false });
  const sb = statSync(b, { throwIfNoEntry: false });
  return sa !== undefined && sb !== undefined && sa.dev === sb.dev && sa.ino === sb.ino;
}

/**
 * Where the export is written until it is whole: beside FILE (same file system, so the rename
 * is atomic), hidden. A file already at FILE is replaced only by an export that succeeded.
 */
function partPath(out: string): string {
  return join(dirname(resolve(out)), `.${basename(out)}.${process.pid}.part`);
}

/** What `time` in a filter counts from: the first record, as the Time column of a capture. */
interface TimeOrigin {
  ms: number | undefined;
}

export const exportCommand: Command = {
  name: 'export',
  usage: USAGE,
  synchronous: true,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgs(args, { values: ['out', 'filter', 'key'], booleans: ['decrypt'] });
    if (parsed.positional.length !== 1)
      throw new UsageError(
        parsed.positional.length === 0
          ? 'which capture? (kdscope export CAPTURE --out FILE)'
          : 'one capture at a time',
      );
    const input = parsed.positional[0]!;
    const out = parsed.value('out');
    if (out === undefined) throw new UsageError('--out FILE.pcap or --out FILE.pcapng is needed');
    const format = captureFormatOf('out', out);
    if (sameFile(out, input))
      throw new UsageError('--out is the capture being read; write to another file');
    let filter: CompiledFilter | undefined;
    const origin: TimeOrigin = { ms: undefined };
    const expression = parsed.value('filter');
    if (expression !== undefined) {
      const made = createFilter(expression, { timeOrigin: () => origin.ms ?? 0 });
      if (!made.ok)
        throw new UsageError(
          `--filter: ${made.error.message} at column ${made.error.start + 1}: ${expression}`,
        );
      filter = made.filter;
    }
    const key = parsed.value('key');
    // Writing a KDNET session in clear is asked for in so many words.
    if (key !== undefined && !parsed.booleans.has('decrypt'))
      throw new UsageError(
        '--key writes a KDNET capture decrypted: add --decrypt (kdscope export CAPTURE --key K --decrypt --out F)',
      );
    if (key === undefined && parsed.booleans.has('decrypt'))
      throw new UsageError('--decrypt needs the KDNET key: --key W.X.Y.Z');

    let source: CaptureSource;
    try {
      source = openCapture(input, key === undefined ? {} : { key });
    } catch (error) {
      if (error instanceof CaptureError) throw new UsageError(captureErrorLine(input, error));
      throw error;
    }
    const part = partPath(out);
    // Errors name the file the user asked for, not the part file.
    const writeFailure = (error: CaptureWriteError): RuntimeError =>
      new RuntimeError(error.message.split(part).join(out));
    let job: CaptureExport;
    try {
      job = new CaptureExport({
        source,
        out: part,
        format,
        choice: filter
          ? {
              kind: 'records',
              select: (record) => {
                origin.ms ??= record.time;
                return filter.matchRecord(record);
              },
              settled: true,
              // The one-line info is most of describing a packet; only a filter on it needs it.
              describe: /info/i.test(expression ?? '') ? 'full' : 'fields',
            }
          : { kind: 'all' },
        stepFrames: 1 << 30,
      });
    } catch (error) {
      rmSync(part, { force: true });
      if (error instanceof CaptureWriteError) throw writeFailure(error);
      throw error;
    }

    let failure: CaptureError | undefined;
    let whole = false;
    try {
      try {
        while (job.step());
        failure = job.outcome().failure;
      } finally {
        job.close();
      }
      whole = true;
    } catch (error) {
      if (error instanceof CaptureWriteError) throw writeFailure(error);
      throw error;
    } finally {
      if (!whole) rmSync(part, { force: true });
    }
    const kdnet = kdnetReport(source.stats);
    // Nothing of the capture could be written: exit 2, as decode's "nothing to decode".
    const nothing = failure || kdnet.wrongKey ? undefined : nothingToExport(input, source.stats);
    // A wrong key decrypts nothing, and nothing is nothing: what was at --out stays.
    if (kdnet.wrongKey || nothing) rmSync(part, { force: true });
    else {
      try {
        renameSync(part, out);
      } catch (error) {
        rmSync(part, { force: true });
        throw new RuntimeError(`cannot write ${out}: ${(error as Error).message}`);
      }
    }
    // What the file holds (a damaged capture ends the loop before it counts; a chunk too large
    // for one frame is written as several).
    const frames = job.framesWritten;
    // One line: what was written, and what went wrong with the capture or its KDNET datagrams.
    const line = nothing
      ? `${nothing}; ${out} was not written`
      : failure
        ? oneLine(
            `${captureErrorLine(input, failure)}; wrote the ${frames} frames before it to ${out}`,
            kdnet.line,
          )
        : kdnet.wrongKey
          ? kdnet.line
          : oneLine(`wrote ${frames} frames to ${out}`, kdnet.line);
    io.stderr.write(`kdscope export: ${line}\n`);
    if (kdnet.wrongKey) return EXIT_FAILURE;
    return failure || nothing ? EXIT_USAGE : EXIT_OK;
  },
};
