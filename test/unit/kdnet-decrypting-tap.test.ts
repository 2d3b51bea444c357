// The live Wireshark sink behind KDNET: the tap in front of it turns each relayed datagram into
// the KD packet it carries (serial framing, trailer back), key exchange followed, control left out.
import { describe, expect, it } from 'vitest';
import { nodeKdnetCrypto as crypto } from '../../electron/capture/kdnet-node-crypto';
import type { StreamChunk } from '../../electron/capture/chunk';
import type { BridgeTap } from '../../electron/engine/bridge/types';
import { kdnetDecryptingTap } from '../../electron/engine/kdnet/decrypting-tap';
import { PacketType } from '../../protocol/kd/constants';
import { encodeAck, encodeDataPacket } from '../../protocol/kd/encoder';
import { KdnetEncoder } from '../../protocol/kdnet/encoder';
import { buildPokeBody, buildReplyBody } from '../../protocol/kdnet/handshake';
import { deriveDataKey, parseKdnetKey } from '../../protocol/kdnet/key';
import { fromSerialFraming } from '../../protocol/kdnet/serial-framing';

const startKey = parseKdnetKey('t4p.1.2.3');

describe('kdnetDecryptingTap', () => {
  it('hands the inner tap the KD stream in clear, in relay order', () => {
    const seen: StreamChunk[] = [];
    let closed = false;
    const inner: BridgeTap = {
      name: 'live',
      write: (batch) => void seen.push(...batch),
      close: () => void (closed = true),
    };
    const tap = kdnetDecryptingTap(inner, startKey);
    const target = new KdnetEncoder(crypto, startKey, false);
    const windbg = new KdnetEncoder(crypto, startKey, true);
    const clientKey = new Uint8Array(32).fill(5);
    const replyBody = buildReplyBody(clientKey, new Uint8Array(32).fill(9));
    const poke = target.control(buildPokeBody(clientKey));
    const reply = windbg.control(replyBody, 1);
    target.dataKey = windbg.dataKey = deriveDataKey(crypto, startKey, replyBody);
    const print = encodeDataPacket(PacketType.DEBUG_IO, 0, new TextEncoder().encode('hi'));
    const ack = encodeAck(0);
    const chunk = (dir: StreamChunk['dir'], bytes: Uint8Array, t: number): StreamChunk => ({
      dir,
      timeUs: t,
      bytes,
      delivered: true,
    });
    // The target's first datagram reaches the tap before the reply (a replay, say): held.
    tap.write([
      chunk('target->debugger', poke, 1),
      chunk('target->debugger', target.data(fromSerialFraming(print)), 2),
    ]);
    expect(seen).toHaveLength(0);
    tap.write([
      chunk('debugger->target', reply, 3),
      chunk('debugger->target', windbg.data(ack), 4),
    ]);
    expect(seen.map((c) => [c.dir, Array.from(c.bytes)])).toEqual([
      ['target->debugger', Array.from(print)],
      ['debugger->target', Array.from(ack)],
    ]);
    void tap.close();
    expect(closed).toBe(true);
  });
});
