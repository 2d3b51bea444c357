// Buffered output for commands that print a lot (decode). Text and bytes are gathered in one
// reusable buffer and written in large pieces; formatters may write bytes straight into it
// (reserve, then fill `buf` from `pos`). A reader that goes away (`| head`) ends the output
// quietly instead of with an EPIPE trace.
//
// Into a pipe (`| jq`), stdout must block: Node makes a pipe on fd 1 non-blocking as soon as
// process.stdout exists, and then every full pipe (64 KiB) was an EAGAIN and a blind 2 ms
// sleep, which made piped output up to twice as slow as to a file. A blocking write instead
// sleeps in the kernel exactly until the reader has taken some.

import { writeSync } from 'node:fs';
import { RuntimeError } from './command';

const CAPACITY = 1 << 20;

export class OutputSink {
  /** The buffer being filled; bytes [0, pos) are pending. */
  buf: Buffer = Buffer.allocUnsafe(CAPACITY);
  pos = 0;
  private closedByReader = false;
  private readonly fd: number | undefined;

  /**
   * Writes to `stream`; when the stream is the process's own stdout, writes go straight to
   * file descriptor 1 with writeSync (no stream machinery, EPIPE seen at once, buffer reused).
   */
  constructor(private readonly stream: NodeJS.WritableStream) {
    this.fd = stream === process.stdout ? 1 : undefined;
    if (this.fd !== undefined) blockingStdout();
    if (this.fd === undefined) {
      stream.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED')
          this.closedByReader = true;
      });
    }
  }

  /** The reader went away: further output is dropped, the caller may stop early. */
  get closed(): boolean {
    return this.closedByReader;
  }

  /** Makes room for `n` more bytes at `pos` (n may exceed the capacity: the buffer grows). */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }

  write(text: string): void {
    this.reserve(text.length * 3);
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  flush(): void {
    const length = this.pos;
    this.pos = 0;
    if (length === 0 || this.closedByReader) return;
    if (this.fd === undefined) {
      // The stream may keep the buffer: hand it over and start a new one.
      this.stream.write(this.buf.subarray(0, length));
      this.buf = Buffer.allocUnsafe(Math.max(CAPACITY, this.buf.length));
      return;
    }
    this.writeFd(this.buf, length);
  }

  /** Flushes and waits until a stream has taken everything. */
  async end(): Promise<void> {
    this.flush();
    if (this.fd !== undefined || this.closedByReader) return;
    const stream = this.stream as NodeJS.WritableStream & { writableNeedDrain?: boolean };
    if (stream.writableNeedDrain)
      await new Promise<void>((resolve) => {
        stream.once('drain', resolve);
        stream.once('error', () => resolve());
      });
  }

  private writeFd(bytes: Buffer, length: number): void {
    let at = 0;
    while (at < length) {
      try {
        at += writeSync(this.fd!, bytes, at, length - at);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          // Still non-blocking (blockingStdout could not change it) and full: wait a little.
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
          continue;
        }
        if (code === 'EPIPE') {
          this.closedByReader = true;
          return;
        }
        throw new RuntimeError(`cannot write the output: ${code ?? String(error)}`);
      }
    }
  }
}

/** The handle behind process.stdout when it is a pipe or a TTY (libuv's setBlocking). */
interface BlockingHandle {
  setBlocking?(blocking: boolean): number;
}

/**
 * Puts fd 1 back in blocking mode when Node made it non-blocking (a pipe). Node does the same
 * for pipes on Windows and for TTYs; a file has no handle and always blocks.
 */
function blockingStdout(): void {
  const handle = (process.stdout as unknown as { _handle?: BlockingHandle })._handle;
  handle?.setBlocking?.(true);
}
