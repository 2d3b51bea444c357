// Buffered output for commands that print a lot (decode): text is gathered into large writes,
// and a reader that goes away (`| head`) ends the output quietly instead of with an EPIPE trace.

import { writeSync } from 'node:fs';
import { RuntimeError } from './command';

const FLUSH_AT = 1 << 20;

export class OutputSink {
  private pending: string[] = [];
  private pendingLength = 0;
  private closedByReader = false;
  private readonly fd: number | undefined;

  /**
   * Writes to `stream`; when the stream is the process's own stdout, writes go straight to
   * file descriptor 1 with writeSync (no stream machinery, EPIPE seen at once).
   */
  constructor(private readonly stream: NodeJS.WritableStream) {
    this.fd = stream === process.stdout ? 1 : undefined;
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

  write(text: string): void {
    if (this.closedByReader) return;
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= FLUSH_AT) this.flush();
  }

  flush(): void {
    if (this.pendingLength === 0 || this.closedByReader) {
      this.pending = [];
      this.pendingLength = 0;
      return;
    }
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.pendingLength = 0;
    if (this.fd === undefined) {
      this.stream.write(text);
      return;
    }
    this.writeFd(Buffer.from(text, 'utf8'));
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

  private writeFd(bytes: Buffer): void {
    let at = 0;
    while (at < bytes.length) {
      try {
        at += writeSync(this.fd!, bytes, at, bytes.length - at);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          // A non-blocking stdout (pipe set up by a parent process) is full: wait a little.
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
