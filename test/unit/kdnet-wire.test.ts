// Our KDNET encoder and key-exchange layouts against the real capture (windbg-uncut, key
// 8.8.8.8, made by Windows and WinDbg): the trailer is a MAC of the clear datagram, so the
// encoding is deterministic, and re-encoding each decrypted datagram must give its bytes back.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readUdpDatagrams } from '../../electron/capture/capture-datagrams';
import { nodeKdnetCrypto as crypto } from '../../electron/capture/kdnet-node-crypto';
import {
  KDNET_DATA_HEADER_SIZE,
  KdnetChannel,
  parseKdnetDatagram,
  readDataHeader,
} from '../../protocol/kdnet/datagram';
import { KdnetEncoder, encodeKdnetDatagram } from '../../protocol/kdnet/encoder';
import {
  KDNET_POKE_SIZE,
  buildPokeBody,
  buildReplyBody,
  parseControlBody,
} from '../../protocol/kdnet/handshake';
import { deriveDataKey, parseKdnetKey } from '../../protocol/kdnet/key';

const CAPTURE = join(__dirname, '../fixtures/windbg-uncut.pcapng.gz');
const startKey = parseKdnetKey('8.8.8.8');
const { datagrams } = readUdpDatagrams(CAPTURE);

interface Opened {
  readonly bytes: Uint8Array;
  readonly channel: number;
  readonly version: number;
  readonly plaintext: Uint8Array;
  readonly key: Uint8Array;
}

/** Every datagram decrypted with the key it was sent under (following the exchange). */
function openAll(): Opened[] {
  let dataKey: Uint8Array | undefined;
  return datagrams.map((d) => {
    const parsed = parseKdnetDatagram(d.payload);
    if (typeof parsed === 'string') throw new Error(parsed);
    const key = parsed.channel === KdnetChannel.CONTROL ? startKey : dataKey!;
    const plaintext = crypto.aes256CbcDecrypt(key, parsed.trailer, parsed.ciphertext);
    if (parsed.channel === KdnetChannel.CONTROL && plaintext[7] === 0x86)
      dataKey = deriveDataKey(crypto, startKey, plaintext.subarray(8, 330));
    return { bytes: d.payload, channel: parsed.channel, version: parsed.version, plaintext, key };
  });
}

const opened = openAll();
const bodyOf = (o: Opened): Uint8Array => {
  const header = readDataHeader(o.plaintext);
  return o.plaintext.subarray(KDNET_DATA_HEADER_SIZE, o.plaintext.length - header.padding);
};

describe('KDNET encoding against the real capture', () => {
  it('re-encoding each of the 955 decrypted datagrams gives its bytes back', () => {
    expect(opened).toHaveLength(955);
    for (const o of opened) {
      const header = readDataHeader(o.plaintext);
      const again = encodeKdnetDatagram(crypto, {
        key: o.key,
        startKey,
        channel: o.channel,
        seq: header.seq,
        fromDebugger: header.fromDebugger,
        body: bodyOf(o),
        version: o.version,
        padding: header.padding,
      });
      expect(Buffer.from(again).equals(Buffer.from(o.bytes))).toBe(true);
    }
  });

  it('the default padding is what Windows and WinDbg chose, every time', () => {
    for (const o of opened) {
      const header = readDataHeader(o.plaintext);
      expect((KDNET_DATA_HEADER_SIZE + bodyOf(o).length + header.padding) % 16).toBe(0);
      expect(header.padding).toBeLessThan(16);
    }
  });

  it('frame 1 is a poke our builder reproduces; frame 2 the reply echoing its client key', () => {
    const poke = parseControlBody(bodyOf(opened[0]!));
    expect(poke?.kind).toBe('poke');
    const pokeBody = bodyOf(opened[0]!);
    expect(pokeBody).toHaveLength(KDNET_POKE_SIZE);
    const rebuilt = buildPokeBody(poke!.clientKey, [
      { ip: [192, 168, 2, 72], port: 51111 },
      { ip: [192, 168, 2, 1], port: 51111 },
      { ip: [0, 0, 0, 0], port: 0 },
    ]);
    expect(Buffer.from(rebuilt).toString('hex')).toBe(Buffer.from(pokeBody).toString('hex'));

    const reply = parseControlBody(bodyOf(opened[1]!));
    expect(reply?.kind).toBe('reply');
    if (reply?.kind !== 'reply') return;
    expect(reply.clientKey).toEqual(poke!.clientKey);
    const replyBody = buildReplyBody(reply.clientKey, reply.hostKey);
    expect(replyBody).toEqual(bodyOf(opened[1]!));
    // WinDbg answers with the poke's sequence number; the encoder makes the same datagram.
    const encoder = new KdnetEncoder(crypto, startKey, true, opened[1]!.version);
    const seq = readDataHeader(opened[0]!.plaintext).seq;
    expect(readDataHeader(opened[1]!.plaintext).seq).toBe(seq);
    expect(Buffer.from(encoder.control(replyBody, seq)).equals(Buffer.from(opened[1]!.bytes))).toBe(
      true,
    );
  });

  it('each side numbers its data datagrams from 1, one by one', () => {
    const seqs = { target: [] as number[], debugger: [] as number[] };
    for (const o of opened) {
      if (o.channel !== KdnetChannel.DATA) continue;
      const header = readDataHeader(o.plaintext);
      seqs[header.fromDebugger ? 'debugger' : 'target'].push(header.seq);
    }
    for (const list of Object.values(seqs)) {
      expect(list[0]).toBe(1);
      list.forEach((seq, i) => expect(seq).toBe(i + 1));
    }
  });
});
