// Sets of record numbers (no.) as sorted, disjoint, inclusive ranges: what the UI sends when it
// asks for "the displayed packets", "the marked ones" or "packets 100-200". Encoded compactly
// (LEB128 varints of the gap before each range and its length - 1), since a filtered view of a
// million rows is hundreds of thousands of ranges; membership is tested with a cursor, because
// an exporter asks for numbers in increasing order.

export type NoRange = readonly [first: number, last: number];

export class NoRangesError extends Error {
  override readonly name = 'NoRangesError';
}

/**
 * Ranges from numbers in increasing order (a view's rows): consecutive numbers join one
 * range. Numbers out of order or repeated are an error.
 */
export class NoRangesBuilder {
  private readonly ranges: [number, number][] = [];

  add(no: number): void {
    const last = this.ranges[this.ranges.length - 1];
    if (last && no <= last[1]) throw new NoRangesError(`no. ${no} after ${last[1]}`);
    if (last && no === last[1] + 1) last[1] = no;
    else this.ranges.push([no, no]);
  }

  build(): NoRange[] {
    return this.ranges.map(([a, b]) => [a, b] as const);
  }
}

/** Sorts and merges arbitrary ranges (overlapping or adjacent ones join); each must be 1 <= a <= b. */
export function normalizeNoRanges(ranges: readonly NoRange[]): NoRange[] {
  for (const [a, b] of ranges) checkRange(a, b);
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

function checkRange(a: number, b: number): void {
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < 1 || b < a)
    throw new NoRangesError(`not a range of packet numbers: ${a}-${b}`);
}

/** How many numbers the ranges hold. */
export function countNoRanges(ranges: readonly NoRange[]): number {
  let n = 0;
  for (const [a, b] of ranges) n += b - a + 1;
  return n;
}

function writeVarint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/** Sorted, disjoint ranges (normalizeNoRanges' output) as bytes. */
export function encodeNoRanges(ranges: readonly NoRange[]): Uint8Array {
  const out: number[] = [];
  let previous = 0;
  for (const [a, b] of ranges) {
    checkRange(a, b);
    if (a <= previous) throw new NoRangesError('ranges must be sorted and disjoint');
    writeVarint(out, a - previous - 1);
    writeVarint(out, b - a);
    previous = b;
  }
  return Uint8Array.from(out);
}

/** Splits encoded ranges into parts of at most `maxBytes` (each part decodes on its own). */
export function encodeNoRangeParts(ranges: readonly NoRange[], maxBytes: number): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let part: number[] = [];
  let previous = 0;
  const range: number[] = [];
  for (const [a, b] of ranges) {
    checkRange(a, b);
    if (a <= previous && part.length > 0)
      throw new NoRangesError('ranges must be sorted and disjoint');
    range.length = 0;
    writeVarint(range, a - previous - 1);
    writeVarint(range, b - a);
    if (part.length > 0 && part.length + range.length > maxBytes) {
      parts.push(Uint8Array.from(part));
      part = [];
      // Each part counts from 0 again, so it decodes on its own.
      range.length = 0;
      writeVarint(range, a - 1);
      writeVarint(range, b - a);
    }
    part.push(...range);
    previous = b;
  }
  if (part.length > 0) parts.push(Uint8Array.from(part));
  return parts;
}

const MAX_NO = Number.MAX_SAFE_INTEGER;

/** Decodes encodeNoRanges' bytes; throws NoRangesError on anything malformed. */
export function decodeNoRanges(bytes: Uint8Array): NoRange[] {
  const out: NoRange[] = [];
  let at = 0;
  const read = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (at >= bytes.length) throw new NoRangesError('ranges cut short');
      const byte = bytes[at++]!;
      value += (byte & 0x7f) * scale;
      if (value > MAX_NO) throw new NoRangesError('packet number too large');
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  };
  let previous = 0;
  while (at < bytes.length) {
    const a = previous + read() + 1;
    const b = a + read();
    if (b > MAX_NO) throw new NoRangesError('packet number too large');
    out.push([a, b]);
    previous = b;
  }
  return out;
}

/** Membership for numbers asked in increasing order (a cursor; out-of-order asks search). */
export class NoRangeSet {
  private cursor = 0;

  constructor(private readonly ranges: readonly NoRange[]) {}

  get size(): number {
    return countNoRanges(this.ranges);
  }

  /** The largest number held, or 0 when empty. */
  get last(): number {
    return this.ranges[this.ranges.length - 1]?.[1] ?? 0;
  }

  has(no: number): boolean {
    const ranges = this.ranges;
    let i = this.cursor;
    if (i > 0 && ranges[i - 1]![1] >= no) i = 0;
    while (i < ranges.length && ranges[i]![1] < no) i++;
    this.cursor = i;
    const range = ranges[i];
    return range !== undefined && range[0] <= no;
  }
}
