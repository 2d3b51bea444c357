// The capture index and pager against a full decode: a seeded KD conversation with every kind
// of trouble is recorded to a real pcap/pcapng through the index's wrappers (checkpoints every
// few records, idle-time flushes at random), decoded in full along the way (records with their
// late updates applied); any page [from, from + count) read back from the file equals those
// rows, field for field. Without flushes, the full decode of the file by `kdscope decode`'s
// path agrees too.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapWriter } from '../../electron/capture/capture-writers';
import { Recorder } from '../../electron/engine/bridge/recorder';
import type { RecordSink } from '../../electron/engine/bridge/types';
import { indexRecording } from '../../electron/engine/session/capture-index';
import { CapturePager } from '../../electron/engine/session/capture-pager';
import { sessionBridgeDecoder } from '../../electron/engine/session/decoder';
import type { PacketRecord } from '../../protocol/session/record';
import { xorshift32 } from '../support/kd-gen';
import { cutSteps, generateKdSession } from '../support/kd-session-gen';
import { decodeCapture } from '../support/workbench-view';

const dir = mkdtempSync(join(tmpdir(), 'kdscope-pager-prop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let runs = 0;

function record(seed: number, every: number, flushPer1000: number, format: 'pcap' | 'pcapng') {
  const path = join(dir, `run-${++runs}.${format}`);
  const recorder = Recorder.open(path, format);
  recorder.bind({ report: () => undefined });
  const indexed = indexRecording(recorder, sessionBridgeDecoder({ keepBytes: {} }), every);
  const rows: PacketRecord[] = [];
  const sink: RecordSink = {
    record: (r) => void (rows[r.no - 1] = r),
    update: (r) => void (rows[r.no - 1] = r),
  };
  const rnd = xorshift32(seed ^ 0x1234);
  let time = 1_700_000_000_000;
  // The bridge hands the taps batches of chunks (one write each), then decodes them.
  const steps = cutSteps(generateKdSession(400, seed), seed + 1);
  for (let i = 0; i < steps.length;) {
    const batch = steps.slice(i, i + 1 + (rnd() % 6)).map((step) => {
      time += 0.125;
      return { dir: step.dir, timeUs: time * 1000, bytes: step.bytes };
    });
    i += batch.length;
    indexed.tap.write(batch);
    for (const chunk of batch)
      indexed.decoder.push(chunk.dir, chunk.bytes, chunk.timeUs / 1000, sink);
    if (rnd() % 1000 < flushPer1000) indexed.decoder.flush(sink);
  }
  indexed.decoder.end!(sink);
  indexed.tap.close();
  return { path, rows, pager: new CapturePager(indexed.index) };
}

describe('capture index + pager', () => {
  it('pages equal the full decode, anywhere, any size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 0, max: 200 }),
        fc.constantFrom('pcap' as const, 'pcapng' as const),
        fc.array(
          fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 300 })),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        (seed, every, flushPer1000, format, pages) => {
          const { rows, pager, path } = record(seed, every, flushPer1000, format);
          expect(pager.index.nextNo).toBe(rows.length + 1);
          expect(pager.index.checkpoints.length).toBeGreaterThan(1);
          for (const [where, count] of pages) {
            const from = 1 + Math.floor(where * (rows.length - 1));
            const page = pager.read(from, count);
            const want = rows.slice(from - 1, from - 1 + count);
            expect(page.records).toEqual(want);
            if (from - 1 + count <= rows.length) expect(page.missing).toBeUndefined();
            else expect(page.missing).toMatch(/not recorded/);
          }
          // The file's own decode numbers frames (the live decoder does not know them).
          if (flushPer1000 === 0) {
            const whole = decodeCapture(path).rows.map((r) => ({ ...r, frame: undefined }));
            expect(whole).toEqual(rows);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('stops paging at the last batch the file holds when a batched write fails', () => {
    // A reader that goes away: the batch's one write fails (EPIPE) after its chunks were
    // indexed; none of them may be paged from the file.
    const fifo = join(dir, 'gone.fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = PcapWriter.fromFd(openSync(fifo, constants.O_WRONLY), { closeFd: true });
    const recorder = new Recorder(writer, fifo);
    const reports: string[] = [];
    recorder.bind({ report: (line) => reports.push(line) });
    const indexed = indexRecording(recorder, sessionBridgeDecoder({ keepBytes: {} }), 4);
    const sink: RecordSink = { record: () => undefined, update: () => undefined };
    const steps = cutSteps(generateKdSession(40, 7), 8).map((step, i) => ({
      dir: step.dir,
      timeUs: 1_700_000_000_000_000 + i,
      bytes: step.bytes,
    }));
    const half = steps.length >> 1;
    indexed.tap.write(steps.slice(0, half));
    for (const c of steps.slice(0, half))
      indexed.decoder.push(c.dir, c.bytes, c.timeUs / 1000, sink);
    const framesBefore = indexed.index.frames;
    expect(framesBefore).toBe(writer.framesWritten);
    closeSync(reader);
    indexed.tap.write(steps.slice(half));
    for (const c of steps.slice(half)) indexed.decoder.push(c.dir, c.bytes, c.timeUs / 1000, sink);
    expect(recorder.recording).toBe(false);
    expect(reports).toEqual([
      expect.stringMatching(/^recording stopped \(the relay goes on\): .*EPIPE/),
    ]);
    expect(indexed.index.stopped).toMatch(/^recording stopped: .*EPIPE/);
    expect(indexed.index.frames).toBe(framesBefore);
    indexed.tap.close();
  });
});
