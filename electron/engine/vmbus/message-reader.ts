// Splits what a transport read into windbg-uefi messages. One ReadFile on the host may return
// several messages back to back (the seed's host relay splits them too), and a byte-mode handle
// may cut one; a message-mode transport never does, so a short tail there is damage, not a
// wait. Damaged input is skipped up to the next header and counted, never thrown.

import {
  DATA_MAGIC,
  DATA_MAGIC_END,
  FEEDBACK_MAGIC,
  FEEDBACK_MAGIC_END,
  PIPE_HEADER_SIZE,
} from '../../../protocol/vmbus/pipe-message';

export type ReaderItem =
  | { readonly kind: 'message'; readonly bytes: Uint8Array }
  | { readonly kind: 'damage'; readonly length: number; readonly why: string };

/** Payloads larger than this are taken as a corrupt msgsize (windbg-uefi's rings are 8 KiB). */
export const MAX_PIPE_PAYLOAD = 0x4000;

function u32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0
  );
}

function headerAt(bytes: Uint8Array, at: number): boolean {
  if (bytes.length - at < PIPE_HEADER_SIZE) return false;
  const magic = u32(bytes, at);
  const end = u32(bytes, at + 20);
  return (
    (magic === DATA_MAGIC && end === DATA_MAGIC_END) ||
    (magic === FEEDBACK_MAGIC && end === FEEDBACK_MAGIC_END)
  );
}

/** Where the next plausible header starts at or after `from` (its magic), or -1. */
function nextMagic(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 4 <= bytes.length; i++) {
    const b = bytes[i];
    if (b !== 0x60 && b !== 0x99) continue;
    const magic = u32(bytes, i);
    if (magic === DATA_MAGIC || magic === FEEDBACK_MAGIC) return i;
  }
  return -1;
}

export class MessageReader {
  private held = new Uint8Array(0);

  constructor(private readonly boundaries: 'message' | 'stream') {}

  /** Bytes held back waiting for the rest of a message (stream mode only). */
  get pending(): number {
    return this.held.length;
  }

  push(chunk: Uint8Array, out: (item: ReaderItem) => void): void {
    let bytes = chunk;
    if (this.held.length > 0) {
      bytes = new Uint8Array(this.held.length + chunk.length);
      bytes.set(this.held);
      bytes.set(chunk, this.held.length);
      this.held = new Uint8Array(0);
    }
    let at = 0;
    while (at < bytes.length) {
      const left = bytes.length - at;
      if (left < PIPE_HEADER_SIZE && this.boundaries === 'stream') {
        // Maybe the start of a header: keep it if it could be one.
        const next = nextMagic(bytes, at);
        if (next === at || (next < 0 && left < 4)) {
          this.held = bytes.slice(at);
          return;
        }
      }
      if (!headerAt(bytes, at)) {
        const next = nextMagic(bytes, at + 1);
        const stop = next < 0 ? bytes.length : next;
        if (next < 0 && this.boundaries === 'stream' && bytes.length - at > 3) {
          // Keep the last 3 bytes: a magic may start there.
          out({
            kind: 'damage',
            length: bytes.length - 3 - at,
            why: 'bytes without a message header',
          });
          this.held = bytes.slice(bytes.length - 3);
          return;
        }
        out({
          kind: 'damage',
          length: stop - at,
          why:
            left < PIPE_HEADER_SIZE
              ? `a ${left}-byte tail shorter than a header`
              : 'bytes without a message header',
        });
        at = stop;
        continue;
      }
      const size = u32(bytes, at + 8);
      if (size > MAX_PIPE_PAYLOAD) {
        const next = nextMagic(bytes, at + 4);
        const stop = next < 0 ? bytes.length : next;
        out({ kind: 'damage', length: stop - at, why: `msgsize ${size} is too large` });
        at = stop;
        continue;
      }
      const total = PIPE_HEADER_SIZE + size;
      if (left < total) {
        if (this.boundaries === 'stream') {
          this.held = bytes.slice(at);
          return;
        }
        out({
          kind: 'damage',
          length: left,
          why: `msgsize ${size} overruns the ${left - PIPE_HEADER_SIZE} bytes read`,
        });
        return;
      }
      out({ kind: 'message', bytes: bytes.subarray(at, at + total) });
      at += total;
    }
  }
}
