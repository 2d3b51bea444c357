// Rows a display filter matched, as absolute row numbers (table.dropped + row index) so they
// stay valid when the table drops its oldest rows. Grows by doubling; trimmed from the front.

export class MatchList {
  private data = new Uint32Array(1024);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  push(absRow: number): void {
    if (this.end === this.data.length) {
      const live = this.end - this.start;
      const next = new Uint32Array(Math.max(1024, live * 2));
      next.set(this.data.subarray(this.start, this.end));
      this.data = next;
      this.start = 0;
      this.end = live;
    }
    this.data[this.end++] = absRow;
  }

  /** Replaces the contents with row indices from a full filter run. */
  reset(rows: Uint32Array, dropped: number): void {
    this.data = new Uint32Array(Math.max(1024, rows.length * 2));
    for (let i = 0; i < rows.length; i++) this.data[i] = rows[i]! + dropped;
    this.start = 0;
    this.end = rows.length;
  }

  /** Forgets matches of rows the table no longer holds. */
  trimBelow(absRow: number): void {
    while (this.start < this.end && this.data[this.start]! < absRow) this.start++;
  }

  at(i: number): number {
    return this.data[this.start + i]!;
  }

  clear(): void {
    this.start = this.end = 0;
  }
}
