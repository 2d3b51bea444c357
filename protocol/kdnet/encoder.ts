// Builds KDNET datagrams byte-exact (tests, simulators, replays): one datagram from its parts
// (encodeKdnetDatagram), or one side's stream of them with its sequence numbers and keys
// (KdnetEncoder). Layout and sources: datagram.ts.

import type { KdnetCrypto } from './primitives';
import {
  KDNET_DATA_HEADER_SIZE,
  KDNET_DEFAULT_VERSION,
  KDNET_FROM_DEBUGGER,
  KDNET_HEADER_SIZE,
  KDNET_MAGIC,
  KDNET_PADDING_MASK,
  KDNET_TRAILER_SIZE,
  KdnetChannel,
  paddingFor,
} from './datagram';
import { hmacKeyOf } from './key';

export interface KdnetEncodeInput {
  /** AES key of the channel: the starting key (control) or the data key (data). */
  readonly key: Uint8Array;
  /** The starting key, whose NOT keys the HMAC on both channels. */
  readonly startKey: Uint8Array;
  readonly channel: number;
  readonly seq: number;
  readonly fromDebugger: boolean;
  /** A KD packet without its serial trailer (see fromSerialFraming), or a control body. */
  readonly body: Uint8Array;
  readonly version?: number;
  /** Padding length; defaults to the 16-byte alignment Windows uses. */
  readonly padding?: number;
}

export function encodeKdnetDatagram(crypto: KdnetCrypto, input: KdnetEncodeInput): Uint8Array {
  return encodeWithHmacKey(crypto, hmacKeyOf(input.startKey), input);
}

function encodeWithHmacKey(
  crypto: KdnetCrypto,
  hmacKey: Uint8Array,
  input: Omit<KdnetEncodeInput, 'startKey'>,
): Uint8Array {
  const padding = input.padding ?? paddingFor(input.body.length);
  const plaintext = new Uint8Array(KDNET_DATA_HEADER_SIZE + input.body.length + padding);
  let seq = input.seq;
  for (let i = 6; i >= 0; i--) {
    plaintext[i] = seq % 256;
    seq = Math.floor(seq / 256);
  }
  plaintext[7] = (input.fromDebugger ? KDNET_FROM_DEBUGGER : 0) | (padding & KDNET_PADDING_MASK);
  plaintext.set(input.body, KDNET_DATA_HEADER_SIZE);

  const header = new Uint8Array(KDNET_HEADER_SIZE);
  header.set(KDNET_MAGIC);
  header[4] = input.version ?? KDNET_DEFAULT_VERSION;
  header[5] = input.channel;
  // [rizin _createKDNetPacket] the HMAC of the clear datagram is the trailer and the CBC IV.
  const trailer = crypto.hmacSha256(hmacKey, [header, plaintext]).slice(0, KDNET_TRAILER_SIZE);
  const ciphertext = crypto.aes256CbcEncrypt(input.key, trailer, plaintext);

  const out = new Uint8Array(header.length + ciphertext.length + trailer.length);
  out.set(header);
  out.set(ciphertext, header.length);
  out.set(trailer, header.length + ciphertext.length);
  return out;
}

/**
 * One side's outgoing datagrams: numbers them per channel (from 1, [rizin iob_net_write]) and
 * encrypts data with the data key once the key exchange set it (the starting key before).
 */
export class KdnetEncoder {
  /** The data channel's key; undefined until a key exchange (data then uses the start key). */
  dataKey: Uint8Array | undefined;
  private readonly hmacKey: Uint8Array;
  private dataSeq = 1;
  private controlSeq = 1;

  constructor(
    private readonly crypto: KdnetCrypto,
    private readonly startKey: Uint8Array,
    readonly fromDebugger: boolean,
    /** The header's version byte (a debugger answers with its target's). */
    public version: number = KDNET_DEFAULT_VERSION,
  ) {
    this.hmacKey = hmacKeyOf(startKey);
  }

  /** A data datagram carrying `body` (a KD packet without its serial trailer). */
  data(body: Uint8Array): Uint8Array {
    return this.encode(KdnetChannel.DATA, this.dataKey ?? this.startKey, this.dataSeq++, body);
  }

  /**
   * A control datagram under the starting key; `seq` repeats the poke's in a reply, else the
   * channel's own counter goes on.
   */
  control(body: Uint8Array, seq?: number): Uint8Array {
    return this.encode(KdnetChannel.CONTROL, this.startKey, seq ?? this.controlSeq++, body);
  }

  private encode(channel: number, key: Uint8Array, seq: number, body: Uint8Array): Uint8Array {
    return encodeWithHmacKey(this.crypto, this.hmacKey, {
      key,
      channel,
      seq,
      fromDebugger: this.fromDebugger,
      body,
      version: this.version,
    });
  }
}
