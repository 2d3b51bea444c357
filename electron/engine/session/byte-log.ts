// The raw stream of one direction, kept in memory so the UI can show any recent packet's
// bytes by (offset, length) without a copy per packet. Bounded: the oldest chunks go first.

const CHUNK = 1 << 20;

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
    let at = 0;
    while (at < bytes.length) {
      let last = this.chunks[this.chunks.length - 1];
      if (!last || this.fill === last.length) {
        last = new Uint8Array(CHUNK);
        this.chunks.push(last);
        this.fill = 0;
      }
      const n = Math.min(bytes.length - at, last.length - this.fill);
      last.set(bytes.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
    }
    this.total += bytes.length;
    while (this.chunks.length * CHUNK > this.capacity && this.chunks.length > 1) {
      this.chunks.shift();
      this.base += CHUNK;
    }
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
