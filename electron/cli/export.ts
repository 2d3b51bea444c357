// `kdscope export`: re-writes a capture as the seed's pcap or as pcapng. Without a filter,
// every chunk becomes one frame as it was. With --filter, the capture is decoded and each
// matching record (packet, break-in or garbage run) becomes one frame holding exactly its
// bytes. A KDNET capture is written decrypted (--key K --decrypt), as the serial stream it
// carries: each KD packet re-framed as kdcom sends it, its 0xAA trailer put back
// (protocol/kdnet/serial-framing.ts), one frame per datagram in the seed's UDP wrap
// (51111 <-> 51112), so stock Wireshark with resources/wireshark/kdscope.lua reads it
// without a crypto library; what was no KD packet (a break-in, the target's 12-byte hello)
// goes as it was, and the dissector shows it as such.

import { resolve } from 'node:path';
import { CaptureError, CaptureWriteError } from '../capture/capture-error';
import { openCapture, type CaptureSource } from '../capture/capture-source';
import { openCaptureWriter } from '../capture/capture-writers';
import type { FrameWriter } from '../capture/frame-writer';
import type { Direction } from '../../protocol/kd/events';
import { createFilter, type CompiledFilter } from '../../protocol/filter/index';
import { describePacket } from '../../protocol/kd/payloads';
import { SessionDecoder } from '../../protocol/session/pipeline';
import type { PacketRecord } from '../../protocol/session/record';
import { SettleQueue } from '../../protocol/session/settle';
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
import { kdnetReport, oneLine } from './kdnet-report';

const USAGE = `usage: kdscope export CAPTURE --out FILE.pcap|FILE.pcapng [--filter EXPR]
                      [--key W.X.Y.Z --decrypt]

Writes CAPTURE (pcap, pcapng, .gz) as the seed's pcap (.pcap) or as pcapng (.pcapng).
Without --filter every chunk is one frame; with --filter (display-filter syntax,
e.g. 'type == STATE_MANIPULATE && !checksumOk') each matching packet, break-in or garbage run
is one frame holding exactly its bytes. A KDNET capture is written decrypted: --key K
--decrypt gives the KD stream it carries in the seed's format, which Wireshark reads with
resources/wireshark/kdscope.lua and no crypto library.`;

/**
 * One direction's stream bytes from the first a record may still need: appended as frames
 * are read, released as records pass (their offsets only grow), so what is kept is the settle
 * window, not the capture.
 */
class StreamWindow {
  private buf = new Uint8Array(1 << 16);
  /** Stream offset of buf[0]. */
  private base = 0;
  private used = 0;
  /** Bytes before this stream offset are no longer needed. */
  private keepFrom = 0;

  append(bytes: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.used + n > this.buf.length) this.makeRoom(n);
    this.buf.set(bytes.subarray(start, end), this.used);
    this.used += n;
  }

  release(offset: number): void {
    if (offset > this.keepFrom) this.keepFrom = offset;
  }

  /** Bytes [offset, offset + length), valid until the next append. */
  take(offset: number, length: number): Uint8Array {
    const at = offset - this.base;
    return this.buf.subarray(at, at + length);
  }

  private makeRoom(n: number): void {
    const drop = Math.min(this.keepFrom - this.base, this.used);
    const kept = this.used - drop;
    if (this.buf.length < kept + n) {
      const grown = new Uint8Array(2 * (kept + n));
      grown.set(this.buf.subarray(drop, this.used), 0);
      this.buf = grown;
    } else {
      this.buf.copyWithin(0, drop, this.used);
    }
    this.base += drop;
    this.used = kept;
  }
}

function captureFailure(path: string, error: CaptureError): string {
  const message = error.message.includes(path) ? error.message : `${path}: ${error.message}`;
  return error.offset !== undefined && !/\bbyte \d/.test(message)
    ? `${message} (byte offset ${error.offset})`
    : message;
}

// Both read the capture block by block (forEachRange), never all of it at once.

function exportChunks(source: CaptureSource, writer: FrameWriter): number {
  let frames = 0;
  source.forEachRange((dir, bytes, start, end, timeUs) => {
    writer.write({ dir, timeUs, bytes: bytes.subarray(start, end) });
    frames++;
  });
  return frames;
}

/** What `time` in a filter counts from: the first record, as the Time column of a capture. */
interface TimeOrigin {
  ms: number | undefined;
}

function exportMatching(
  source: CaptureSource,
  writer: FrameWriter,
  filter: CompiledFilter,
  origin: TimeOrigin,
  needsInfo: boolean,
): number {
  const streams: Record<Direction, StreamWindow> = {
    'debugger->target': new StreamWindow(),
    'target->debugger': new StreamWindow(),
  };
  let frames = 0;
  const pass = (record: PacketRecord): void => {
    origin.ms ??= record.time;
    const stream = streams[record.dir];
    stream.release(record.offset);
    if (!filter.matchRecord(record)) return;
    const bytes = stream.take(record.offset, record.length);
    writer.write({ dir: record.dir, timeUs: Math.round(record.time * 1000), bytes });
    frames++;
  };
  const holder: { queue?: SettleQueue } = {};
  const decoder = new SessionDecoder({
    onRecord: (record) => holder.queue!.add(record),
    // The one-line info is most of describing a packet; only a filter on it needs it.
    ...(needsInfo
      ? {}
      : { describe: (type, payload, dir) => describePacket(type, payload, dir, NO_INFO) }),
  });
  const queue = new SettleQueue(decoder.tracker, pass);
  holder.queue = queue;
  try {
    source.forEachRange((dir, bytes, start, end, timeUs, frame) => {
      streams[dir].append(bytes, start, end);
      decoder.pushRange(dir, bytes, start, end, timeUs / 1000, frame);
    });
  } finally {
    // What was read before a damaged part is still exported.
    decoder.end();
    queue.end();
  }
  return frames;
}

const NO_INFO = { info: false } as const;

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
    if (!/\.(pcap|pcapng)$/i.test(out))
      throw new UsageError(`--out must end in .pcap or .pcapng (got ${out})`);
    if (resolve(out) === resolve(input))
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
      if (error instanceof CaptureError) throw new UsageError(captureFailure(input, error));
      throw error;
    }
    let writer: FrameWriter;
    try {
      // Gathered writes: an export is a whole file, not a live recording.
      writer = openCaptureWriter(out, { bufferBytes: 1 << 20 });
    } catch (error) {
      if (error instanceof CaptureWriteError) throw new RuntimeError(error.message);
      throw error;
    }

    let failure: CaptureError | undefined;
    try {
      if (filter) exportMatching(source, writer, filter, origin, /info/i.test(expression ?? ''));
      else exportChunks(source, writer);
    } catch (error) {
      if (error instanceof CaptureError) failure = error;
      else if (error instanceof CaptureWriteError) throw new RuntimeError(error.message);
      else throw error;
    } finally {
      try {
        writer.close();
      } catch (error) {
        if (error instanceof CaptureWriteError && failure === undefined)
          // eslint-disable-next-line no-unsafe-finally
          throw new RuntimeError(error.message);
      }
    }
    // What the file holds (a damaged capture ends the loop before it counts; a chunk too large
    // for one frame is written as several).
    const frames = writer.framesWritten;
    // One line: what was written, and what went wrong with the capture or its KDNET datagrams.
    const kdnet = kdnetReport(source.stats);
    const line = failure
      ? oneLine(
          `${captureFailure(input, failure)}; wrote the ${frames} frames before it to ${out}`,
          kdnet.line,
        )
      : kdnet.wrongKey
        ? kdnet.line
        : oneLine(`wrote ${frames} frames to ${out}`, kdnet.line);
    io.stderr.write(`kdscope export: ${line}\n`);
    if (kdnet.wrongKey) return EXIT_FAILURE;
    return failure ? EXIT_USAGE : EXIT_OK;
  },
};
