// Synchronous writes to a file descriptor: once write() returns, the bytes are in the kernel,
// so a capture survives `kill -9` of the process up to the last frame written. A failed write
// is undone (the file is cut back to its last whole frame when it is a regular file) and
// reported as one line; a later write may succeed again (disk space freed).

import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { CaptureWriteError, errnoCode, errorText } from './capture-error';

export class FileSink {
  private closed = false;
  private readonly regularFile: boolean;
  /** File size after the last whole write (regular files only). */
  private goodSize: number;

  private constructor(
    private readonly fd: number,
    readonly label: string,
    private readonly ownsFd: boolean,
  ) {
    const stat = fstatSync(fd);
    this.regularFile = stat.isFile();
    this.goodSize = this.regularFile ? stat.size : 0;
  }

  /** Creates (or truncates) `path`. */
  static create(path: string): FileSink {
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (err) {
      throw new CaptureWriteError(
        `cannot create capture ${path}: ${errorText(err)}`,
        errnoCode(err),
      );
    }
    return new FileSink(fd, path, true);
  }

  /** Appends to a regular file's end (or writes to a pipe); closes it on close() only when `closeFd`. */
  static fromFd(fd: number, label = `fd ${fd}`, closeFd = false): FileSink {
    try {
      return new FileSink(fd, label, closeFd);
    } catch (err) {
      throw new CaptureWriteError(
        `cannot write capture ${label}: ${errorText(err)}`,
        errnoCode(err),
      );
    }
  }

  /** Bytes written so far (the file's size, for a file that started empty). */
  get bytesWritten(): number {
    return this.goodSize;
  }

  write(bytes: Uint8Array): void {
    if (this.closed) throw new CaptureWriteError(`cannot write capture ${this.label}: closed`);
    let done = 0;
    try {
      while (done < bytes.length) {
        // Positional on regular files, so a rolled-back failure leaves no hole behind.
        const position = this.regularFile ? this.goodSize + done : null;
        done += writeSync(this.fd, bytes, done, bytes.length - done, position);
      }
    } catch (err) {
      if (done > 0 && this.regularFile) this.rollBack();
      throw new CaptureWriteError(
        `cannot write capture ${this.label}: ${errorText(err)}`,
        errnoCode(err),
      );
    }
    this.goodSize += bytes.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.ownsFd) return;
    try {
      closeSync(this.fd);
    } catch (err) {
      throw new CaptureWriteError(
        `cannot close capture ${this.label}: ${errorText(err)}`,
        errnoCode(err),
      );
    }
  }

  private rollBack(): void {
    try {
      ftruncateSync(this.fd, this.goodSize);
    } catch {
      // Best effort: the error being reported is the write's, not this one.
    }
  }
}
