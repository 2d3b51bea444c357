// node:crypto behind protocol/kdnet's KdnetCrypto interface.

import type * as NodeCrypto from 'node:crypto';
import type { KdnetCrypto } from '../../protocol/kdnet/primitives';

/** node:crypto, loaded on first use: only KDNET needs it, and loading it costs ~2 ms. */
let cryptoModule: typeof NodeCrypto | undefined;
const crypto = (): typeof NodeCrypto => (cryptoModule ??= process.getBuiltinModule('node:crypto'));

/** A plain Uint8Array over a Buffer's bytes: Buffer.slice() would not copy, Uint8Array's does. */
export function plainBytes(buf: Uint8Array): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function cbc(
  make: typeof NodeCrypto.createCipheriv | typeof NodeCrypto.createDecipheriv,
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
): Uint8Array {
  const cipher = make('aes-256-cbc', key, iv);
  cipher.setAutoPadding(false);
  const head = cipher.update(data);
  const tail = cipher.final();
  return plainBytes(tail.length === 0 ? head : Buffer.concat([head, tail]));
}

export const nodeKdnetCrypto: KdnetCrypto = {
  aes256CbcDecrypt: (key, iv, data) => cbc(crypto().createDecipheriv, key, iv, data),
  aes256CbcEncrypt: (key, iv, data) => cbc(crypto().createCipheriv, key, iv, data),
  hmacSha256(key, parts) {
    const mac = crypto().createHmac('sha256', key);
    for (const part of parts) mac.update(part);
    return plainBytes(mac.digest());
  },
  sha256(parts) {
    const hash = crypto().createHash('sha256');
    for (const part of parts) hash.update(part);
    return plainBytes(hash.digest());
  },
};

/** Random bytes for KDNET client and host keys. */
export function nodeRandomBytes(n: number): Uint8Array {
  return plainBytes(crypto().randomBytes(n));
}
