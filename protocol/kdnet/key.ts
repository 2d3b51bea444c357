// The KDNET starting key: the `w.x.y.z` the user passes to `bcdedit /dbgsettings net key:`.
// Four base-36 numbers, each below 2^64, laid out as 8 bytes apiece. Sources (see
// datagram.ts): [rizin iob_net.c base36_decode, iob_net_open] and [lua kdnet.lua dotted_key,
// data_key]; both agree on the base-36 parts and on the derived keys below.

import type { KdnetCrypto } from './primitives';

export class KdnetKeyError extends Error {
  override readonly name = 'KdnetKeyError';
}

/** How one 64-bit key part becomes its 8 bytes of the 32-byte key. */
export type KeyPartLayout = (part: bigint) => Uint8Array;

/**
 * A little-endian u64 per part: what rizin's KDNET transport (`rz_write_le64` in
 * iob_net.c iob_net_open; radare2's `r_write_le64` before it), which talks to real Windows
 * targets, does. The default.
 */
export const littleEndianPartLayout: KeyPartLayout = (part) => {
  const out = new Uint8Array(8);
  let n = part;
  for (let i = 0; i < 8; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
};

/**
 * kdnet.lua's layout: the number's bytes most-significant first without leading zeros, padded
 * with zero bytes on the right. It agrees with the little-endian one for parts below 256 only.
 */
export const kdnetLuaPartLayout: KeyPartLayout = (part) => {
  const bytes: number[] = [];
  for (let n = part; n > 0n; n >>= 8n) bytes.unshift(Number(n & 0xffn));
  const out = new Uint8Array(8);
  out.set(bytes);
  return out;
};

const MAX_PART = (1n << 64n) - 1n;

function parseBase36(text: string): bigint | undefined {
  if (!/^[0-9a-z]{1,13}$/.test(text)) return undefined;
  let n = 0n;
  for (const ch of text) n = n * 36n + BigInt(parseInt(ch, 36));
  return n <= MAX_PART ? n : undefined;
}

/** The 32-byte AES-256 starting key (control channel) for `w.x.y.z`; throws KdnetKeyError. */
export function parseKdnetKey(
  text: string,
  layout: KeyPartLayout = littleEndianPartLayout,
): Uint8Array {
  const parts = text.trim().toLowerCase().split('.');
  const numbers = parts.map(parseBase36);
  if (parts.length !== 4 || numbers.some((n) => n === undefined)) {
    throw new KdnetKeyError(
      `bad KDNET key "${text}": expected w.x.y.z, four base-36 numbers below 2^64`,
    );
  }
  const key = new Uint8Array(32);
  numbers.forEach((n, i) => key.set(layout(n!), i * 8));
  return key;
}

/**
 * HMAC-SHA256 key of both channels: the bitwise NOT of the starting key [rizin iob_net_open:
 * "HMAC Key is the negation of AES-256 Control Key bytes"; used for control and data alike].
 */
export function hmacKeyOf(startKey: Uint8Array): Uint8Array {
  return startKey.map((b) => ~b & 0xff);
}

/**
 * The data-channel key after the debugger's control reply (replyBody = its 322 bytes):
 * SHA-256(startKey || replyBody) [rizin _initializeDatakey; lua data_key].
 */
export function deriveDataKey(
  crypto: KdnetCrypto,
  startKey: Uint8Array,
  replyBody: Uint8Array,
): Uint8Array {
  return crypto.sha256([startKey, replyBody]);
}
