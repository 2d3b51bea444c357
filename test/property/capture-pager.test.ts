// The capture index and pager against a full decode: a seeded KD conversation with every kind
// of trouble is recorded to a real pcap/pcapng through the index's wrappers (checkpoints every
// few records, idle-time flushes at random), decoded in full along the way (records with their
// late updates applied); any page [from, from + count) read back from the file equals those
// rows, field for field. Without flushes, the full decode of the file by `kdscope decode`'s
// path agrees too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
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
  for (const step of cutSteps(generateKdSession(400, seed), seed + 1)) {
    time += 0.125;
    indexed.tap.write([{ dir: step.dir, timeUs: time * 1000, bytes: step.bytes }]);
    indexed.decoder.push(step.dir, step.bytes, time, sink);
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
});
