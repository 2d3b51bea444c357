// The raw stream of one direction, kept in memory so the UI can show any recent packet's
// bytes by (offset, length) without a copy per packet. Bounded: the oldest chunks go first.

const CHUNK = 1 << 20;
/** Pieces up to this many bytes are copied byte by byte. */
const SHORT = 64;

export class ByteLog {
  private readonly chunks: Uint8Array[] = [];
  /** Stream offset of chunks[0][0]. */
  private base = 0;
  /** Bytes used in the last chunk. */
  private fill = 0;
  private total = 0;

  constructor(private readonly capacity = 256 * CHUNK) {}

  /** Stream offset of the next byte appended. */
  get end(): number {
    return this.total;
  }

  /** Oldest stream offset still held. */
  get start(): number {
    return this.base;
  }

  append(bytes: Uint8Array): void {
    this.appendRange(bytes, 0, bytes.length);
  }

  /** append(bytes.subarray(start, end)) without making the view (an exporter's hot path). */
  appendRange(bytes: Uint8Array, start: number, end: number): void {
    let at = start;
    while (at < end) {
      let last = this.chunks[this.chunks.length - 1];
      if (!last || this.fill === last.length) {
        last = new Uint8Array(CHUNK);
        this.chunks.push(last);
        this.fill = 0;
      }
      const n = Math.min(end - at, last.length - this.fill);
      // Most pieces are short (ACKs, headers): a loop beats making a view to set() from.
      if (n <= SHORT) for (let i = 0; i < n; i++) last[this.fill + i] = bytes[at + i]!;
      else last.set(bytes.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
    }
    this.total += end - start;
    while (this.chunks.length * CHUNK > this.capacity && this.chunks.length > 1) {
      this.chunks.shift();
      this.base += CHUNK;
    }
  }

  /**
   * [offset, offset + length) to read at once (before the next append): a view into the log
   * when it lies in one block, else a copy; null as for read().
   */
  peek(offset: number, length: number): Uint8Array | null {
    if (offset < this.base || length < 0 || offset + length > this.total) return null;
    const rel = offset - this.base;
    const from = rel % CHUNK;
    if (from + length > CHUNK) return this.read(offset, length);
    return this.chunks[Math.floor(rel / CHUNK)]!.subarray(from, from + length);
  }

  /** A copy of [offset, offset + length), or null when part of it is gone or not yet seen. */
  read(offset: number, length: number): Uint8Array | null {
    if (offset < this.base || length < 0 || offset + length > this.total) return null;
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const rel = offset + done - this.base;
      const chunk = this.chunks[Math.floor(rel / CHUNK)]!;
      const from = rel % CHUNK;
      const n = Math.min(length - done, CHUNK - from);
      out.set(chunk.subarray(from, from + n), done);
      done += n;
    }
    return out;
  }

  clear(): void {
    this.chunks.length = 0;
    this.base = 0;
    this.fill = 0;
    this.total = 0;
  }
}
