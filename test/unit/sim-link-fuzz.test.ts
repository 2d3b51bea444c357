// Property tests of the KD link layer: garbage never breaks it, and over a line that drops
// packets and corrupts payloads every message still arrives exactly once, in order.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HEADER_SIZE,
  INITIAL_PACKET_ID,
  PacketType,
  SYNC_PACKET_ID,
} from '../../protocol/kd/constants';
import { encodeReset } from '../../protocol/kd/encoder';
import { KdLink } from '../../protocol/kd/link';
import { prng } from '../../electron/engine/simulators/memory';
import { FakeClock } from '../support/fake-clock';

const validIds = new Set([
  INITIAL_PACKET_ID,
  (INITIAL_PACKET_ID ^ 1) >>> 0,
  (INITIAL_PACKET_ID | SYNC_PACKET_ID) >>> 0,
]);

describe('KdLink under fuzz', () => {
  it('random bytes in any chunking never throw, ids stay valid, and it still answers RESET', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.constantFrom<'target' | 'debugger'>('target', 'debugger'),
        (chunks, role) => {
          const clock = new FakeClock();
          const sent: Uint8Array[] = [];
          const link = new KdLink({ role, timers: clock, send: (b) => sent.push(b) });
          for (const chunk of chunks) link.feed(chunk);
          // Let any retransmission timers run out.
          for (let i = 0; i < 100 && clock.step(); i++);
          expect(validIds.has(link.currentPacketId)).toBe(true);
          expect(validIds.has(link.remotePacketId)).toBe(true);
          // Whatever came before, a RESET after a break in the noise is honoured.
          sent.length = 0;
          link.feed(Uint8Array.of(0xaa, 0xaa, 0xaa, 0xaa));
          link.feed(new Uint8Array(4100));
          link.feed(encodeReset());
          expect(link.remotePacketId).toBe(INITIAL_PACKET_ID);
          if (role === 'target') expect(sent.at(-1)).toEqual(encodeReset());
          link.close();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('over a lossy line every message arrives exactly once and in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.double({ min: 0, max: 0.35, noNaN: true }),
        async (messages, seed, lossRate) => {
          const clock = new FakeClock();
          const random = prng(seed);
          const chance = (): number => random() / 0x100000000;
          // Drops anything; corrupts only payload bytes (the header is not checksummed, so a
          // flipped id or type there cannot be caught by any KD implementation).
          const line = (deliver: (b: Uint8Array) => void) => (bytes: Uint8Array) => {
            if (chance() < lossRate) return;
            let out = bytes;
            if (bytes.length > HEADER_SIZE + 1 && chance() < lossRate) {
              out = bytes.slice();
              const at = HEADER_SIZE + Math.floor(chance() * (bytes.length - HEADER_SIZE));
              out[at] = (out[at]! ^ 0x10) & 0xff;
            }
            clock.set(1, () => deliver(out));
          };
          const debuggerLink: KdLink = new KdLink({
            role: 'debugger',
            timers: clock,
            ackTimeoutMs: 50,
            maxSends: 1000,
            send: line((b) => targetLink.feed(b)),
          });
          const targetLink: KdLink = new KdLink({
            role: 'target',
            timers: clock,
            queueLimit: 100,
            send: line((b) => debuggerLink.feed(b)),
          });
          for (const message of messages) {
            let done = false;
            let failed: unknown;
            debuggerLink.send(PacketType.STATE_MANIPULATE, message).then(
              () => (done = true),
              (error: unknown) => (failed = error),
            );
            for (let i = 0; i < 100_000 && !done && failed === undefined; i++) {
              if (!clock.step()) break;
              await Promise.resolve();
            }
            expect(failed).toBeUndefined();
            expect(done).toBe(true);
          }
          // Deliver what is still on the line (a last retransmission), then compare.
          for (let i = 0; i < 10_000 && clock.step(); i++);
          const received: Uint8Array[] = [];
          while (targetLink.queued > 0) received.push((await targetLink.receive()).payload);
          // A packet acknowledged only implicitly never happens here: data flows one way.
          expect(received).toEqual(messages);
          expect(debuggerLink.stats.impliedAcks).toBe(0);
          debuggerLink.close();
          targetLink.close();
        },
      ),
      { numRuns: 150 },
    );
  });
});
