// Paging deep into an opened capture whose reads were cut at random sizes (1-900 bytes, as a
// relay's socket reads are; issue 12.4): the file is indexed as the workbench reads it, then
// pages of 256 rows at 16 places spread over the capture are decoded back from the file. The baseline, in the
// same run on the same file, is the index as it was: checkpoints only where both directions'
// framing decoders were idle at once (seldom, with such reads: a page decodes from far back).
// Also printed: checkpoints taken, and their size (structured-clone bytes, what a worker would
// post), the framing decoders' part (carried packet bytes included) apart from the tracker's.
//
// KDSCOPE_BENCH_MB=8   megabytes of KD stream per direction (default 8: a ~18 MB capture)

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { openCapture } from '../../electron/capture/capture-source';
import type { RecordSink } from '../../electron/engine/bridge/types';
import { indexReading } from '../../electron/engine/session/capture-index';
import { CapturePager } from '../../electron/engine/session/capture-pager';
import { sessionBridgeDecoder, type IndexableDecoder } from '../../electron/engine/session/decoder';
import type { SessionDecoder } from '../../protocol/session/pipeline';
import { writeGeneratedSession } from '../support/pcap-fixtures';

const EVERY = 8192;
const PAGE_ROWS = 256;
const POSITIONS = 16;

const NO_SINK: RecordSink = { record: () => undefined, update: () => undefined };

/** The decoder's checkpoints as the index took them before: only where both sides were idle. */
function idleOnly(decoder: IndexableDecoder): IndexableDecoder {
  const session = decoder.checkpoints as SessionDecoder;
  return {
    ...decoder,
    checkpoints: {
      get canCheckpoint() {
        return session.idle;
      },
      get nextNo() {
        return session.nextNo;
      },
      get pending() {
        return session.pending;
      },
      checkpoint: () => session.checkpoint(),
    },
  };
}

function indexFile(path: string, baseline: boolean) {
  const plain = sessionBridgeDecoder();
  const decoder = baseline ? idleOnly(plain) : plain;
  const indexer = indexReading(path, decoder, EVERY);
  const sink = indexer.sink(NO_SINK);
  const t0 = performance.now();
  const reader = openCapture(path).reader((dir, bytes, start, end, timeUs, frame) => {
    indexer.beforeChunk(reader.offset, frame!);
    decoder.push(dir, bytes.subarray(start, end), timeUs / 1000, sink, frame);
  });
  try {
    while (reader.step(4096)) indexer.covered(reader.offset);
    indexer.covered(reader.offset);
  } finally {
    reader.close();
  }
  decoder.end!(sink);
  indexer.ended();
  return { index: indexer.index, ms: performance.now() - t0 };
}

/** Pages of PAGE_ROWS rows at POSITIONS places spread over the capture: mean and worst time. */
function pages(pager: CapturePager, records: number): { mean: number; worst: number } {
  const times: number[] = [];
  for (let k = 0; k < POSITIONS; k++) {
    const from = 1 + Math.floor(((k + 0.5) / POSITIONS) * (records - PAGE_ROWS));
    const t0 = performance.now();
    const got = pager.read(from, PAGE_ROWS).records.length;
    times.push(performance.now() - t0);
    if (got !== PAGE_ROWS) throw new Error(`page at ${from}: ${got} rows`);
  }
  return { mean: times.reduce((a, b) => a + b, 0) / times.length, worst: Math.max(...times) };
}

export async function run(): Promise<void> {
  const mb = Number(process.env.KDSCOPE_BENCH_MB ?? 8);
  const dir = mkdtempSync(join(tmpdir(), 'kdscope-bench-paging-'));
  try {
    const path = writeGeneratedSession(join(dir, 'random-reads.pcap'), mb * 1024 * 1024, 11, 900);
    const size = statSync(path).size / (1024 * 1024);
    // Each indexed twice, alternately: the second build of each is timed warm.
    indexFile(path, true);
    indexFile(path, false);
    const before = indexFile(path, true);
    const after = indexFile(path, false);
    const records = after.index.nextNo - 1;
    const old = pages(new CapturePager(before.index, { frames: true }), records);
    const now = pages(new CapturePager(after.index, { frames: true }), records);
    const shown = (p: { mean: number; worst: number }): string =>
      `${p.mean.toFixed(1)} ms on average, ${p.worst.toFixed(1)} ms at worst`;
    console.log(
      `capture ${size.toFixed(1)} MB, ${records} records, reads of 1-900 bytes; a checkpoint every ${EVERY} records; ` +
        `pages of ${PAGE_ROWS} rows at ${POSITIONS} places`,
    );
    console.log(
      `idle-only checkpoints (baseline): ${before.index.checkpoints.length} checkpoints (index built in ${before.ms.toFixed(0)} ms); ` +
        `a page: ${shown(old)}`,
    );
    console.log(
      `checkpoints at any chunk boundary:  ${after.index.checkpoints.length} checkpoints (index built in ${after.ms.toFixed(0)} ms, ` +
        `${(after.ms / before.ms).toFixed(2)}x); a page: ${shown(now)} ` +
        `(${(old.mean / now.mean).toFixed(1)}x faster on average, ${(old.worst / now.worst).toFixed(1)}x at worst)`,
    );
    // The framing part (what this index adds to the tracker's state) and the tracker's part (a
    // stub per request awaiting its reply: this generated stream leaves the 64 remembered full,
    // a real session has one or two).
    const list = after.index.checkpoints.map((c) => c.resume);
    const framing = list.map(({ tracker: _, ...rest }) => serialize(rest).length);
    const tracker = list.map((c) => serialize(c.tracker).length);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const carrying = list.filter((c) =>
      Object.values(c.streams).some((s) => s.decoder.carried !== undefined),
    ).length;
    const carried = mean(
      list.map((c) =>
        Object.values(c.streams).reduce((n, s) => n + (s.decoder.carried?.length ?? 0), 0),
      ),
    );
    console.log(
      `checkpoint size (structured clone): framing state ${mean(framing).toFixed(0)} bytes on average ` +
        `(${Math.max(...framing)} at most; ${carrying} of ${list.length} hold part of a packet, ` +
        `${carried.toFixed(0)} bytes of packets on average), tracker state ${mean(tracker).toFixed(0)} bytes ` +
        `(${mean(list.map((c) => c.tracker.pending.length)).toFixed(0)} requests awaiting replies)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
