// A SessionDecoder resumed from a checkpoint (taken where both framing decoders were idle) and
// fed the bytes that followed reports exactly the records the original did after that point:
// same numbers, flags, links (ack, pair, resendOf), RTTs. Over seeded KD conversations with
// retransmits, RESENDs, RESETs, unanswered requests, break-ins and noise, cut at random, with
// idle-time flushes (the bridge's tick) replayed where they happened.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SessionDecoder, type SessionCheckpoint } from '../../protocol/session/pipeline';
import type { PacketRecord } from '../../protocol/session/record';
import { xorshift32 } from '../support/kd-gen';
import { cutSteps, generateKdSession } from '../support/kd-session-gen';

describe('SessionDecoder checkpoints', () => {
  it('resume where the original left off, record for record', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.integer({ min: 0, max: 300 }),
        (seed, flushPer1000) => {
          const steps = cutSteps(generateKdSession(120, seed), seed ^ 0x5a5a);
          const rnd = xorshift32(seed + 7);
          const rows: PacketRecord[] = [];
          const original = new SessionDecoder({
            onRecord: (r) => rows.push(r),
            onUpdate: (r) => (rows[r.no - 1] = r),
          });
          const checkpoints: { at: number; checkpoint: SessionCheckpoint }[] = [];
          const flushAfter = new Set<number>();
          steps.forEach((step, i) => {
            if (original.idle) checkpoints.push({ at: i, checkpoint: original.checkpoint() });
            original.push(step.dir, step.bytes, 1000 + i * 0.25);
            if (rnd() % 1000 < flushPer1000) {
              original.flush();
              flushAfter.add(i);
            }
          });
          original.end();
          expect(checkpoints.length).toBeGreaterThan(1);
          // Every sixth checkpoint, and the last: each resume decodes the rest of the stream.
          const sample = checkpoints.filter((_, k) => k % 6 === 0 || k === checkpoints.length - 1);
          for (const { at, checkpoint } of sample) {
            const got: PacketRecord[] = [];
            const resumed = new SessionDecoder({
              resume: checkpoint,
              onRecord: (r) => got.push(r),
            });
            expect(resumed.nextNo).toBe(checkpoint.tracker.no + 1);
            for (let i = at; i < steps.length; i++) {
              resumed.push(steps[i]!.dir, steps[i]!.bytes, 1000 + i * 0.25);
              if (flushAfter.has(i)) resumed.flush();
            }
            resumed.end();
            expect(got).toEqual(rows.slice(checkpoint.tracker.no));
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('are small: a few numbers per direction and a stub per record still referred to', () => {
    const rows: PacketRecord[] = [];
    const decoder = new SessionDecoder({ onRecord: (r) => rows.push(r) });
    let largest = 0;
    for (const step of generateKdSession(5000, 3)) {
      if (decoder.idle) largest = Math.max(largest, JSON.stringify(decoder.checkpoint()).length);
      decoder.push(step.dir, step.bytes, 0);
    }
    expect(rows.length).toBeGreaterThan(10_000);
    // Up to 64 pending requests are remembered; a real session has one or two.
    expect(largest).toBeLessThan(16_000);
  });
});
