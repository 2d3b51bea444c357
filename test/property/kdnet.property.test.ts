// Property tests of the KDNET encoder and decoder: any conversation (both sides, a key
// exchange, any bodies) decodes to what was sent, with each side's numbering; a reply seen
// late (held datagrams) still opens everything; random bytes never throw.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeKdnetCrypto as crypto } from '../../electron/capture/kdnet-node-crypto';
import { KdnetDecoder } from '../../protocol/kdnet/decoder';
import { KdnetEncoder } from '../../protocol/kdnet/encoder';
import { buildPokeBody, buildReplyBody } from '../../protocol/kdnet/handshake';
import { deriveDataKey, parseKdnetKey } from '../../protocol/kdnet/key';
import { fromSerialFraming } from '../../protocol/kdnet/serial-framing';

const startKey = parseKdnetKey('prop.3.zz.10');

interface Sent {
  readonly fromDebugger: boolean;
  readonly body: Uint8Array;
  readonly bytes: Uint8Array;
  readonly seq: number;
}

/** A poke, its reply, then the data datagrams (with their sides) under the new key. */
function conversation(
  clientKey: Uint8Array,
  hostKey: Uint8Array,
  items: readonly { fromDebugger: boolean; body: Uint8Array }[],
) {
  const target = new KdnetEncoder(crypto, startKey, false);
  const debuggerSide = new KdnetEncoder(crypto, startKey, true);
  const poke = target.control(buildPokeBody(clientKey));
  const replyBody = buildReplyBody(clientKey, hostKey);
  const reply = debuggerSide.control(replyBody, 1);
  target.dataKey = debuggerSide.dataKey = deriveDataKey(crypto, startKey, replyBody);
  const seqs = { target: 0, debugger: 0 };
  const data: Sent[] = items.map(({ fromDebugger, body }) => ({
    fromDebugger,
    body,
    bytes: (fromDebugger ? debuggerSide : target).data(body),
    seq: ++seqs[fromDebugger ? 'debugger' : 'target'],
  }));
  return { poke, reply, data };
}

const arbItems = fc.array(
  fc.record({ fromDebugger: fc.boolean(), body: fc.uint8Array({ maxLength: 600 }) }),
  { maxLength: 20 },
);
const arbKey = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('KDNET encoder -> decoder (property)', () => {
  it('every datagram of any conversation decodes to its side, number and body', () => {
    fc.assert(
      fc.property(arbKey, arbKey, arbItems, (clientKey, hostKey, items) => {
        const { poke, reply, data } = conversation(clientKey, hostKey, items);
        const decoder = new KdnetDecoder(startKey, crypto);
        expect(decoder.decode(poke)).toMatchObject({ kind: 'control', dir: 'target->debugger' });
        expect(decoder.decode(reply)).toMatchObject({ kind: 'control', dataKeyChanged: true });
        for (const sent of data) {
          const out = decoder.decode(sent.bytes);
          expect(out.kind).toBe('kd');
          if (out.kind !== 'kd') continue;
          expect(out.dir).toBe(sent.fromDebugger ? 'debugger->target' : 'target->debugger');
          expect(out.seq).toBe(sent.seq);
          expect(fromSerialFraming(out.bytes)).toEqual(sent.body);
        }
        expect(decoder.stats).toMatchObject({ unauthenticated: 0, malformed: 0, held: 0 });
      }),
      { numRuns: 100 },
    );
  });

  it('a reply seen after some data datagrams: they are held, then opened, in order', () => {
    fc.assert(
      fc.property(arbKey, arbKey, arbItems, fc.nat(), (clientKey, hostKey, items, cut) => {
        const { poke, reply, data } = conversation(clientKey, hostKey, items);
        const late = data.length === 0 ? 0 : cut % (data.length + 1);
        const decoder = new KdnetDecoder<number>(startKey, crypto, { hold: 64 });
        const seen: number[] = [];
        decoder.decode(poke);
        data.slice(0, late).forEach((sent, i) => {
          expect(decoder.decode(sent.bytes, i).kind).toBe('held');
        });
        decoder.decode(reply);
        for (const released of decoder.takeReleased()) {
          expect(released.outcome.kind).toBe('kd');
          seen.push(released.tag);
        }
        data.slice(late).forEach((sent, i) => {
          expect(decoder.decode(sent.bytes).kind).toBe('kd');
          seen.push(late + i);
        });
        expect(seen).toEqual(data.map((_, i) => i));
        decoder.finish();
        expect(decoder.stats).toMatchObject({ unauthenticated: 0, held: 0 });
      }),
      { numRuns: 100 },
    );
  });

  it('held datagrams no key opens count as unauthenticated at the end', () => {
    const { data } = conversation(new Uint8Array(32), new Uint8Array(32), [
      { fromDebugger: false, body: Uint8Array.of(1) },
      { fromDebugger: true, body: Uint8Array.of(2) },
    ]);
    const decoder = new KdnetDecoder(startKey, crypto, { hold: 1 });
    expect(decoder.decode(data[0]!.bytes).kind).toBe('held');
    expect(decoder.decode(data[1]!.bytes).kind).toBe('held');
    // The first was pushed out by the second.
    expect(decoder.stats).toMatchObject({ held: 1, unauthenticated: 1 });
    decoder.finish();
    expect(decoder.stats).toMatchObject({ held: 0, unauthenticated: 2 });
  });
});
