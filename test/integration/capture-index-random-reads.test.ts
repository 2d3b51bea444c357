// Checkpoints where reads were cut at random sizes (1-900 bytes, as a relay's socket reads are):
// both directions' framing decoders are seldom idle at once, so checkpoints are taken mid-packet
// and mid-run, one per `every` records, and pages decoded from them (rows and bytes) equal a
// full decode. For an opened capture (the workbench's reading path) and for a live session's
// recording (the recorder and decoder wrapped by indexRecording, fed the same chunks).
import { afterAll, describe, expect, it } from 'vitest';
import { openCapture } from '../../electron/capture/capture-source';
import { Recorder } from '../../electron/engine/bridge/recorder';
import type { RecordSink } from '../../electron/engine/bridge/types';
import {
  CHEAP_PENDING,
  indexRecording,
  type CaptureIndex,
  type Checkpoint,
} from '../../electron/engine/session/capture-index';
import { CapturePager } from '../../electron/engine/session/capture-pager';
import { sessionBridgeDecoder } from '../../electron/engine/session/decoder';
import {
  CaptureReading,
  openForView,
  sourceSpec,
} from '../../electron/engine/workbench/capture-reading';
import type { PacketRecord } from '../../protocol/session/record';
import { makeTempDir, writeGeneratedSession } from '../support/pcap-fixtures';
import { decodeCapture } from '../support/workbench-view';

const tmp = makeTempDir('kdscope-random-reads-');
afterAll(() => tmp.cleanup());

const EVERY = 100;

/** About one checkpoint per EVERY records: a chunk adds a few records past the mark at most. */
function expectCheckpointsEvery(index: CaptureIndex, records: number): void {
  const list = index.checkpoints;
  expect(list.length).toBeGreaterThanOrEqual(Math.floor((0.85 * records) / EVERY));
  expect(list.length).toBeLessThanOrEqual(Math.ceil(records / EVERY) + 1);
  for (let k = 1; k < list.length; k++) {
    expect(list[k]!.no - list[k - 1]!.no).toBeGreaterThanOrEqual(EVERY);
    expect(list[k]!.no - list[k - 1]!.no).toBeLessThan(EVERY + 100);
  }
  // Most were taken with something pending in a direction (what idle-only checkpoints missed);
  // one that holds more than a header or small packet only when no cheaper boundary came soon.
  const carried = (c: Checkpoint): number =>
    Object.values(c.resume.streams).reduce((n, s) => n + (s.decoder.carried?.length ?? 0), 0);
  expect(list.filter((c) => carried(c) > 0).length).toBeGreaterThan(list.length / 4);
  for (let k = 1; k < list.length; k++) {
    if (carried(list[k]!) > CHEAP_PENDING)
      expect(list[k]!.no - list[k - 1]!.no).toBeGreaterThanOrEqual(EVERY + (EVERY >> 4));
  }
}

/**
 * Pages of odd sizes over every row, and from every checkpoint (and the rows around it), against
 * `full`: the late links (a reply long after its request) the index kept included.
 */
function expectPagesEqual(pager: CapturePager, full: readonly PacketRecord[]): void {
  for (let from = 1; from <= full.length; from += 777) {
    const page = pager.read(from, 777);
    expect(page.records, `page at ${from}`).toEqual(full.slice(from - 1, from - 1 + 777));
  }
  for (const checkpoint of pager.index.checkpoints) {
    for (const from of [checkpoint.no - 3, checkpoint.no, checkpoint.no + 101]) {
      if (from < 1 || from > full.length) continue;
      const page = pager.read(from, 37);
      const want = full.slice(from - 1, from - 1 + 37);
      expect(page.records, `page at ${from}`).toEqual(want);
    }
  }
}

describe('checkpoints with reads cut at random sizes', () => {
  for (const format of ['pcap', 'pcapng'] as const) {
    it(`${format}: an opened capture gets one per ${EVERY} records; pages and bytes equal a full decode`, async () => {
      const path = writeGeneratedSession(tmp.file(`random.${format}`), 400_000, 21, 900, format);
      const full = decodeCapture(path).rows;
      expect(full.length).toBeGreaterThan(10 * EVERY);
      const spec = sourceSpec({ path });
      const reading = new CaptureReading(spec, openForView(spec), EVERY);
      const rows: PacketRecord[] = [];
      const end = await reading.run({
        record: (r) => void (rows[r.no - 1] = r),
        update: (r) => void (rows[r.no - 1] = r),
        progress: () => undefined,
      });
      expect(end.problem).toBeUndefined();
      expect(rows).toEqual(full);
      const pager = reading.pager!;
      expectCheckpointsEvery(pager.index, full.length);
      expectPagesEqual(pager, full);
      // A record that began before its checkpoint has its bytes read from an earlier one; the
      // decoder kept every record's bytes of this small capture to compare with.
      for (const checkpoint of pager.index.checkpoints) {
        for (const no of [checkpoint.no - 1, checkpoint.no, checkpoint.no + 1]) {
          if (no < 1 || no > full.length) continue;
          const got = pager.bytes(no);
          const kept = reading.decoder.recordBytes(no);
          expect(kept).not.toBeNull();
          expect(got, `bytes of ${no}`).toEqual(kept);
        }
      }
    });
  }

  it(`a live session's recording gets one per ${EVERY} records; pages equal its rows`, () => {
    const source = writeGeneratedSession(tmp.file('source.pcap'), 300_000, 9, 900, 'pcap');
    const recorder = Recorder.open(tmp.file('live.pcapng'), 'pcapng');
    recorder.bind({ report: () => undefined });
    const indexed = indexRecording(recorder, sessionBridgeDecoder({ keepBytes: {} }), EVERY);
    const rows: PacketRecord[] = [];
    const sink: RecordSink = {
      record: (r) => void (rows[r.no - 1] = r),
      update: (r) => void (rows[r.no - 1] = r),
    };
    let flushes = 0;
    openCapture(source).forEach((chunk) => {
      indexed.tap.write([chunk]);
      indexed.decoder.push(chunk.dir, chunk.bytes, chunk.timeUs / 1000, sink);
      // The bridge's idle-time flush now and then, mid-packet or mid-run too.
      if (chunk.frame! % 97 === 0) {
        indexed.decoder.flush(sink);
        flushes++;
      }
    });
    indexed.decoder.end!(sink);
    indexed.tap.close();
    expect(flushes).toBeGreaterThan(10);
    const pager = new CapturePager(indexed.index);
    expect(pager.index.nextNo).toBe(rows.length + 1);
    expectCheckpointsEvery(pager.index, rows.length);
    expectPagesEqual(pager, rows);
  });
});
