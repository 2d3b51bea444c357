// A KdStreamDecoder resumed from a snapshot taken at any cut of the stream (mid-packet, mid
// noise run, mid leader or break-in run) emits exactly the events the uninterrupted decoder
// emitted after that cut: over generated streams of packets (some corrupt or truncated), noise
// and break-ins, cut anywhere, with flushes at random cuts, small noise limits, and payloads
// borrowed or copied. The snapshot is resumed after the original has decoded on (and reused
// its buffers), twice: it is a copy that nothing changes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KdStreamDecoder, type KdDecoderSnapshot } from '../../protocol/kd/decoder';
import type { KdEvent } from '../../protocol/kd/events';
import { arbCuts, arbStream, buildStream, splitAt } from '../support/kd-gen';

/** Events with their payloads copied (a borrowed payload is valid only during emit). */
function collector(): { events: KdEvent[]; emit: (e: KdEvent) => void } {
  const events: KdEvent[] = [];
  const emit = (e: KdEvent): void => {
    events.push(e.kind === 'packet' ? { ...e, payload: e.payload.slice() } : e);
  };
  return { events, emit };
}

describe('KdStreamDecoder snapshots', () => {
  it('resume at any cut with the events the uninterrupted decoder emits after it', () => {
    fc.assert(
      fc.property(
        arbStream(10, 300).chain((stream) => {
          const { bytes } = buildStream(stream.items, stream.truncateBy);
          return fc.record({
            bytes: fc.constant(bytes),
            cuts: arbCuts(bytes.length, 30),
            at: fc.nat(),
            flushes: fc.array(fc.nat(), { maxLength: 4 }),
            maxGarbageRun: fc.oneof(fc.constant(65536), fc.integer({ min: 1, max: 40 })),
            borrow: fc.boolean(),
            // Prefix the stream with a long leader or break-in run now and then.
            lead: fc.constantFrom(0, 0x30, 0x69, 0x62),
            leadLength: fc.integer({ min: 1, max: 12 }),
          });
        }),
        ({ bytes, cuts, at, flushes, maxGarbageRun, borrow, lead, leadLength }) => {
          const stream = new Uint8Array((lead ? leadLength : 0) + bytes.length);
          if (lead) stream.fill(lead, 0, leadLength);
          stream.set(bytes, lead ? leadLength : 0);
          const chunks = splitAt(stream, cuts);
          const cut = at % (chunks.length + 1);
          const flushAfter = new Set(flushes.map((f) => f % (chunks.length + 1)));
          const options = { maxGarbageRun, borrowPayloads: borrow };

          const original = new KdStreamDecoder(options);
          const all = collector();
          let snapshot: KdDecoderSnapshot | undefined;
          let before = 0;
          const run = (decoder: KdStreamDecoder, emit: (e: KdEvent) => void, from: number) => {
            for (let i = from; i < chunks.length; i++) {
              if (decoder === original && i === cut) {
                snapshot = original.snapshot();
                before = all.events.length;
              }
              decoder.push(chunks[i]!, emit);
              if (flushAfter.has(i)) decoder.flush(emit);
            }
            if (decoder === original && cut === chunks.length) {
              snapshot = original.snapshot();
              before = all.events.length;
            }
            decoder.end(emit);
          };
          run(original, all.emit, 0);
          const want = all.events.slice(before);
          expect(snapshot!.position).toBe(chunks.slice(0, cut).reduce((n, c) => n + c.length, 0));
          for (let k = 0; k < 2; k++) {
            const resumed = new KdStreamDecoder({ ...options, resume: snapshot });
            expect(resumed.position).toBe(snapshot!.position);
            const got = collector();
            run(resumed, got.emit, cut);
            expect(got.events).toEqual(want);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('are small: numbers, and the carried packet only while one spans the cut', () => {
    const decoder = new KdStreamDecoder();
    const header = Uint8Array.of(0x30, 0x30, 0x30, 0x30, 2, 0x30, 3, 0, 0, 0, 0, 0, 6, 0, 0, 0);
    decoder.push(Uint8Array.of(1, 2, 3), () => undefined);
    const noise = decoder.snapshot();
    expect(noise).toMatchObject({ position: 3, garbageLength: 3, carried: undefined });
    expect(Object.isFrozen(noise)).toBe(true);
    const events: KdEvent[] = [];
    decoder.push(header, (e) => events.push(e));
    const mid = decoder.snapshot();
    expect(mid.carried).toEqual(header);
    expect(mid.carryOffset).toBe(3);
    decoder.push(Uint8Array.of(1, 2, 3, 0xaa), (e) => events.push(e));
    expect(decoder.snapshot().carried).toBeUndefined();
    // The snapshot kept its copy while the decoder went on.
    expect(mid.carried).toEqual(header);
    expect(events.map((e) => e.kind)).toEqual(['garbage', 'packet']);
  });

  it('refuse a snapshot that carries more than a packet', () => {
    const bad = { ...new KdStreamDecoder().snapshot(), carried: new Uint8Array(5000) };
    expect(() => new KdStreamDecoder({ resume: bad })).toThrow(/not a decoder snapshot/);
  });
});
