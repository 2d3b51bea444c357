// The primitives KDNET needs, behind an interface so protocol/ stays free of Node APIs.
// The engine passes the node:crypto implementation (electron/capture/kdnet-node-crypto.ts).
// Synchronous on purpose: captures are decoded in one synchronous pass.

export interface KdnetCrypto {
  /** AES-256-CBC without padding; `data.length` is a multiple of 16. */
  aes256CbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  aes256CbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  /** Full 32-byte HMAC-SHA256 over the concatenation of `parts`. */
  hmacSha256(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array;
  /** 32-byte SHA-256 over the concatenation of `parts`. */
  sha256(parts: readonly Uint8Array[]): Uint8Array;
}
