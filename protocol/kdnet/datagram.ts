// KDNET datagram layout (kdnet.lua, radare2/rizin iob_net.c, PROTOCOL.md "KDNET"):
//   "MDBG" | u8 version | u8 channel | AES-256-CBC ciphertext | 16-byte trailer
// The trailer is both the CBC IV and the first 16 bytes of HMAC-SHA256(NOT startKey,
// header || plaintext). Plaintext: 8-byte KDNET data header (big-endian sequence number in
// bytes 0..6; byte 7 = 0x80 when sent by the debugger | padding length), the body, padding.

export const KDNET_MAGIC = Uint8Array.of(0x4d, 0x44, 0x42, 0x47); // "MDBG"
export const KDNET_HEADER_SIZE = 6;
export const KDNET_TRAILER_SIZE = 16;
export const KDNET_DATA_HEADER_SIZE = 8;
export const KDNET_BLOCK_SIZE = 16;
/** Version byte of the real capture (and of the Windows 8..10 era targets). */
export const KDNET_DEFAULT_VERSION = 4;
export const KDNET_FROM_DEBUGGER = 0x80;
/** Byte 7 of the debugger's control reply whose body seeds the data key. */
export const KDNET_CONTROL_REPLY_TAG = 0x86;
/** The control reply body (plaintext[8:330]) hashed into the data key. */
export const KDNET_CONTROL_REPLY_SIZE = 322;

export const KdnetChannel = { DATA: 0, CONTROL: 1 } as const;

export interface KdnetDatagram {
  /** The 6 clear bytes (magic, version, channel), covered by the HMAC. */
  readonly header: Uint8Array;
  readonly version: number;
  readonly channel: number;
  readonly ciphertext: Uint8Array;
  readonly trailer: Uint8Array;
}

/** Starts with "MDBG": worth trying as KDNET. */
export function hasKdnetMagic(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === KDNET_MAGIC[0] &&
    bytes[1] === KDNET_MAGIC[1] &&
    bytes[2] === KDNET_MAGIC[2] &&
    bytes[3] === KDNET_MAGIC[3]
  );
}

/** Splits a datagram into views (no copy), or returns why it cannot be KDNET. */
export function parseKdnetDatagram(bytes: Uint8Array): KdnetDatagram | string {
  if (!hasKdnetMagic(bytes)) return 'no MDBG magic';
  const cipherLength = bytes.length - KDNET_HEADER_SIZE - KDNET_TRAILER_SIZE;
  if (cipherLength < KDNET_BLOCK_SIZE || cipherLength % KDNET_BLOCK_SIZE !== 0) {
    return `ciphertext of ${Math.max(cipherLength, 0)} bytes is not a whole number of AES blocks`;
  }
  return {
    header: bytes.subarray(0, KDNET_HEADER_SIZE),
    version: bytes[4]!,
    channel: bytes[5]!,
    ciphertext: bytes.subarray(KDNET_HEADER_SIZE, KDNET_HEADER_SIZE + cipherLength),
    trailer: bytes.subarray(KDNET_HEADER_SIZE + cipherLength),
  };
}

/** The plaintext's 8-byte header. */
export interface KdnetDataHeader {
  /** Per direction, from 1 (7 bytes big-endian; fits a double). */
  readonly seq: number;
  readonly fromDebugger: boolean;
  /** Zero bytes after the body (low 7 bits of byte 7). */
  readonly padding: number;
  readonly tag: number;
}

export function readDataHeader(plaintext: Uint8Array): KdnetDataHeader {
  let seq = 0;
  for (let i = 0; i < 7; i++) seq = seq * 256 + plaintext[i]!;
  const tag = plaintext[7]!;
  return {
    seq,
    fromDebugger: (tag & KDNET_FROM_DEBUGGER) !== 0,
    padding: tag & 0x7f,
    tag,
  };
}

/** Padding that makes 8 + body + padding a multiple of 16 (what radare2 and Windows send). */
export function paddingFor(bodyLength: number): number {
  return -(bodyLength + KDNET_DATA_HEADER_SIZE) & (KDNET_BLOCK_SIZE - 1);
}
