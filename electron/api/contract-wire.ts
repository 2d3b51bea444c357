// Tagged messages of the workbench API and their binary framing for the WebSocket.
// Electron IPC carries the same message objects by structured clone.

import { isEventName, isOpName, type EventName, type OpName } from './contract';

export interface RequestMessage {
  readonly t: 'req';
  readonly id: number;
  readonly op: OpName;
  /** Absent for operations without an argument. */
  readonly arg?: unknown;
}
export interface ResponseMessage {
  readonly t: 'res';
  readonly id: number;
  readonly value: unknown;
}
export interface ErrorMessage {
  readonly t: 'err';
  readonly id: number;
  readonly error: { readonly name: string; readonly message: string };
}
export interface EventMessage {
  readonly t: 'evt';
  readonly name: EventName;
  readonly data: unknown;
}
export type ClientMessage = RequestMessage;
export type ServerMessage = ResponseMessage | ErrorMessage | EventMessage;
export type Message = ClientMessage | ServerMessage;

/** A malformed message: the peer is buggy or hostile; the connection is closed. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Checks the envelope of what a client sent; the argument is checked per operation later. */
export function parseClientMessage(v: unknown): ClientMessage {
  if (!isRecord(v) || v.t !== 'req') throw new ProtocolError('not a request message');
  if (!isId(v.id)) throw new ProtocolError('request without a valid id');
  if (!isOpName(v.op)) throw new ProtocolError(`unknown operation ${JSON.stringify(v.op)}`);
  const keys = Object.keys(v);
  if (keys.some((k) => k !== 't' && k !== 'id' && k !== 'op' && k !== 'arg'))
    throw new ProtocolError('request with unexpected keys');
  return { t: 'req', id: v.id, op: v.op, arg: v.arg };
}

export function parseServerMessage(v: unknown): ServerMessage {
  if (!isRecord(v)) throw new ProtocolError('not a message');
  switch (v.t) {
    case 'res':
      if (!isId(v.id)) throw new ProtocolError('response without a valid id');
      return { t: 'res', id: v.id, value: v.value };
    case 'err': {
      const e = v.error;
      if (
        !isId(v.id) ||
        !isRecord(e) ||
        typeof e.name !== 'string' ||
        typeof e.message !== 'string'
      )
        throw new ProtocolError('malformed error message');
      return { t: 'err', id: v.id, error: { name: e.name, message: e.message } };
    }
    case 'evt':
      if (!isEventName(v.name)) throw new ProtocolError(`unknown event ${JSON.stringify(v.name)}`);
      return { t: 'evt', name: v.name, data: v.data };
    default:
      throw new ProtocolError('message without a known tag');
  }
}

// Binary frame: u32 LE header length, UTF-8 JSON header, then the binary attachments back to
// back. Uint8Arrays anywhere in the message become {"$bin": [offset, length]} in the header,
// so record batches cross the socket without base64 or a JSON array of numbers.
const BIN = '$bin';
const MAX_DEPTH = 32;

export function encodeFrame(message: Message): Uint8Array<ArrayBuffer> {
  const blobs: Uint8Array[] = [];
  let blobBytes = 0;
  const header = JSON.stringify(message, (_key, value: unknown) => {
    if (value instanceof Uint8Array) {
      const at = blobBytes;
      blobs.push(value);
      blobBytes += value.length;
      return { [BIN]: [at, value.length] };
    }
    return value;
  });
  const headerBytes = new TextEncoder().encode(header);
  const out = new Uint8Array(4 + headerBytes.length + blobBytes);
  new DataView(out.buffer).setUint32(0, headerBytes.length, true);
  out.set(headerBytes, 4);
  let at = 4 + headerBytes.length;
  for (const blob of blobs) {
    out.set(blob, at);
    at += blob.length;
  }
  return out;
}

/** Decodes a frame; attachments are copied out so they do not keep the frame alive. */
export function decodeFrame(frame: Uint8Array): unknown {
  if (frame.length < 4) throw new ProtocolError('frame shorter than its header length');
  const headerLength = new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, true);
  if (headerLength > frame.length - 4) throw new ProtocolError('frame header length past its end');
  const body = frame.subarray(4 + headerLength);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(frame.subarray(4, 4 + headerLength)));
  } catch {
    throw new ProtocolError('frame header is not JSON');
  }
  return revive(parsed, body, 0);
}

function revive(value: unknown, body: Uint8Array, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new ProtocolError('message nested too deeply');
  if (Array.isArray(value)) return value.map((v) => revive(v, body, depth + 1));
  if (!isRecord(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === BIN) {
    const ref = value[BIN];
    if (!Array.isArray(ref) || ref.length !== 2 || !isId(ref[0]) || !isId(ref[1]))
      throw new ProtocolError('malformed binary reference');
    const [at, length] = ref as [number, number];
    if (at + length > body.length) throw new ProtocolError('binary reference past the frame');
    return body.slice(at, at + length);
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    // JSON.parse makes "__proto__" an own key; copying it by assignment would set the prototype.
    if (key === '__proto__') throw new ProtocolError('message with a __proto__ key');
    out[key] = revive(value[key], body, depth + 1);
  }
  return out;
}
