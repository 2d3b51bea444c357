// .gz captures. A small intact one is decompressed in memory at once (native zlib, bounded);
// anything else (large, a bomb, damaged) is inflated on demand into the reader's own block,
// so memory stays bounded whatever the input inflates to, and a damaged stream yields every
// byte before the damage, then says what and where.
//
// node:zlib has no public synchronous streaming inflate (its sync calls are one-shot), and the
// capture readers are synchronous; pako's low-level zlib port is: it inflates exactly as far
// as the output room it is given, checks each member's CRC and length, and leaves the output
// it produced before an error in place.

import type * as Pako from 'pako';
import type * as Zlib from 'node:zlib';
import { readSync } from 'node:fs';
import { CaptureError, errorText } from './capture-error';

/** node:zlib, loaded on first use: most captures are not compressed (it costs ~1 ms). */
let zlibModule: typeof Zlib | undefined;
const zlib = (): typeof Zlib => (zlibModule ??= process.getBuiltinModule('node:zlib'));

/**
 * pako, loaded on first use: only a large or damaged .gz needs it, and every `kdscope decode`
 * would otherwise pay for evaluating it. A require (bundled, evaluated when called) because the
 * capture readers are synchronous: the Electron main bundle is CommonJS, the CLI bundle defines
 * `require` in its banner, and vitest provides one.
 */
let pakoModule: typeof Pako | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pako = (): typeof Pako => (pakoModule ??= require('pako') as typeof Pako);

/**
 * Decompressed size up to which a .gz capture is held in memory (its chunks are then views
 * into one buffer, and native zlib is fastest); above it, and for a damaged stream, it is
 * streamed.
 */
export const IN_MEMORY_LIMIT = 8 * 1024 * 1024;

/** zlib's windowBits for "gzip wrapper only, 32 KiB window". */
const GZIP_WINDOW_BITS = 16 + 15;
// zlib's flush and status codes (pako's too).
const Z_NO_FLUSH = 0;
const Z_OK = 0;
const Z_STREAM_END = 1;
const Z_BUF_ERROR = -5;
const INPUT_BLOCK = 64 * 1024;

export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/**
 * The whole decompressed capture when it is intact and at most IN_MEMORY_LIMIT bytes;
 * undefined when it is larger or damaged (stream it instead: that finds the damage).
 */
export function gunzipSmall(input: Uint8Array): Uint8Array | undefined {
  try {
    const out = zlib().gunzipSync(input, { maxOutputLength: IN_MEMORY_LIMIT });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch {
    return undefined;
  }
}

/**
 * A .gz file (an open descriptor the caller closes) inflated on demand: read() fills the
 * caller's buffer and returns how many bytes it wrote, 0 at the end. A damaged stream ends
 * early with `damage` set (one line, naming the compressed offset); concatenated members are
 * read as one stream, and zeros after the last member are padding, as node:zlib reads them.
 */
export class GunzipStream {
  /** Why the stream ended before its end, once it has. */
  damage: string | undefined;
  private readonly strm: Pako.ZStream;
  private readonly inflate: typeof Pako.zlibInflate;
  private readonly input = new Uint8Array(INPUT_BLOCK);
  /** File position of the next compressed block. */
  private position = 0;
  private fileEnded = false;
  private done = false;
  /** Between members (or before the first): the file may end here without damage. */
  private betweenMembers = true;

  constructor(
    private readonly fd: number,
    private readonly what: string,
  ) {
    const { ZStream, zlibInflate, zlibInflateInit2 } = pako();
    this.inflate = zlibInflate;
    this.strm = new ZStream();
    this.strm.input = this.input;
    this.strm.next_in = 0;
    this.strm.avail_in = 0;
    zlibInflateInit2(this.strm, GZIP_WINDOW_BITS);
  }

  /** Decompresses into into[at, at + n); returns the byte count, 0 once the stream has ended. */
  read(into: Uint8Array, at: number, n: number): number {
    if (this.done || n === 0) return 0;
    const strm = this.strm;
    // pako types its buffers over ArrayBuffer; it only indexes them.
    strm.output = into as Uint8Array<ArrayBuffer>;
    strm.next_out = at;
    strm.avail_out = n;
    while (strm.avail_out > 0 && !this.done) {
      if (strm.avail_in === 0 && !this.readInput()) {
        if (!this.betweenMembers) this.damage = 'truncated gzip stream (unexpected end of file)';
        this.done = true;
        break;
      }
      if (this.betweenMembers) {
        // After a member, zeros end the stream (padding, as node:zlib and gunzip take it);
        // anything else must be another member.
        if (this.position > strm.avail_in && this.input[strm.next_in] === 0) {
          this.done = true;
          break;
        }
        this.betweenMembers = false;
      }
      const status = this.inflate(strm, Z_NO_FLUSH);
      if (status === Z_STREAM_END) {
        this.betweenMembers = true;
        pako().zlibInflateReset(strm);
      } else if (status !== Z_OK && !(status === Z_BUF_ERROR && strm.avail_in === 0)) {
        // Z_BUF_ERROR with input left cannot happen with room for output; were it to, it
        // would loop forever, so it counts as damage like any other error.
        const consumed = this.position - strm.avail_in;
        this.damage = `corrupt gzip data near compressed byte ${consumed} (${strm.msg || `zlib status ${status}`})`;
        this.done = true;
      }
    }
    return strm.next_out - at;
  }

  private readInput(): boolean {
    if (this.fileEnded) return false;
    let got: number;
    try {
      got = readSync(this.fd, this.input, 0, this.input.length, this.position);
    } catch (err) {
      throw new CaptureError(`cannot read ${this.what}: ${errorText(err)}`);
    }
    if (got === 0) {
      this.fileEnded = true;
      return false;
    }
    this.position += got;
    this.strm.next_in = 0;
    this.strm.avail_in = got;
    return true;
  }
}
