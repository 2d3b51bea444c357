// The rows of a PacketTable a filter shows, kept up to date as batches arrive and old rows
// are dropped: each refresh() filters only the rows appended since the last one.

import type { PacketTable } from '../records/table';
import { filterTable } from './compile';
import type { CompiledFilter } from './compile';

export class FilteredRows {
  /** Matches as appended-row numbers (table.dropped + index), so drops need no rewrite. */
  private matches = new Float64Array(1024);
  private first = 0;
  private count = 0;
  /** Appended rows (dropped + length) already filtered. */
  private seen = 0;
  private epoch = -1;
  private revision = -1;

  /** `filter` null shows every row. */
  constructor(
    readonly table: PacketTable,
    readonly filter: CompiledFilter | null,
  ) {}

  /** Number of rows shown. */
  get length(): number {
    return this.filter === null ? this.table.length : this.count - this.first;
  }

  /** Table row index of the k-th row shown. */
  index(k: number): number {
    if (this.filter === null) return k;
    const abs = this.matches[this.first + k];
    if (abs === undefined || k < 0 || k >= this.length) {
      throw new RangeError(`shown row ${k} is outside 0..${this.length - 1}`);
    }
    return abs - this.table.dropped;
  }

  /** Position among the shown rows of table row `index`, or -1 (binary search). */
  position(index: number): number {
    if (this.filter === null) return index >= 0 && index < this.table.length ? index : -1;
    const abs = index + this.table.dropped;
    let lo = this.first;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.matches[mid] as number) < abs) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.count && this.matches[lo] === abs ? lo - this.first : -1;
  }

  /** Catches up with the table; says whether what is shown changed. */
  refresh(): boolean {
    const t = this.table;
    if (t.revision === this.revision && t.epoch === this.epoch) return false;
    this.revision = t.revision;
    if (t.epoch !== this.epoch) {
      this.epoch = t.epoch;
      this.first = this.count = this.seen = 0;
    }
    if (this.filter === null) return true;
    while (this.first < this.count && (this.matches[this.first] as number) < t.dropped) {
      this.first++;
    }
    const from = Math.max(0, this.seen - t.dropped);
    const found = filterTable(t, this.filter, from);
    this.seen = t.dropped + t.length;
    if (this.first > this.count / 2) {
      this.matches.copyWithin(0, this.first, this.count);
      this.count -= this.first;
      this.first = 0;
    }
    if (this.count + found.length > this.matches.length) {
      let size = this.matches.length;
      while (size < this.count + found.length) size *= 2;
      const grown = new Float64Array(size);
      grown.set(this.matches.subarray(0, this.count));
      this.matches = grown;
    }
    for (let k = 0; k < found.length; k++) {
      this.matches[this.count++] = (found[k] as number) + t.dropped;
    }
    return true;
  }
}
