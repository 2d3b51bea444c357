// Builds KDNET datagrams byte-exact (tests, simulators, a KDNET bridge that re-encrypts).

import type { KdnetCrypto } from './primitives';
import {
  KDNET_DATA_HEADER_SIZE,
  KDNET_DEFAULT_VERSION,
  KDNET_FROM_DEBUGGER,
  KDNET_HEADER_SIZE,
  KDNET_MAGIC,
  KDNET_TRAILER_SIZE,
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
  const padding = input.padding ?? paddingFor(input.body.length);
  const plaintext = new Uint8Array(KDNET_DATA_HEADER_SIZE + input.body.length + padding);
  let seq = input.seq;
  for (let i = 6; i >= 0; i--) {
    plaintext[i] = seq % 256;
    seq = Math.floor(seq / 256);
  }
  plaintext[7] = (input.fromDebugger ? KDNET_FROM_DEBUGGER : 0) | (padding & 0x7f);
  plaintext.set(input.body, KDNET_DATA_HEADER_SIZE);

  const header = new Uint8Array(KDNET_HEADER_SIZE);
  header.set(KDNET_MAGIC);
  header[4] = input.version ?? KDNET_DEFAULT_VERSION;
  header[5] = input.channel;
  const trailer = crypto
    .hmacSha256(hmacKeyOf(input.startKey), [header, plaintext])
    .slice(0, KDNET_TRAILER_SIZE);
  const ciphertext = crypto.aes256CbcEncrypt(input.key, trailer, plaintext);

  const out = new Uint8Array(header.length + ciphertext.length + trailer.length);
  out.set(header);
  out.set(ciphertext, header.length);
  out.set(trailer, header.length + ciphertext.length);
  return out;
}
