// A SessionDecoder resumed from a checkpoint (taken between any two chunks, mid-packet or mid
// run included) and fed the bytes that followed reports exactly the records the original did
// after that point: same numbers, flags, links (ack, pair, resendOf), RTTs, times and capture
// frames. Over seeded KD conversations with retransmits, RESENDs, RESETs, unanswered requests,
// break-ins and noise, cut at random, with idle-time flushes (the bridge's tick) replayed where
// they happened.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_CHECKPOINT_FRAMES,
  SessionDecoder,
  type SessionCheckpoint,
} from '../../protocol/session/pipeline';
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
          // Frame numbers as an opened capture gives them (some chunks share one).
          const frames: number[] = [];
          steps.forEach((_, i) => frames.push(i === 0 ? 1 : frames[i - 1]! + (rnd() % 4 ? 1 : 0)));
          const rows: PacketRecord[] = [];
          const original = new SessionDecoder({
            onRecord: (r) => rows.push(r),
            onUpdate: (r) => (rows[r.no - 1] = r),
          });
          const checkpoints: { at: number; checkpoint: SessionCheckpoint }[] = [];
          const flushAfter = new Set<number>();
          steps.forEach((step, i) => {
            if (original.canCheckpoint)
              checkpoints.push({ at: i, checkpoint: original.checkpoint() });
            original.push(step.dir, step.bytes, 1000 + i * 0.25, frames[i]);
            if (rnd() % 1000 < flushPer1000) {
              original.flush();
              flushAfter.add(i);
            }
          });
          original.end();
          expect(checkpoints.length).toBe(steps.length);
          // Every eighth checkpoint, some more mid-packet ones, and the last: each resume
          // decodes the rest of the stream.
          const sample = checkpoints.filter(
            ({ checkpoint: c }, k) =>
              k % 8 === 0 ||
              k === checkpoints.length - 1 ||
              (k % 8 === 4 && !!c.streams['target->debugger'].decoder.carried),
          );
          expect(
            sample.some(({ checkpoint: c }) => !!c.streams['debugger->target'].decoder.carried),
          ).toBe(true);
          for (const { at, checkpoint } of sample) {
            const got: PacketRecord[] = [];
            const resumed = new SessionDecoder({
              resume: checkpoint,
              onRecord: (r) => got.push(r),
            });
            expect(resumed.nextNo).toBe(checkpoint.tracker.no + 1);
            for (let i = at; i < steps.length; i++) {
              resumed.push(steps[i]!.dir, steps[i]!.bytes, 1000 + i * 0.25, frames[i]);
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

  it('are small: a few numbers per direction, a stub per record still referred to, and the bytes of a packet mid-flight', () => {
    const rows: PacketRecord[] = [];
    const decoder = new SessionDecoder({ onRecord: (r) => rows.push(r) });
    // Typed arrays count their bytes; the rest its JSON text.
    const size = (c: SessionCheckpoint): number => {
      let arrays = 0;
      const text = JSON.stringify(c, (_, v: unknown) => {
        if (!ArrayBuffer.isView(v)) return v;
        arrays += v.byteLength;
        return 0;
      });
      return text.length + arrays;
    };
    let largest = 0;
    let carrying = 0;
    for (const step of cutSteps(generateKdSession(5000, 3), 4)) {
      const checkpoint = decoder.checkpoint();
      const carried = Object.values(checkpoint.streams).reduce(
        (n, s) => n + (s.decoder.carried?.length ?? 0),
        0,
      );
      if (carried > 0) carrying++;
      largest = Math.max(largest, size(checkpoint) - carried);
      expect(carried).toBeLessThanOrEqual(2 * (16 + 4000 + 1));
      decoder.push(step.dir, step.bytes, 0);
    }
    expect(rows.length).toBeGreaterThan(10_000);
    expect(carrying).toBeGreaterThan(1000);
    // Up to 64 pending requests are remembered; a real session has one or two.
    expect(largest).toBeLessThan(16_000);
  });

  it('wait for a later chunk when what is pending came in more than MAX_CHECKPOINT_FRAMES frames', () => {
    const decoder = new SessionDecoder({ onRecord: () => undefined });
    const dir = 'target->debugger';
    let frame = 0;
    // A noise run a byte a frame: each frame it spans is held until the run is reported.
    for (let i = 0; i < MAX_CHECKPOINT_FRAMES; i++) decoder.push(dir, Uint8Array.of(7), 0, ++frame);
    expect(decoder.canCheckpoint).toBe(true);
    expect(decoder.checkpoint().streams[dir].frames!.length).toBe(2 * MAX_CHECKPOINT_FRAMES);
    decoder.push(dir, Uint8Array.of(7), 0, ++frame);
    expect(decoder.canCheckpoint).toBe(false);
    // The other direction speaks: the run is reported, nothing is pending any more.
    decoder.push('debugger->target', new Uint8Array(0), 0, frame + 1);
    expect(decoder.canCheckpoint).toBe(true);
    expect(decoder.checkpoint().streams[dir].frames!.length).toBe(2);
  });
});
