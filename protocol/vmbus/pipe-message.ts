// windbg-uefi's VMBus pipe messages: the 24-byte header its guest and host put before every
// KD payload, and the feedback (acknowledge) replies of its optional resend mode. On the host,
// vmbuspiper.dll's ReadFile/WriteFile see exactly these bytes (PROTOCOL.md, "VMBus pipe channel").

export const PIPE_HEADER_SIZE = 24;
export const DATA_MAGIC = 0x56867960;
export const DATA_MAGIC_END = 0x87283679;
export const FEEDBACK_MAGIC = 0x15957899;
export const FEEDBACK_MAGIC_END = 0x36133574;

export const PipeFlag = {
  DATA: 1,
  FEEDBACK_FROM_HOST: 2,
  FEEDBACK_FROM_VM: 3,
} as const;

/** The host's first sequence number (a counter at 0x5686 incremented before use). */
export const HOST_FIRST_SEQ = 0x5687;
/** The VM's first sequence number. */
export const VM_FIRST_SEQ = 2;

export interface PipeMessage {
  readonly kind: 'data' | 'feedback';
  readonly flag: number;
  readonly seq: number;
  readonly payload: Uint8Array;
  readonly checksum: number;
  readonly checksumOk: boolean;
}

/**
 * XOR of the little-endian u32 words of the header (checksum field taken as zero) and of the
 * payload zero-padded to a multiple of 4 bytes.
 */
export function pipeChecksum(header: Uint8Array, payload: Uint8Array): number {
  let x = 0;
  for (let i = 0; i < PIPE_HEADER_SIZE; i += 4) {
    if (i === 16) continue;
    x ^= readU32(header, i);
  }
  const whole = payload.length & ~3;
  for (let i = 0; i < whole; i += 4) x ^= readU32(payload, i);
  if (whole < payload.length) {
    let last = 0;
    for (let i = whole; i < payload.length; i++) last |= payload[i]! << ((i - whole) * 8);
    x ^= last;
  }
  return x >>> 0;
}

function readU32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0
  );
}

function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
  bytes[at + 2] = (value >>> 16) & 0xff;
  bytes[at + 3] = (value >>> 24) & 0xff;
}

function encode(
  magic: number,
  magicEnd: number,
  flag: number,
  seq: number,
  payload: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(PIPE_HEADER_SIZE + payload.length);
  writeU32(out, 0, magic);
  writeU32(out, 4, flag);
  writeU32(out, 8, payload.length);
  writeU32(out, 12, seq);
  writeU32(out, 20, magicEnd);
  out.set(payload, PIPE_HEADER_SIZE);
  writeU32(out, 16, pipeChecksum(out, payload));
  return out;
}

/** A data message carrying KD stream bytes. */
export function encodePipeData(seq: number, payload: Uint8Array): Uint8Array {
  return encode(DATA_MAGIC, DATA_MAGIC_END, PipeFlag.DATA, seq, payload);
}

/** A feedback reply acknowledging the peer's message `seq` (feedback mode only). */
export function encodePipeFeedback(seq: number, fromHost: boolean): Uint8Array {
  const flag = fromHost ? PipeFlag.FEEDBACK_FROM_HOST : PipeFlag.FEEDBACK_FROM_VM;
  return encode(FEEDBACK_MAGIC, FEEDBACK_MAGIC_END, flag, seq, new Uint8Array(0));
}

export type PipeDecodeResult =
  | { readonly ok: true; readonly message: PipeMessage }
  | { readonly ok: false; readonly error: string };

/**
 * Decodes one whole message (ReadFile on a vmbus pipe returns one message per call).
 * Never throws: a malformed message is an error result saying what is wrong.
 */
export function decodePipeMessage(bytes: Uint8Array): PipeDecodeResult {
  if (bytes.length < PIPE_HEADER_SIZE) {
    return { ok: false, error: `message of ${bytes.length} bytes is shorter than its header` };
  }
  const magic = readU32(bytes, 0);
  const magicEnd = readU32(bytes, 20);
  let kind: PipeMessage['kind'];
  if (magic === DATA_MAGIC && magicEnd === DATA_MAGIC_END) kind = 'data';
  else if (magic === FEEDBACK_MAGIC && magicEnd === FEEDBACK_MAGIC_END) kind = 'feedback';
  else return { ok: false, error: `bad magic 0x${magic.toString(16)}/0x${magicEnd.toString(16)}` };
  const size = readU32(bytes, 8);
  if (size !== bytes.length - PIPE_HEADER_SIZE) {
    return {
      ok: false,
      error: `msgsize ${size} does not match the ${bytes.length - PIPE_HEADER_SIZE} payload bytes`,
    };
  }
  const payload = bytes.slice(PIPE_HEADER_SIZE);
  const checksum = readU32(bytes, 16);
  return {
    ok: true,
    message: {
      kind,
      flag: readU32(bytes, 4),
      seq: readU32(bytes, 12),
      payload,
      checksum,
      checksumOk: checksum === pipeChecksum(bytes, payload),
    },
  };
}
