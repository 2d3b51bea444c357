// KDNET datagram layout. Sources, checked against each other and the real capture
// (test/fixtures/windbg-uncut.pcapng.gz):
//   [rizin]  rizinorg/rizin subprojects/rzwinkd/iob_net.c (_createKDNetPacket, _decrypt,
//            _verifyhmac) and kd.h (kdnet_packet_t, KDNET_DATA_* masks), at f82993a30d;
//   [lua]    Lekensteyn/kdnet kdnet.lua (kdnet_proto.dissector, decrypt, data_key), at 2ff242f.
// ReactOS's drivers/base/kdnet (db271c2) is no source for this layer: it sends kdcom's serial
// framing to the NIC extensibility module, with no MDBG header and no crypto (kdnet.c
// KdSendPacket; kdnet_packet.c is a stub).
//
//   "MDBG" | u8 version | u8 channel | AES-256-CBC ciphertext | 16-byte trailer
// The trailer is both the CBC IV and the first 16 bytes of HMAC-SHA256(NOT startKey,
// header || plaintext) [rizin _createKDNetPacket: HMAC over the buffer from offset 0, IV =
// the HMAC; lua decrypt: IV = the last 16 bytes]. Plaintext: 8-byte KDNET data header
// (big-endian sequence number in bytes 0..6; byte 7 = 0x80 when sent by the debugger |
// padding length), the body, padding.

/** [rizin kd.h KDNET_MAGIC 0x4d444247, written big-endian] [lua: tvb(0, 4) == 0x4d444247]. */
export const KDNET_MAGIC = Uint8Array.of(0x4d, 0x44, 0x42, 0x47); // "MDBG"
export const KDNET_HEADER_SIZE = 6;
/** [rizin KDNET_HMAC_SIZE 16] */
export const KDNET_TRAILER_SIZE = 16;
/** [rizin KDNET_DATA_SIZE 8] */
export const KDNET_DATA_HEADER_SIZE = 8;
export const KDNET_BLOCK_SIZE = 16;
/**
 * Version byte of the real capture (and of the Windows 8..10 era targets). rizin answers with
 * the version of the target's last control datagram (iob_net_read: obj->version = pkt.version).
 */
export const KDNET_DEFAULT_VERSION = 4;
/**
 * [rizin kd.h KDNET_DATA_DIRECTION_MASK 0x80; _createKDNetPacket writes 0x8 << 4 for the
 * debugger] [lua: "if tag & 0x80, then direction debugger -> debuggee"].
 */
export const KDNET_FROM_DEBUGGER = 0x80;
/**
 * The padding length: [rizin kd.h KDNET_DATA_PADSIZE_MASK 0x7f]. rizin's iob_net_read masks
 * with 0xf, which agrees: the padding only ever aligns to 16 (always below 16).
 */
export const KDNET_PADDING_MASK = 0x7f;
/**
 * Byte 7 of the debugger's control reply whose body seeds the data key: the debugger bit and
 * the 6 padding bytes 8 + 322 needs [lua: dec_data(7, 1) == 0x86].
 */
export const KDNET_CONTROL_REPLY_TAG = 0x86;
/**
 * The control reply body (plaintext[8:330]) hashed into the data key [rizin
 * _sendResponsePacket: a 322-byte resbuf; lua data_key: string.sub(decrypted, 8+1, 8+322)].
 */
export const KDNET_CONTROL_REPLY_SIZE = 322;

/** [rizin kd.h KDNET_PACKET_TYPE_DATA 0, KDNET_PACKET_TYPE_CONTROL 1] */
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
  /**
   * 7 bytes big-endian [rizin: `seqno << 8`]; per direction and channel, data from 1 [rizin
   * iob_net_write: static seqno = 1, +1 per datagram]; a control reply repeats the poke's
   * [rizin _sendResponsePacket; the real capture: poke and reply both seq 3]. Fits a double.
   */
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
    padding: tag & KDNET_PADDING_MASK,
    tag,
  };
}

/**
 * Padding that makes 8 + body + padding a multiple of 16: [rizin _createKDNetPacket
 * `padsize = -(size + 8) & 0x0F`]; every datagram of the real capture agrees.
 */
export function paddingFor(bodyLength: number): number {
  return -(bodyLength + KDNET_DATA_HEADER_SIZE) & (KDNET_BLOCK_SIZE - 1);
}
