// The renderer's packet store: rows in chunked typed-array columns, bounded in memory.
// Chunks (not one doubling array) so that dropping the oldest rows frees whole chunks, strings
// included, without copying the rest, and so that appending never copies more than one chunk.

import type { PacketRecord } from '../session/record';
import {
  allocateColumns,
  COLUMN_LAYOUT,
  readRecord,
  STRING_COLUMNS,
  StringInterner,
  writeRecord,
} from './columns';
import type { ColumnName, Columns, RecordBatch, StringColumnName } from './columns';

/** A run of up to `chunkRows` consecutive rows with its own string dictionary. */
export interface TableChunk {
  /** Columns with room for at least `count` rows (grown by doubling up to chunkRows). */
  readonly columns: Columns;
  readonly count: number;
  /** Dictionary of this chunk's string columns; index 0 means "absent". */
  readonly strings: readonly string[];
}

interface MutableChunk extends TableChunk {
  columns: Columns;
  count: number;
  rows: number;
  strings: string[];
  /** Dropped once the chunk is full: only new rows need interning. */
  interner: StringInterner | null;
}

export interface PacketTableOptions {
  /** Most rows kept in memory (default 1 M); older rows are dropped a chunk at a time. */
  readonly capacity?: number;
  /** Rows per chunk, rounded down to a power of two (default: capacity/16, at most 65536). */
  readonly chunkRows?: number;
}

const FIRST_CHUNK_ROWS = 1024;
const NUMERIC_COLUMNS = COLUMN_LAYOUT.map(([name]) => name).filter(
  (name) => !(STRING_COLUMNS as readonly string[]).includes(name),
) as ColumnName[];

function floorPow2(n: number): number {
  return 2 ** Math.floor(Math.log2(Math.max(1, n)));
}

export class PacketTable {
  private cap = 0;
  private rowsPerChunk = 1;
  /** Row i lives in chunks[i >>> chunkShift] at row i & chunkMask. */
  chunkShift = 0;
  chunkMask = 0;
  private list: MutableChunk[] = [];
  private rowCount = 0;
  private droppedRows = 0;
  private rev = 0;
  private clears = 0;

  constructor(options: PacketTableOptions = {}) {
    this.configure(options);
    this.clears = 0;
  }

  /** Most rows kept in memory. */
  get capacity(): number {
    return this.cap;
  }
  get chunkRows(): number {
    return this.rowsPerChunk;
  }

  /** Clears the table and sets its bounds anew (the engine says how many rows a view keeps). */
  configure(options: PacketTableOptions): void {
    const capacity = Math.floor(options.capacity ?? 1_000_000);
    if (!(capacity >= 1))
      throw new RangeError(`table capacity must be at least 1, got ${capacity}`);
    this.clear();
    this.cap = capacity;
    const wanted = options.chunkRows ?? Math.min(65536, capacity / 16);
    this.rowsPerChunk = Math.min(floorPow2(wanted), floorPow2(capacity));
    this.chunkShift = Math.log2(this.rowsPerChunk);
    this.chunkMask = this.rowsPerChunk - 1;
  }

  /** Rows in memory. Row 0 is the oldest kept. */
  get length(): number {
    return this.rowCount;
  }
  /** Rows dropped from memory since creation or clear(): row i was appended as row dropped + i. */
  get dropped(): number {
    return this.droppedRows;
  }
  /** `no` of row 0 (0 when empty): views say "older rows are in the capture" when > 1. */
  get firstNo(): number {
    const first = this.list[0];
    return first && first.count > 0 ? (first.columns.no[0] ?? 0) : 0;
  }
  /** Increases on every change, for views that re-render on change. */
  get revision(): number {
    return this.rev;
  }
  /** Increases on clear(): row indices of an older epoch mean nothing now. */
  get epoch(): number {
    return this.clears;
  }
  get chunks(): readonly TableChunk[] {
    return this.list;
  }

  /** Appends a batch from the engine (encodeBatch / batchFromBytes). */
  append(batch: RecordBatch): void {
    let src = 0;
    while (src < batch.count) {
      const chunk = this.writableChunk();
      const n = Math.min(batch.count - src, this.chunkRows - chunk.count);
      this.reserve(chunk, chunk.count + n);
      const dst = chunk.columns;
      const at = chunk.count;
      for (const name of NUMERIC_COLUMNS) {
        (dst[name] as Uint8Array).set(batch.columns[name].subarray(src, src + n) as Uint8Array, at);
      }
      const interner = chunk.interner as StringInterner;
      const remap = new Int32Array(batch.strings.length).fill(-1);
      remap[0] = 0;
      for (const name of STRING_COLUMNS) {
        const from = batch.columns[name];
        const to = dst[name];
        for (let j = 0; j < n; j++) {
          const k = from[src + j] ?? 0;
          let m = remap[k] ?? 0;
          if (m < 0) m = remap[k] = interner.intern(batch.strings[k] ?? '');
          to[at + j] = m;
        }
      }
      this.commit(chunk, n);
      src += n;
    }
  }

  /** Appends records directly (the engine side and tests; the renderer gets batches). */
  appendRecords(records: readonly PacketRecord[]): void {
    let src = 0;
    while (src < records.length) {
      const chunk = this.writableChunk();
      const n = Math.min(records.length - src, this.chunkRows - chunk.count);
      this.reserve(chunk, chunk.count + n);
      const interner = chunk.interner as StringInterner;
      for (let j = 0; j < n; j++) {
        writeRecord(chunk.columns, chunk.count + j, records[src + j] as PacketRecord, interner);
      }
      this.commit(chunk, n);
      src += n;
    }
  }

  /** Builds the record of row i (for the visible rows only). */
  row(i: number): PacketRecord {
    this.check(i);
    const chunk = this.list[i >>> this.chunkShift] as MutableChunk;
    return readRecord(chunk.columns, chunk.strings, i & this.chunkMask);
  }

  /** One column as per-chunk arrays, each trimmed to the rows it holds. */
  column<K extends ColumnName>(name: K): Columns[K][] {
    return this.list.map((c) => c.columns[name].subarray(0, c.count) as Columns[K]);
  }

  /** The raw number in one cell (see Columns for encodings). */
  value(name: ColumnName, i: number): number {
    this.check(i);
    const chunk = this.list[i >>> this.chunkShift] as MutableChunk;
    return chunk.columns[name][i & this.chunkMask] ?? 0;
  }

  /** The string in one cell of a string column, undefined when absent. */
  string(name: StringColumnName, i: number): string | undefined {
    this.check(i);
    const chunk = this.list[i >>> this.chunkShift] as MutableChunk;
    const k = chunk.columns[name][i & this.chunkMask] ?? 0;
    return k === 0 ? undefined : chunk.strings[k];
  }

  /** Row holding record `no`, or -1 (rows are appended in ascending `no`). */
  rowOfNo(no: number): number {
    let lo = 0;
    let hi = this.rowCount - 1;
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2);
      const chunk = this.list[mid >>> this.chunkShift] as MutableChunk;
      const v = chunk.columns.no[mid & this.chunkMask] as number;
      if (v === no) return mid;
      if (v < no) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /**
   * Rewrites what the session tracker learns about a row after sending it: flags, pair, ack,
   * resendOf and rttMs of the row with `record.no`. Returns its row, or -1 when it is not in memory
   * (dropped, or never appended). Filters already run over it are not re-run.
   */
  patch(record: PacketRecord): number {
    const row = this.rowOfNo(record.no);
    if (row < 0) return -1;
    const c = (this.list[row >>> this.chunkShift] as MutableChunk).columns;
    const i = row & this.chunkMask;
    c.flags[i] = record.flags;
    c.pair[i] = record.pair === undefined ? 0 : record.pair - record.no;
    c.ack[i] = record.ack === undefined ? 0 : record.ack - record.no;
    c.resendOf[i] = record.resendOf === undefined ? 0 : record.resendOf - record.no;
    c.rttMs[i] = record.rttMs ?? NaN;
    this.rev++;
    return row;
  }

  clear(): void {
    this.list = [];
    this.rowCount = 0;
    this.droppedRows = 0;
    this.clears++;
    this.rev++;
  }

  /** Bytes held: typed arrays (allocated, not only used) and an estimate for the strings. */
  memoryBytes(): { columns: number; strings: number } {
    let columns = 0;
    let strings = 0;
    for (const c of this.list) {
      columns += c.columns.no.buffer.byteLength;
      // V8 keeps one-byte strings in ~16 bytes of header plus their length, plus a slot.
      for (const s of c.strings) strings += 24 + s.length;
    }
    return { columns, strings };
  }

  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.rowCount) {
      throw new RangeError(`row ${i} is outside the table (0..${this.rowCount - 1})`);
    }
  }

  private writableChunk(): MutableChunk {
    const last = this.list[this.list.length - 1];
    if (last && last.count < this.chunkRows) return last;
    const rows = Math.min(this.chunkRows, FIRST_CHUNK_ROWS);
    const interner = new StringInterner();
    const chunk: MutableChunk = {
      columns: allocateColumns(rows),
      count: 0,
      rows,
      strings: interner.strings,
      interner,
    };
    this.list.push(chunk);
    return chunk;
  }

  private reserve(chunk: MutableChunk, rows: number): void {
    if (rows <= chunk.rows) return;
    let size = chunk.rows;
    while (size < rows) size *= 2;
    size = Math.min(size, this.chunkRows);
    const columns = allocateColumns(size);
    for (const [name] of COLUMN_LAYOUT) {
      (columns[name] as Uint8Array).set(chunk.columns[name].subarray(0, chunk.count) as Uint8Array);
    }
    chunk.columns = columns;
    chunk.rows = size;
  }

  private commit(chunk: MutableChunk, n: number): void {
    chunk.count += n;
    this.rowCount += n;
    if (chunk.count === this.chunkRows) chunk.interner = null;
    while (this.rowCount > this.capacity && this.list.length > 1) {
      const oldest = this.list.shift() as MutableChunk;
      this.rowCount -= oldest.count;
      this.droppedRows += oldest.count;
    }
    this.rev++;
  }
}
