// One KDNET endpoint (target or debugger) as a framing layer in front of a serial KD peer: the
// serial bytes the local side writes become one datagram per KD packet (no 0xAA trailer, KDNET
// ids, encrypted); datagrams from the peer become serial bytes again. It also runs the key
// exchange (handshake.ts): a target pokes until a debugger replies, and pokes again when its
// debugger has been silent for a while; a debugger replies to every poke. Pure: crypto, random
// bytes and timers come from the caller; datagrams leave through `sendDatagram`.

import type { LinkTimers } from '../kd/link';
import { HEADER_SIZE, LEADER_CONTROL, LEADER_DATA, PACKET_TRAILER } from '../kd/constants';
import { KdStreamDecoder } from '../kd/decoder';
import type { KdEvent } from '../kd/events';
import type { KdnetCrypto } from './primitives';
import {
  KDNET_DATA_HEADER_SIZE,
  KDNET_TRAILER_SIZE,
  KdnetChannel,
  parseKdnetDatagram,
  readDataHeader,
} from './datagram';
import type { KdnetDatagram } from './datagram';
import { KdnetEncoder } from './encoder';
import {
  KDNET_CLIENT_KEY_SIZE,
  KDNET_HOST_KEY_SIZE,
  buildPokeBody,
  buildReplyBody,
  parseControlBody,
} from './handshake';
import type { KdnetPokeAddress } from './handshake';
import { KDNET_DEBUGGER_FIRST_ID, KDNET_TARGET_FIRST_ID, KdnetIdMap } from './ids';
import { deriveDataKey, hmacKeyOf } from './key';

export type KdnetRole = 'target' | 'debugger';

export interface KdnetPeerOptions {
  readonly role: KdnetRole;
  readonly crypto: KdnetCrypto;
  readonly startKey: Uint8Array;
  /** `n` random bytes (client and host keys). */
  readonly random: (n: number) => Uint8Array;
  readonly timers: LinkTimers;
  /** One datagram to the peer. */
  readonly sendDatagram: (datagram: Uint8Array) => void;
  /** Serial KD bytes for the local side (a KD packet with its trailer, or a raw body). */
  readonly deliverSerial: (bytes: Uint8Array) => void;
  /** A key exchange completed (the count so far). */
  readonly onKeyExchange?: (count: number) => void;
  /** Target: between pokes while no debugger answers (default 1000 ms; Windows: ~3 s). */
  readonly pokeIntervalMs?: number;
  /** Target: nothing from the debugger for this long means poke again (default 5000 ms). */
  readonly sessionTimeoutMs?: number;
  /** Target: the addresses its pokes carry (itself, the host). */
  readonly pokeAddresses?: readonly KdnetPokeAddress[];
  /** Target: the host's IPv4 address, which its first data datagram carries. */
  readonly hostIpv4?: readonly number[];
  readonly version?: number;
}

export interface KdnetPeerStats {
  datagramsIn: number;
  datagramsOut: number;
  packetsIn: number;
  packetsOut: number;
  pokes: number;
  replies: number;
  keyExchanges: number;
  malformed: number;
  unauthenticated: number;
  /** Authentic datagrams that were not for us (our own direction, an unknown control body). */
  ignored: number;
  /** Serial output with no key to send it under yet. */
  droppedNoKey: number;
  /** Serial bytes that were no KD packet (line noise from a fault-injecting peer). */
  garbageBytes: number;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const leaderOf = (b: Uint8Array): number =>
  (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;

function writeId(bytes: Uint8Array, id: number): void {
  bytes[8] = id & 0xff;
  bytes[9] = (id >>> 8) & 0xff;
  bytes[10] = (id >>> 16) & 0xff;
  bytes[11] = (id >>> 24) & 0xff;
}

export class KdnetPeer {
  readonly stats: KdnetPeerStats = {
    datagramsIn: 0,
    datagramsOut: 0,
    packetsIn: 0,
    packetsOut: 0,
    pokes: 0,
    replies: 0,
    keyExchanges: 0,
    malformed: 0,
    unauthenticated: 0,
    ignored: 0,
    droppedNoKey: 0,
    garbageBytes: 0,
  };
  private readonly encoder: KdnetEncoder;
  private readonly ids: KdnetIdMap;
  private readonly outgoing = new KdStreamDecoder();
  private readonly onOutgoing = (event: KdEvent): void => this.sendEvent(event);
  private readonly hmacKey: Uint8Array;
  private dataKey: Uint8Array | undefined;
  private previousDataKey: Uint8Array | undefined;
  /** Target: 30 random bytes of every poke's client key (the first two count the pokes). */
  private readonly clientKeyTail: Uint8Array;
  private pokeCount = 0;
  /** Target: a debugger has replied and has not gone silent since. */
  private connected = false;
  private cancelTimer: (() => void) | undefined;
  private closed = false;

  constructor(private readonly options: KdnetPeerOptions) {
    const fromDebugger = options.role === 'debugger';
    this.encoder = new KdnetEncoder(
      options.crypto,
      options.startKey,
      fromDebugger,
      options.version,
    );
    this.ids = new KdnetIdMap(fromDebugger ? KDNET_DEBUGGER_FIRST_ID : KDNET_TARGET_FIRST_ID);
    this.hmacKey = hmacKeyOf(options.startKey);
    this.clientKeyTail = options.random(KDNET_CLIENT_KEY_SIZE - 2);
  }

  get role(): KdnetRole {
    return this.options.role;
  }

  /** A key exchange has set the data key (serial output now goes out). */
  get keyed(): boolean {
    return this.dataKey !== undefined;
  }

  /** Target: starts poking. A debugger just waits for pokes. */
  start(): void {
    if (this.options.role === 'target' && !this.connected && !this.closed) this.poke();
  }

  /** Serial bytes from the local side, in any chunking. */
  sendSerial(bytes: Uint8Array): void {
    if (this.closed) return;
    this.outgoing.push(bytes, this.onOutgoing);
    // A break-in byte is reported when its run ends; nothing may follow it for a while.
    this.outgoing.flush(this.onOutgoing);
  }

  /** One datagram from the peer (any bytes: what is not for us is counted and dropped). */
  receive(datagram: Uint8Array): void {
    if (this.closed) return;
    this.stats.datagramsIn++;
    const parsed = parseKdnetDatagram(datagram);
    if (typeof parsed === 'string') {
      this.stats.malformed++;
      return;
    }
    if (parsed.channel === KdnetChannel.CONTROL) {
      const plaintext = this.open(parsed, this.options.startKey);
      if (plaintext) this.onControl(parsed, plaintext);
      else this.stats.unauthenticated++;
      return;
    }
    let plaintext: Uint8Array | undefined;
    for (const key of [this.dataKey, this.previousDataKey]) {
      plaintext ??= key === undefined ? undefined : this.open(parsed, key);
    }
    if (plaintext) this.onData(plaintext);
    else this.stats.unauthenticated++;
  }

  close(): void {
    this.closed = true;
    this.stopTimer();
  }

  private open(d: KdnetDatagram, key: Uint8Array): Uint8Array | undefined {
    const plaintext = this.options.crypto.aes256CbcDecrypt(key, d.trailer, d.ciphertext);
    const mac = this.options.crypto.hmacSha256(this.hmacKey, [d.header, plaintext]);
    return equalBytes(mac.subarray(0, KDNET_TRAILER_SIZE), d.trailer) ? plaintext : undefined;
  }

  /** Plaintext header and body, when it came from the other side and is well formed. */
  private fromPeer(plaintext: Uint8Array): { seq: number; body: Uint8Array } | undefined {
    const header = readDataHeader(plaintext);
    const end = plaintext.length - header.padding;
    if (end < KDNET_DATA_HEADER_SIZE) {
      this.stats.malformed++;
      return undefined;
    }
    if (header.fromDebugger === (this.options.role === 'debugger')) {
      this.stats.ignored++;
      return undefined;
    }
    return { seq: header.seq, body: plaintext.subarray(KDNET_DATA_HEADER_SIZE, end) };
  }

  private onControl(parsed: KdnetDatagram, plaintext: Uint8Array): void {
    const got = this.fromPeer(plaintext);
    if (!got) return;
    const message = parseControlBody(got.body);
    if (this.options.role === 'debugger' && message?.kind === 'poke') {
      // [rizin iob_net_read] answer with the target's protocol version.
      this.encoder.version = parsed.version;
      const body = buildReplyBody(message.clientKey, this.options.random(KDNET_HOST_KEY_SIZE));
      this.send(this.encoder.control(body, got.seq));
      this.stats.replies++;
      this.setDataKey(deriveDataKey(this.options.crypto, this.options.startKey, body));
      return;
    }
    if (
      this.options.role === 'target' &&
      message?.kind === 'reply' &&
      equalBytes(message.clientKey.subarray(2), this.clientKeyTail)
    ) {
      this.setDataKey(deriveDataKey(this.options.crypto, this.options.startKey, got.body));
      this.connected = true;
      this.armSessionTimer();
      this.sendHello();
      return;
    }
    this.stats.ignored++;
  }

  private onData(plaintext: Uint8Array): void {
    const got = this.fromPeer(plaintext);
    if (!got) return;
    if (this.options.role === 'target') this.armSessionTimer();
    const body = got.body;
    const leader = body.length >= HEADER_SIZE ? leaderOf(body) : 0;
    const length = HEADER_SIZE + (body.length >= HEADER_SIZE ? body[6]! | (body[7]! << 8) : 0);
    if ((leader !== LEADER_DATA && leader !== LEADER_CONTROL) || length > body.length) {
      // A break-in byte, the target's hello: the serial side sees them as they are.
      this.options.deliverSerial(body.slice());
      return;
    }
    const isData = leader === LEADER_DATA;
    const type = body[4]! | (body[5]! << 8);
    const kdnetId = (body[8]! | (body[9]! << 8) | (body[10]! << 16) | (body[11]! << 24)) >>> 0;
    const serial = new Uint8Array(length + (isData ? 1 : 0));
    serial.set(body.subarray(0, length));
    writeId(serial, this.ids.incoming(isData ? 'data' : 'control', type, kdnetId));
    if (isData) serial[length] = PACKET_TRAILER;
    this.stats.packetsIn++;
    this.options.deliverSerial(serial);
  }

  private sendEvent(event: KdEvent): void {
    if (event.kind === 'garbage') {
      this.stats.garbageBytes += event.length;
      return;
    }
    if (!this.dataKey) {
      this.stats.droppedNoKey++;
      return;
    }
    if (event.kind === 'breakin') {
      // [rizin winkd_sync] the break-in travels as a data datagram of its own: "b".
      this.send(this.encoder.data(new Uint8Array(event.length).fill(0x62)));
      return;
    }
    const body = new Uint8Array(HEADER_SIZE + event.payload.length);
    const view = new DataView(body.buffer);
    view.setUint32(0, event.leader === 'data' ? LEADER_DATA : LEADER_CONTROL, true);
    view.setUint16(4, event.type, true);
    view.setUint16(6, event.byteCount, true);
    view.setUint32(8, this.ids.outgoing(event.leader, event.type, event.id), true);
    view.setUint32(12, event.checksum, true);
    body.set(event.payload, HEADER_SIZE);
    this.stats.packetsOut++;
    this.send(this.encoder.data(body));
  }

  private send(datagram: Uint8Array): void {
    this.stats.datagramsOut++;
    this.options.sendDatagram(datagram);
  }

  private setDataKey(key: Uint8Array): void {
    this.previousDataKey = this.dataKey;
    this.dataKey = key;
    this.encoder.dataKey = key;
    this.stats.keyExchanges++;
    this.options.onKeyExchange?.(this.stats.keyExchanges);
  }

  private poke(): void {
    this.stopTimer();
    if (this.closed || this.connected) return;
    const clientKey = new Uint8Array(KDNET_CLIENT_KEY_SIZE);
    clientKey[0] = this.pokeCount & 0xff;
    clientKey[1] = (this.pokeCount >> 8) & 0xff;
    clientKey.set(this.clientKeyTail, 2);
    this.pokeCount++;
    this.stats.pokes++;
    this.send(this.encoder.control(buildPokeBody(clientKey, this.options.pokeAddresses)));
    this.cancelTimer = this.options.timers.set(this.options.pokeIntervalMs ?? 1000, () =>
      this.poke(),
    );
  }

  /** [rizin winkd_sync; the real capture, frame 3] the target's first data datagram. */
  private sendHello(): void {
    const hello = new Uint8Array(12);
    const ip = this.options.hostIpv4;
    if (ip?.length === 4) hello.set([ip[3]!, ip[2]!, ip[1]!, ip[0]!], 8);
    this.send(this.encoder.data(hello));
  }

  private armSessionTimer(): void {
    this.stopTimer();
    if (this.closed) return;
    this.cancelTimer = this.options.timers.set(this.options.sessionTimeoutMs ?? 5000, () => {
      this.cancelTimer = undefined;
      this.connected = false;
      this.poke();
    });
  }

  private stopTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }
}
