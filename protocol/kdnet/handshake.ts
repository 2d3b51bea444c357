// The KDNET key exchange on the control channel: the target "pokes" until a debugger answers;
// the debugger's reply seeds the data key (key.ts deriveDataKey). Layouts from [rizin
// iob_net.c _sendResponsePacket, _processControlPacket], [lua kdnet.lua
// dissect_kdnet_init_data] and the real capture (windbg-uncut: poke body 344 bytes, reply 322;
// see datagram.ts for the source names).
//
// Poke (target -> debugger), body:
//   u8 1 | u8 1 (poke) | client key[32] | addresses | zeros to 344 bytes
// The client key's first two bytes count the pokes (little-endian; lua calls them seqno2,
// the capture shows them going up by one per poke); the target chooses the other 30 (lua
// calls them random; in the capture, six bytes and what looks like a date, 2016-01-24, the
// same in every poke). Our simulated target uses random bytes. The addresses
// are IPv6 (IPv4 mapped) + big-endian port triples: the target, the host, one more [lua
// src_addr/dst_addr/unk_addr; the capture: ::ffff:192.168.2.72, ::ffff:192.168.2.1, port
// 51111].
// Reply (debugger -> target), body, 322 bytes [rizin _sendResponsePacket]:
//   u8 1 | u8 2 (reply) | the poke's client key[32] | host key[32], random | 256 zero bytes
// sent with the poke's sequence number and, 8 + 322 needing 6 bytes of padding, tag 0x86.

import { KDNET_CONTROL_REPLY_SIZE } from './datagram';

export const KDNET_HANDSHAKE_VERSION = 1;
export const KdnetControlKind = { POKE: 1, REPLY: 2 } as const;
export const KDNET_CLIENT_KEY_SIZE = 32;
export const KDNET_HOST_KEY_SIZE = 32;
/** What Windows sends (the real capture); we read any poke long enough for its client key. */
export const KDNET_POKE_SIZE = 344;
const KEY_AT = 2;
const ADDRESSES_AT = KEY_AT + KDNET_CLIENT_KEY_SIZE;
const ADDRESS_SIZE = 18;

/** An address the poke carries: 4 (IPv4, written v4-mapped) or 16 bytes, and a port. */
export interface KdnetPokeAddress {
  readonly ip: readonly number[];
  readonly port: number;
}

export type KdnetControlMessage =
  | { readonly kind: 'poke'; readonly clientKey: Uint8Array }
  | { readonly kind: 'reply'; readonly clientKey: Uint8Array; readonly hostKey: Uint8Array };

/** A poke body; `clientKey` is 32 bytes, at most 3 addresses are written. */
export function buildPokeBody(
  clientKey: Uint8Array,
  addresses: readonly KdnetPokeAddress[] = [],
): Uint8Array {
  if (clientKey.length !== KDNET_CLIENT_KEY_SIZE) throw new RangeError('client key is 32 bytes');
  const body = new Uint8Array(KDNET_POKE_SIZE);
  body[0] = KDNET_HANDSHAKE_VERSION;
  body[1] = KdnetControlKind.POKE;
  body.set(clientKey, KEY_AT);
  addresses.slice(0, 3).forEach((address, i) => {
    const at = ADDRESSES_AT + i * ADDRESS_SIZE;
    if (address.ip.length === 4) {
      body[at + 10] = 0xff;
      body[at + 11] = 0xff;
      body.set(address.ip, at + 12);
    } else {
      body.set(address.ip.slice(0, 16), at);
    }
    body[at + 16] = (address.port >> 8) & 0xff;
    body[at + 17] = address.port & 0xff;
  });
  return body;
}

/** The reply to a poke: echoes its client key, adds the host key (32 random bytes). */
export function buildReplyBody(clientKey: Uint8Array, hostKey: Uint8Array): Uint8Array {
  if (clientKey.length !== KDNET_CLIENT_KEY_SIZE || hostKey.length !== KDNET_HOST_KEY_SIZE)
    throw new RangeError('client and host keys are 32 bytes each');
  const body = new Uint8Array(KDNET_CONTROL_REPLY_SIZE);
  body[0] = KDNET_HANDSHAKE_VERSION;
  body[1] = KdnetControlKind.REPLY;
  body.set(clientKey, KEY_AT);
  body.set(hostKey, KEY_AT + KDNET_CLIENT_KEY_SIZE);
  return body;
}

/** What a control body is, or undefined for one we do not know (counted, ignored). */
export function parseControlBody(body: Uint8Array): KdnetControlMessage | undefined {
  if (body.length < ADDRESSES_AT || body[0] !== KDNET_HANDSHAKE_VERSION) return undefined;
  const clientKey = body.slice(KEY_AT, ADDRESSES_AT);
  if (body[1] === KdnetControlKind.POKE) return { kind: 'poke', clientKey };
  if (body[1] === KdnetControlKind.REPLY && body.length >= KDNET_CONTROL_REPLY_SIZE) {
    return {
      kind: 'reply',
      clientKey,
      hostKey: body.slice(ADDRESSES_AT, ADDRESSES_AT + KDNET_HOST_KEY_SIZE),
    };
  }
  return undefined;
}
