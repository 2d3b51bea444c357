// The shared-memory ring the fd relay's thread hands relayed bytes through: one writer (the
// relay thread, which reads each socket straight into the ring and writes the peer from the
// same bytes) and one reader (the bridge's thread, which copies them out for its taps).
//
// Layout of the SharedArrayBuffer: CONTROL_BYTES of Int32 control words, then the data area.
// A record is a 16-byte header (Int32 length, or WRAP to go back to the start; Int32
// direction; Float64 wall-clock microseconds) and its bytes, padded to 16. The writer never
// lets its position reach the reader's from behind, so equal positions always mean empty.
//
// RingWriter runs inside the relay's worker, whose source is this class's text (see
// fd-relay-worker.ts): it must use nothing from outside its own body.

/** Control words (Int32 indices). */
export const Ctl = {
  /** Where the writer's committed records end (bytes into the data area). */
  write: 0,
  /** Where the reader has consumed up to. */
  read: 1,
  /** Bumped and notified when the reader should look: Atomics.waitAsync waits on it. */
  seq: 2,
  /** Set by the bridge: the relay thread returns its sockets and ends. */
  stop: 3,
  /** Bytes read but not yet written to the peer, per direction (0: debugger->target). */
  pending0: 4,
  pending1: 5,
  /** Set by the relay thread once it no longer touches the sockets. */
  ended: 6,
  /** Set by the bridge once Node stopped reading the sockets: the thread may start. */
  go: 7,
} as const;

export const CONTROL_BYTES = 64;
export const HEADER_BYTES = 16;
export const WRAP = -1;
/** The most one record holds: one read of a socket. */
export const MAX_RECORD = 64 * 1024;

export const align16 = (n: number): number => (n + 15) & ~15;

/** A ring of `dataBytes` (a multiple of 16, at least 2 records) in a new SharedArrayBuffer. */
export function createRingBuffer(dataBytes: number): SharedArrayBuffer {
  if (dataBytes % 16 !== 0 || dataBytes < 2 * (HEADER_BYTES + MAX_RECORD)) {
    throw new RangeError(`ring data size ${dataBytes} must be a multiple of 16 and hold 2 records`);
  }
  return new SharedArrayBuffer(CONTROL_BYTES + dataBytes);
}

export class RingWriter {
  readonly ctl: Int32Array;
  readonly data: Uint8Array;
  private readonly view: DataView;
  /** Where the next record goes: ahead of the published Ctl.write after a wrap. */
  private at: number;
  private readonly size: number;

  constructor(buffer: SharedArrayBuffer) {
    this.ctl = new Int32Array(buffer, 0, 16);
    this.size = buffer.byteLength - 64;
    this.data = new Uint8Array(buffer, 64, this.size);
    this.view = new DataView(buffer, 64, this.size);
    this.at = Atomics.load(this.ctl, 0);
  }

  /**
   * Room for one record's bytes at payloadOffset(): up to `max`, 0 when less than `min` is
   * free (the reader is behind: stop reading the sockets until it catches up).
   */
  reserve(min: number, max: number): number {
    const read = Atomics.load(this.ctl, 1);
    if (this.at >= read) {
      // A header, the bytes, and room after them for a wrap marker: a record never ends at
      // the very end, so the reader always finds a header where the last one ends.
      const tail = this.size - this.at - 32;
      if (tail >= min) return Math.min(tail, max);
      // Going back to the start would make the positions equal, which means empty.
      if (read === 0) return 0;
      this.view.setInt32(this.at, -1, true);
      this.at = 0;
    }
    // Keep a header's gap so the writer never catches up with the reader.
    const free = read - this.at - 32;
    return free >= min ? Math.min(free, max) : 0;
  }

  /** Where reserve()'s room starts in `data`. */
  payloadOffset(): number {
    return this.at + 16;
  }

  /** Publishes the record whose `length` bytes are at payloadOffset(). */
  commit(dir: number, length: number, timeUs: number): void {
    this.view.setInt32(this.at, length, true);
    this.view.setInt32(this.at + 4, dir, true);
    this.view.setFloat64(this.at + 8, timeUs, true);
    this.at += 16 + ((length + 15) & ~15);
    Atomics.store(this.ctl, 0, this.at);
  }

  /** Tells a waiting reader to look. */
  notify(): void {
    Atomics.add(this.ctl, 2, 1);
    Atomics.notify(this.ctl, 2);
  }
}

/** One record as the reader sees it: `bytes` is a copy the reader owns. */
export interface RingRecord {
  readonly dir: 0 | 1;
  readonly timeUs: number;
  readonly bytes: Buffer;
}

export class RingReader {
  readonly ctl: Int32Array;
  private readonly data: Uint8Array;
  private readonly view: DataView;
  private readonly size: number;

  constructor(buffer: SharedArrayBuffer) {
    this.ctl = new Int32Array(buffer, 0, 16);
    this.size = buffer.byteLength - CONTROL_BYTES;
    this.data = new Uint8Array(buffer, CONTROL_BYTES, this.size);
    this.view = new DataView(buffer, CONTROL_BYTES, this.size);
  }

  /**
   * Takes every published record, copied into one new buffer (the taps may keep what they
   * are handed, and the ring's room is released at once).
   */
  drain(): RingRecord[] {
    const end = Atomics.load(this.ctl, Ctl.write);
    let at = Atomics.load(this.ctl, Ctl.read);
    const spans: { dir: 0 | 1; timeUs: number; from: number; length: number }[] = [];
    let total = 0;
    while (at !== end) {
      const length = this.view.getInt32(at, true);
      if (length === WRAP) {
        at = 0;
        continue;
      }
      if (length < 0 || length > MAX_RECORD || at + HEADER_BYTES + length > this.size) {
        throw new Error(`relay ring corrupt at ${at} (length ${length})`);
      }
      const dir = this.view.getInt32(at + 4, true) === 1 ? 1 : 0;
      spans.push({ dir, timeUs: this.view.getFloat64(at + 8, true), from: at + 16, length });
      total += length;
      at += HEADER_BYTES + align16(length);
    }
    if (spans.length === 0) return [];
    const copy = Buffer.allocUnsafe(total);
    const records: RingRecord[] = [];
    let offset = 0;
    for (const span of spans) {
      copy.set(this.data.subarray(span.from, span.from + span.length), offset);
      records.push({
        dir: span.dir,
        timeUs: span.timeUs,
        bytes: copy.subarray(offset, offset + span.length),
      });
      offset += span.length;
    }
    Atomics.store(this.ctl, Ctl.read, at);
    return records;
  }
}
