// "Frame where it starts": per direction, the capture frame of each chunk by the stream offset
// of its first byte. Offsets arrive in order, so lookups for events (also in order) use a
// cursor; out-of-order lookups fall back to binary search.

export class FrameIndex {
  private offsets = new Float64Array(1024);
  private frames = new Float64Array(1024);
  private count = 0;
  private cursor = 0;
  private base = 0;

  /** Records that the chunk starting at `streamOffset` came from `frame`. */
  append(streamOffset: number, frame: number): void {
    const last = this.count - 1;
    if (last >= this.base && this.offsets[last] === streamOffset) {
      // An empty chunk before this one started at the same offset: the later frame holds the bytes.
      this.frames[last] = frame;
      return;
    }
    if (last >= this.base && streamOffset < this.offsets[last]!) {
      throw new RangeError(`FrameIndex: offset ${streamOffset} before ${this.offsets[last]}`);
    }
    if (this.count === this.offsets.length) this.grow();
    this.offsets[this.count] = streamOffset;
    this.frames[this.count] = frame;
    this.count++;
  }

  /** The frame of the chunk holding stream byte `offset`, or undefined before the first. */
  frameAt(offset: number): number | undefined {
    if (this.count === this.base || offset < this.offsets[this.base]!) return undefined;
    let i = Math.max(this.cursor, this.base);
    if (this.offsets[i]! > offset) i = this.search(offset);
    else while (i + 1 < this.count && this.offsets[i + 1]! <= offset) i++;
    this.cursor = i;
    return this.frames[i];
  }

  /** Forgets chunks wholly before `offset` (bounded memory in long live sessions). */
  discardBefore(offset: number): void {
    while (this.base + 1 < this.count && this.offsets[this.base + 1]! <= offset) this.base++;
  }

  get size(): number {
    return this.count - this.base;
  }

  private search(offset: number): number {
    let lo = this.base;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.offsets[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private grow(): void {
    const live = this.count - this.base;
    const capacity = Math.max(1024, live * 2);
    const offsets = new Float64Array(capacity);
    const frames = new Float64Array(capacity);
    offsets.set(this.offsets.subarray(this.base, this.count));
    frames.set(this.frames.subarray(this.base, this.count));
    this.offsets = offsets;
    this.frames = frames;
    this.cursor = Math.max(0, this.cursor - this.base);
    this.count = live;
    this.base = 0;
  }
}
