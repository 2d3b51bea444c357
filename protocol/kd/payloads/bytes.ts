// Little-endian readers that never throw: a read past the end yields 0, so a short payload
// decodes to a partial result (flagged malformed by the caller) instead of an exception.

export function u8At(b: Uint8Array, at: number): number {
  return b[at] ?? 0;
}

export function u16At(b: Uint8Array, at: number): number {
  return (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8);
}

export function u32At(b: Uint8Array, at: number): number {
  return (
    ((b[at] ?? 0) |
      ((b[at + 1] ?? 0) << 8) |
      ((b[at + 2] ?? 0) << 16) |
      ((b[at + 3] ?? 0) << 24)) >>>
    0
  );
}

export function u64At(b: Uint8Array, at: number): bigint {
  return (BigInt(u32At(b, at + 4)) << 32n) | BigInt(u32At(b, at));
}

export function putU8(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
}

export function putU16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
}

export function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

export function putU64(b: Uint8Array, at: number, v: bigint): void {
  const n = BigInt.asUintN(64, v);
  putU32(b, at, Number(n & 0xffffffffn));
  putU32(b, at + 4, Number(n >> 32n));
}

/** `0x3130`: the form every view uses for numbers. */
export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** A u64 as hex without going through BigInt (describePacket runs on every packet). */
export function hex64At(b: Uint8Array, at: number): string {
  const hi = u32At(b, at + 4);
  const lo = u32At(b, at);
  return hi === 0 ? hex(lo) : `0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')}`;
}

export function hexBig(n: bigint): string {
  return `0x${BigInt.asUintN(64, n).toString(16)}`;
}

/** `0x100 (256)` for lengths and counts. */
export function hexDec(n: number): string {
  return n < 10 ? String(n) : `${hex(n)} (${n >>> 0})`;
}

/** First `max` bytes as `de ad be ef …`. */
export function hexPreview(b: Uint8Array, max = 16): string {
  const n = Math.min(b.length, max);
  let s = '';
  for (let i = 0; i < n; i++) s += (i ? ' ' : '') + (b[i] ?? 0).toString(16).padStart(2, '0');
  return b.length > max ? `${s} …` : s;
}

const utf16 = new TextDecoder('utf-16le');

/** Drops a C string's terminating NUL and anything after it. */
function cut(b: Uint8Array, unit: 1 | 2): Uint8Array {
  for (let i = 0; i + unit - 1 < b.length; i += unit) {
    if (b[i] === 0 && (unit === 1 || b[i + 1] === 0)) return b.subarray(0, i);
  }
  return unit === 2 ? b.subarray(0, b.length & ~1) : b;
}

/**
 * DbgPrint text and LoadSymbols paths are 8-bit ANSI: decoded byte for byte (Latin-1), so
 * ansiBytes(ansiText(b)) gives b back; TextDecoder('latin1') is really windows-1252.
 */
export function ansiText(b: Uint8Array): string {
  const t = cut(b, 1);
  // fromCharCode.apply takes the typed array as its argument list: the cheapest exact
  // Latin-1 decode for the short texts met here (chunked to stay below argument limits).
  if (t.length <= 8192) return String.fromCharCode.apply(null, t as unknown as number[]);
  let s = '';
  for (let i = 0; i < t.length; i += 8192) {
    s += String.fromCharCode.apply(null, t.subarray(i, i + 8192) as unknown as number[]);
  }
  return s;
}

/** .kdfiles names are UTF-16LE. */
export function utf16Text(b: Uint8Array): string {
  return utf16.decode(cut(b, 2));
}

/** ANSI bytes of `s` (chars above 0xff become '?'), NUL-terminated when `nul`. */
export function ansiBytes(s: string, nul = false): Uint8Array {
  const out = new Uint8Array(s.length + (nul ? 1 : 0));
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i] = c > 0xff ? 0x3f : c;
  }
  return out;
}

/** UTF-16LE bytes of `s`, NUL-terminated when `nul`. */
export function utf16Bytes(s: string, nul = false): Uint8Array {
  const out = new Uint8Array((s.length + (nul ? 1 : 0)) * 2);
  for (let i = 0; i < s.length; i++) putU16(out, i * 2, s.charCodeAt(i));
  return out;
}

const escapes: Readonly<Record<number, string>> = {
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x22: '\\"',
  0x5c: '\\\\',
};

/** One line for the timeline: quoted, control characters escaped, long text cut. */
export function oneLine(s: string, max = 120): string {
  const t = s.length > max ? `${s.slice(0, max)}…` : s;
  let out = '';
  let from = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c && c !== 0x7f) continue;
    out += t.slice(from, i) + (escapes[c] ?? `\\x${c.toString(16).padStart(2, '0')}`);
    from = i + 1;
  }
  return `"${from === 0 ? t : out + t.slice(from)}"`;
}
