// The bytes a container parser walks: a whole capture in memory (a small gunzipped one, or one
// whose chunks must stay valid), or a file read in one reused block (a .gz one inflated into
// that block). Reading an 18 MB capture into a fresh 18 MB buffer costs a page fault per 4 KiB
// and a pass through memory; a 256 KiB block that is filled again and again stays in the
// cache, and the file is never all in memory, whatever it inflates to.

import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { devNull } from 'node:os';
import { CaptureError, errorText } from './capture-error';
import { GunzipStream } from './gunzip';

export const BLOCK_SIZE = 256 * 1024;

/** What a path that is not a regular file is, and what to do instead (one line). */
function notAFile(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  const kind = stat.isFIFO()
    ? 'a FIFO (named pipe)'
    : stat.isCharacterDevice()
      ? 'a character device'
      : stat.isBlockDevice()
        ? 'a block device'
        : stat.isSocket()
          ? 'a socket'
          : 'a special file';
  return `${kind}, not a regular file (save the stream to a file first)`;
}

/** The null device reads as an empty file: `--target /dev/null` for a one-sided stream. */
function isNullDevice(stat: Stats): boolean {
  if (!stat.isCharacterDevice()) return false;
  const nul = statSync(devNull, { throwIfNoEntry: false });
  return nul !== undefined && nul.isCharacterDevice() && nul.rdev === stat.rdev;
}

/**
 * Opens a regular file for reading; throws CaptureError (`cannot read WHAT PATH: ...`) for
 * anything else. The open never blocks: a FIFO without a writer would otherwise hold the
 * thread (and with it every signal handler) until one comes; a FIFO, a device or a socket is
 * a stream without end or size that the capture readers cannot bound, so it is refused (the
 * null device excepted: it is empty).
 */
export function openRegularFile(path: string, what: string): number {
  let fd: number;
  try {
    // O_NONBLOCK does not exist on Windows, where opening a pipe does not wait for a writer.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw new CaptureError(`cannot read ${what} ${path}: ${errorText(err)}`);
  }
  let stat: Stats;
  try {
    stat = fstatSync(fd);
  } catch (err) {
    closeSync(fd);
    throw new CaptureError(`cannot read ${what} ${path}: ${errorText(err)}`);
  }
  if (!stat.isFile() && !isNullDevice(stat)) {
    closeSync(fd);
    throw new CaptureError(`cannot read ${what} ${path}: it is ${notAFile(stat)}`);
  }
  return fd;
}

/**
 * A window on the capture that moves forward: bytes [0, end) of `buf` are the capture's bytes
 * [base, base + end). `has` moves and refills it; `buf` and `view` may be replaced then.
 */
export class CaptureInput {
  buf: Uint8Array;
  view: DataView;
  base = 0;
  end: number;
  private eof: boolean;

  private constructor(
    buf: Uint8Array,
    end: number,
    private readonly file:
      { readonly fd: number; readonly what: string; readonly gunzip?: GunzipStream } | undefined,
  ) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.end = end;
    this.eof = file === undefined;
  }

  /** All of a capture, already in memory. */
  static ofBytes(bytes: Uint8Array): CaptureInput {
    return new CaptureInput(bytes, bytes.length, undefined);
  }

  /**
   * Reads `path` block by block; `close` must follow. `what` names the file in error lines
   * (`cannot read capture PATH: ...`, like an unreadable file at open).
   */
  static openFile(path: string, what: string, blockSize = BLOCK_SIZE): CaptureInput {
    const fd = openRegularFile(path, what);
    return new CaptureInput(new Uint8Array(blockSize), 0, { fd, what: `${what} ${path}` });
  }

  /**
   * Reads the decompressed bytes of the .gz file `path`, inflated block by block as the window
   * moves (never more than the window holds); `close` must follow.
   */
  static openGzip(path: string, what: string, blockSize = BLOCK_SIZE): CaptureInput {
    const fd = openRegularFile(path, what);
    const gunzip = new GunzipStream(fd, `${what} ${path}`);
    return new CaptureInput(new Uint8Array(blockSize), 0, { fd, what: `${what} ${path}`, gunzip });
  }

  /** Why a .gz capture ended early (set once the window has met its end). */
  get gzipDamage(): string | undefined {
    return this.file?.gunzip?.damage;
  }

  close(): void {
    if (this.file !== undefined) closeSync(this.file.fd);
  }

  /**
   * Makes capture bytes [from, from + n) readable in `buf` (from >= base: the window only
   * moves forward). False when the capture ends first; `base + end` is then its size.
   */
  has(from: number, n: number): boolean {
    return from + n <= this.base + this.end || this.refill(from, n);
  }

  private refill(from: number, n: number): boolean {
    if (this.eof) return false;
    // A reader may jump ahead of the window (a range read): then nothing in it is kept.
    const keep = Math.min(from - this.base, this.end);
    if (from - this.base > this.end && this.file?.gunzip) {
      throw new CaptureError(
        `cannot read ${this.file.what}: a compressed capture is read from its start`,
      );
    }
    let buf = this.buf;
    if (n > buf.length) {
      // A record larger than the block: the block grows (the parsers bound record sizes).
      const grown = new Uint8Array(Math.max(n, buf.length * 2));
      grown.set(buf.subarray(keep, this.end));
      buf = grown;
      this.buf = grown;
      this.view = new DataView(grown.buffer);
    } else if (keep > 0) {
      buf.copyWithin(0, keep, this.end);
    }
    this.end -= keep;
    this.base = from;
    const { fd, what, gunzip } = this.file!;
    while (this.end < buf.length) {
      let got: number;
      try {
        got = gunzip
          ? gunzip.read(buf, this.end, buf.length - this.end)
          : readSync(fd, buf, this.end, buf.length - this.end, this.base + this.end);
      } catch (err) {
        // No offset: like a file unreadable at open, this is not damage at a place in it.
        throw new CaptureError(`cannot read ${what}: ${errorText(err)}`);
      }
      if (got === 0) {
        this.eof = true;
        break;
      }
      this.end += got;
    }
    return this.end >= n;
  }
}
