import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VmbusRing } from '../../protocol/vmbus/ring';
import { decodePipeMessage, encodePipeData } from '../../protocol/vmbus/pipe-message';

describe('VmbusRing properties', () => {
  it('delivers what was accepted, in order, whatever the interleaving of writes and reads', () => {
    const op = fc.oneof(
      fc.record({ write: fc.uint8Array({ maxLength: 300 }) }),
      fc.constant({ read: true as const }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(0x200, 0x400, 0x1000),
        fc.array(op, { maxLength: 80 }),
        (size, ops) => {
          const ring = new VmbusRing(size);
          const queue: Uint8Array[] = [];
          let occupancy = 0;
          for (const o of ops) {
            if ('write' in o) {
              const need = VmbusRing.footprint(o.write.length);
              const fits = need < size - occupancy;
              expect(ring.write(o.write)).toBe(fits);
              if (fits) {
                queue.push(o.write);
                occupancy += need;
              }
            } else {
              const got = ring.read();
              const want = queue.shift();
              if (want === undefined) expect(got).toBeUndefined();
              else {
                expect(got).toMatchObject({ ok: true });
                if (got?.ok) expect(got.packet.message).toEqual(want);
                occupancy -= VmbusRing.footprint(want.length);
              }
            }
            expect(ring.occupancy).toBe(occupancy);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary ring contents and always drains', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.nat(63),
        fc.nat(63),
        (bytes, w, r) => {
          const ring = new VmbusRing(64);
          ring.data.set(bytes);
          ring.writeIndex = w & ~7;
          ring.readIndex = r & ~7;
          for (let i = 0; i < 16 && ring.occupancy > 0; i++) ring.read();
          expect(ring.occupancy).toBe(0);
        },
      ),
    );
  });

  it('pipe messages survive a ring round trip with their checksum', () => {
    fc.assert(
      fc.property(fc.nat(), fc.uint8Array({ maxLength: 500 }), (seq, payload) => {
        const ring = new VmbusRing(0x1000);
        ring.write(encodePipeData(seq, payload));
        const got = ring.read();
        expect(got?.ok).toBe(true);
        if (!got?.ok) return;
        const decoded = decodePipeMessage(got.packet.message);
        expect(decoded).toMatchObject({ ok: true, message: { seq: seq >>> 0, checksumOk: true } });
        if (decoded.ok) expect(decoded.message.payload).toEqual(payload);
      }),
    );
  });
});
