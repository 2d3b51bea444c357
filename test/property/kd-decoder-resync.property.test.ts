// A stream cut at any point (a peer that vanished mid-packet), then valid packets after the
// sender's reconnect (restart) or after a pause longer than the receive timeout (arrive):
// every one of those packets is decoded, whatever the cut and the chunking.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KD_RECEIVE_TIMEOUT_MS } from '../../protocol/kd/constants';
import { KdStreamDecoder } from '../../protocol/kd/decoder';
import { concatBytes } from '../../protocol/kd/encoder';
import type { KdEvent } from '../../protocol/kd/events';
import {
  arbCuts,
  arbPacketItem,
  arbWireBytes,
  coverageError,
  encodePacketItem,
  splitAt,
  type PacketItem,
} from '../support/kd-gen';

const RUNS = 300;

const arbValidPacket = arbPacketItem(300).map((item): PacketItem => ({ ...item, corrupt: 'none' }));

const arbCase = fc
  .record({
    // What the vanished peer sent: noise, then whole packets, then part of one.
    noise: arbWireBytes(40),
    before: fc.array(arbPacketItem(300), { maxLength: 3 }),
    cutAt: fc.nat(),
    after: fc.array(arbValidPacket, { minLength: 1, maxLength: 4 }),
    how: fc.constantFrom('restart' as const, 'pause' as const),
    breakins: fc.boolean(),
  })
  .chain((c) => {
    const sent = concatBytes([c.noise, ...c.before.map(encodePacketItem)]);
    const prefix = sent.subarray(0, c.cutAt % (sent.length + 1));
    const parts = c.after.map(encodePacketItem);
    const suffix = concatBytes(parts);
    return fc.record({
      prefix: fc.constant(prefix),
      after: fc.constant(c.after),
      parts: fc.constant(parts),
      how: fc.constant(c.how),
      breakins: fc.constant(c.breakins),
      cutsBefore: arbCuts(prefix.length, 6),
      cutsAfter: arbCuts(suffix.length, 6),
      suffix: fc.constant(suffix),
    });
  });

describe('decoding after a reconnect or a long pause', () => {
  it('decodes every packet sent after it, whatever came before and however chunked', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const events: KdEvent[] = [];
        const emit = (e: KdEvent): void => void events.push(e);
        const decoder = new KdStreamDecoder({ breakins: c.breakins });
        let time = 0;
        for (const chunk of splitAt(c.prefix, c.cutsBefore)) {
          decoder.arrive((time += 1), emit);
          decoder.push(chunk, emit);
        }
        if (c.how === 'restart') decoder.restart(emit);
        else time += KD_RECEIVE_TIMEOUT_MS + 1;
        for (const chunk of splitAt(c.suffix, c.cutsAfter)) {
          decoder.arrive((time += 1), emit);
          decoder.push(chunk, emit);
        }
        decoder.end(emit);
        expect(coverageError(events, c.prefix.length + c.suffix.length)).toBeNull();
        // Each packet sent after the cut is there, at its offset, whole and with a good sum.
        let at = c.prefix.length;
        for (const [n, item] of c.after.entries()) {
          const offset = at;
          const found = events.find((e) => e.kind === 'packet' && e.offset === offset);
          expect(found, `packet ${n} at ${offset}`).toMatchObject({
            kind: 'packet',
            leader: item.data ? 'data' : 'control',
            type: item.type,
            length: c.parts[n]!.length,
            checksumOk: true,
          });
          at += c.parts[n]!.length;
        }
      }),
      { numRuns: RUNS },
    );
  });
});
