// Decrypts and authenticates KDNET datagrams in capture order, following the key exchange:
// the control channel always uses the starting key; the data channel switches to
// SHA-256(startKey || reply body) once the debugger's control reply has gone by [rizin
// iob_net.c _decrypt picks the key by channel; lua kdnet.lua kdnet_stored_key keeps the most
// recent data key per capture position]. Layout and sources: datagram.ts.
//
// Beyond the sources (which assume one live, ordered conversation):
// - a data datagram is tried with the current data key, then the one before (datagrams in
//   flight while a re-poke changed the key), then the starting key (no exchange seen);
// - with `hold` set, a data datagram no key opens is held (up to `hold` of them) and tried
//   again after the next key exchange: captures merged from two interfaces, and replays,
//   can put the debugger's reply after the target's first data datagrams. What is still
//   held at finish() counts as unauthenticated.

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
  | { readonly kind: 'rejected'; readonly reason: KdnetRejectReason; readonly detail: string }
  /** Opened by no key yet; it comes back from takeReleased() if a later key opens it. */
  | { readonly kind: 'held'; readonly detail: string };

export interface KdnetStats {
  datagrams: number;
  kdPackets: number;
  /** Data datagrams whose body held no whole KD packet (delivered raw). */
  unframed: number;
  control: number;
  dataKeyChanges: number;
  malformed: number;
  unauthenticated: number;
  /** Datagrams that authenticated (any channel, any key). */
  authenticated: number;
  /** Data datagrams waiting for a key that opens them. */
  held: number;
}

/**
 * What the engine's decoders hold (captures, the bridge, its live Wireshark tap): a replay or a
 * slow debugger can put every target datagram of a session before the key exchange that opens
 * them (the bundled real capture has 692), and a bridge started mid-session sees a busy
 * session's datagrams until the next poke. At most ~1.5 KB each: ~1.5 MB.
 */
export const KDNET_HOLD_DATAGRAMS = 1024;

export interface KdnetDecoderOptions {
  /** How many unopened data datagrams to keep for the next key exchange (default 0). */
  readonly hold?: number;
}

/** A held datagram opened by a later key, with the tag it was decoded with. */
export interface KdnetReleased<Tag> {
  readonly outcome: KdnetOutcome;
  readonly tag: Tag;
}

interface Held<Tag> {
  readonly datagram: KdnetDatagram;
  readonly tag: Tag;
}

const dirOf = (fromDebugger: boolean): Direction =>
  fromDebugger ? 'debugger->target' : 'target->debugger';

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function emptyKdnetStats(): KdnetStats {
  return {
    datagrams: 0,
    kdPackets: 0,
    unframed: 0,
    control: 0,
    dataKeyChanges: 0,
    malformed: 0,
    unauthenticated: 0,
    authenticated: 0,
    held: 0,
  };
}

export class KdnetDecoder<Tag = undefined> {
  readonly stats: KdnetStats = emptyKdnetStats();
  private readonly hmacKey: Uint8Array;
  private dataKey: Uint8Array | undefined;
  private previousDataKey: Uint8Array | undefined;
  private readonly holdLimit: number;
  private held: Held<Tag>[] = [];
  private released: KdnetReleased<Tag>[] = [];

  constructor(
    private readonly startKey: Uint8Array,
    private readonly crypto: KdnetCrypto,
    options: KdnetDecoderOptions = {},
  ) {
    if (startKey.length !== 32) throw new RangeError('KDNET starting key must be 32 bytes');
    this.hmacKey = hmacKeyOf(startKey);
    this.holdLimit = Math.max(0, options.hold ?? 0);
  }

  /** The current data-channel key, once a key exchange has been seen. */
  get currentDataKey(): Uint8Array | undefined {
    return this.dataKey;
  }

  /** Decodes one UDP payload; `tag` comes back with it if it is held and released later. */
  decode(datagram: Uint8Array, tag?: Tag): KdnetOutcome {
    this.stats.datagrams++;
    const parsed = parseKdnetDatagram(datagram);
    if (typeof parsed === 'string') return this.reject('malformed', parsed);
    const plaintext = this.decryptAuthenticated(parsed);
    if (!plaintext) {
      const detail = `HMAC mismatch on the ${parsed.channel === KdnetChannel.CONTROL ? 'control' : 'data'} channel`;
      if (parsed.channel !== KdnetChannel.CONTROL && this.holdLimit > 0) {
        // A copy: the caller's buffer may be reused for the next frame.
        const copy = parseKdnetDatagram(datagram.slice()) as KdnetDatagram;
        this.held.push({ datagram: copy, tag: tag as Tag });
        this.stats.held++;
        if (this.held.length > this.holdLimit) {
          this.held.shift();
          this.stats.held--;
          this.stats.unauthenticated++;
        }
        return { kind: 'held', detail };
      }
      return this.reject('unauthenticated', detail);
    }
    return this.open(parsed, plaintext);
  }

  /** Held datagrams a key exchange has opened since the last call, in arrival order. */
  takeReleased(): KdnetReleased<Tag>[] {
    if (this.released.length === 0) return [];
    const out = this.released;
    this.released = [];
    return out;
  }

  /** The end of the input: whatever is still held failed authentication. */
  finish(): void {
    this.stats.unauthenticated += this.held.length;
    this.stats.held = 0;
    this.held = [];
  }

  private open(parsed: KdnetDatagram, plaintext: Uint8Array): KdnetOutcome {
    this.stats.authenticated++;
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
        this.previousDataKey = this.dataKey;
        this.dataKey = deriveDataKey(this.crypto, this.startKey, reply);
        this.stats.dataKeyChanges++;
        this.retryHeld();
      }
      return { kind: 'control', dir, seq: header.seq, body: body.slice(), dataKeyChanged: isReply };
    }

    const { bytes, framed } = toSerialFraming(body);
    if (framed) this.stats.kdPackets++;
    else this.stats.unframed++;
    return { kind: 'kd', dir, seq: header.seq, bytes, framed };
  }

  private retryHeld(): void {
    if (this.held.length === 0) return;
    const still: Held<Tag>[] = [];
    for (const item of this.held) {
      const plaintext = this.tryKey(item.datagram, this.dataKey!);
      if (!plaintext) {
        still.push(item);
        continue;
      }
      this.stats.held--;
      this.released.push({ outcome: this.open(item.datagram, plaintext), tag: item.tag });
    }
    this.held = still;
  }

  private reject(reason: KdnetRejectReason, detail: string): KdnetOutcome {
    this.stats[reason]++;
    return { kind: 'rejected', reason, detail };
  }

  /** Tries the expected key first, then the others (a capture that missed a re-keying). */
  private decryptAuthenticated(d: KdnetDatagram): Uint8Array | undefined {
    if (d.channel === KdnetChannel.CONTROL) return this.tryKey(d, this.startKey);
    for (const key of [this.dataKey, this.previousDataKey, this.startKey]) {
      if (key === undefined) continue;
      const plaintext = this.tryKey(d, key);
      if (plaintext) return plaintext;
    }
    return undefined;
  }

  private tryKey(d: KdnetDatagram, key: Uint8Array): Uint8Array | undefined {
    const plaintext = this.crypto.aes256CbcDecrypt(key, d.trailer, d.ciphertext);
    const mac = this.crypto.hmacSha256(this.hmacKey, [d.header, plaintext]);
    return equalBytes(mac.subarray(0, KDNET_TRAILER_SIZE), d.trailer) ? plaintext : undefined;
  }
}
