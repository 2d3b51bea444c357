// Decrypts and authenticates KDNET datagrams in capture order, following the key exchange:
// the control channel always uses the starting key; the data channel switches to
// SHA-256(startKey || reply body) once the debugger's control reply has gone by.

import type { Direction } from '../kd/events';
import type { KdnetCrypto } from './primitives';
import {
  KDNET_CONTROL_REPLY_SIZE,
  KDNET_CONTROL_REPLY_TAG,
  KDNET_DATA_HEADER_SIZE,
  KDNET_TRAILER_SIZE,
  KdnetChannel,
  parseKdnetDatagram,
  readDataHeader,
} from './datagram';
import type { KdnetDatagram } from './datagram';
import { deriveDataKey, hmacKeyOf } from './key';
import { toSerialFraming } from './serial-framing';

export type KdnetRejectReason =
  /** Not a well-formed datagram, or a plaintext whose padding runs past its end. */
  | 'malformed'
  /** No key we hold makes the HMAC match: wrong key, missed key exchange, or tampering. */
  | 'unauthenticated';

export type KdnetOutcome =
  | {
      readonly kind: 'kd';
      readonly dir: Direction;
      readonly seq: number;
      /** Serial framing of the KD packet (or the raw body when `framed` is false). */
      readonly bytes: Uint8Array;
      readonly framed: boolean;
    }
  | {
      readonly kind: 'control';
      readonly dir: Direction;
      readonly seq: number;
      /** Body after the 8-byte header, without padding. */
      readonly body: Uint8Array;
      /** This datagram was the debugger's reply: data datagrams now use a new key. */
      readonly dataKeyChanged: boolean;
    }
  | { readonly kind: 'rejected'; readonly reason: KdnetRejectReason; readonly detail: string };

export interface KdnetStats {
  datagrams: number;
  kdPackets: number;
  /** Data datagrams whose body held no whole KD packet (delivered raw). */
  unframed: number;
  control: number;
  dataKeyChanges: number;
  malformed: number;
  unauthenticated: number;
}

const dirOf = (fromDebugger: boolean): Direction =>
  fromDebugger ? 'debugger->target' : 'target->debugger';

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class KdnetDecoder {
  readonly stats: KdnetStats = {
    datagrams: 0,
    kdPackets: 0,
    unframed: 0,
    control: 0,
    dataKeyChanges: 0,
    malformed: 0,
    unauthenticated: 0,
  };
  private readonly hmacKey: Uint8Array;
  private dataKey: Uint8Array | undefined;

  constructor(
    private readonly startKey: Uint8Array,
    private readonly crypto: KdnetCrypto,
  ) {
    if (startKey.length !== 32) throw new RangeError('KDNET starting key must be 32 bytes');
    this.hmacKey = hmacKeyOf(startKey);
  }

  /** The current data-channel key, once a key exchange has been seen. */
  get currentDataKey(): Uint8Array | undefined {
    return this.dataKey;
  }

  decode(datagram: Uint8Array): KdnetOutcome {
    this.stats.datagrams++;
    const parsed = parseKdnetDatagram(datagram);
    if (typeof parsed === 'string') return this.reject('malformed', parsed);
    const plaintext = this.decryptAuthenticated(parsed);
    if (!plaintext) {
      return this.reject(
        'unauthenticated',
        `HMAC mismatch on the ${parsed.channel === KdnetChannel.CONTROL ? 'control' : 'data'} channel`,
      );
    }
    const header = readDataHeader(plaintext);
    const bodyEnd = plaintext.length - header.padding;
    if (bodyEnd < KDNET_DATA_HEADER_SIZE) {
      return this.reject('malformed', `padding of ${header.padding} bytes runs past the plaintext`);
    }
    const body = plaintext.subarray(KDNET_DATA_HEADER_SIZE, bodyEnd);
    const dir = dirOf(header.fromDebugger);

    if (parsed.channel === KdnetChannel.CONTROL) {
      this.stats.control++;
      const isReply =
        header.tag === KDNET_CONTROL_REPLY_TAG &&
        plaintext.length >= KDNET_DATA_HEADER_SIZE + KDNET_CONTROL_REPLY_SIZE;
      if (isReply) {
        const reply = plaintext.subarray(
          KDNET_DATA_HEADER_SIZE,
          KDNET_DATA_HEADER_SIZE + KDNET_CONTROL_REPLY_SIZE,
        );
        this.dataKey = deriveDataKey(this.crypto, this.startKey, reply);
        this.stats.dataKeyChanges++;
      }
      return { kind: 'control', dir, seq: header.seq, body: body.slice(), dataKeyChanged: isReply };
    }

    const { bytes, framed } = toSerialFraming(body);
    if (framed) this.stats.kdPackets++;
    else this.stats.unframed++;
    return { kind: 'kd', dir, seq: header.seq, bytes, framed };
  }

  private reject(reason: KdnetRejectReason, detail: string): KdnetOutcome {
    this.stats[reason]++;
    return { kind: 'rejected', reason, detail };
  }

  /** Tries the expected key first, then the other one (a capture that missed a re-keying). */
  private decryptAuthenticated(d: KdnetDatagram): Uint8Array | undefined {
    const candidates =
      d.channel === KdnetChannel.CONTROL || !this.dataKey
        ? [this.startKey]
        : [this.dataKey, this.startKey];
    for (const key of candidates) {
      const plaintext = this.crypto.aes256CbcDecrypt(key, d.trailer, d.ciphertext);
      const mac = this.crypto.hmacSha256(this.hmacKey, [d.header, plaintext]);
      if (equalBytes(mac.subarray(0, KDNET_TRAILER_SIZE), d.trailer)) return plaintext;
    }
    return undefined;
  }
}
