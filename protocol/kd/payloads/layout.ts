// One table per C structure drives decoding, building and the details tree, so the three
// can never disagree about an offset. Offsets are relative to the structure's start.

import type { FieldNode } from '../summary';
import { hexBig, hexPreview, putU16, putU32, putU64, putU8, u16At, u32At, u64At } from './bytes';

export type FieldKind = 'u8' | 'u16' | 'u32' | 'u64' | 'bytes' | 'u64s';

const widths: Record<FieldKind, number> = { u8: 1, u16: 2, u32: 4, u64: 8, bytes: 1, u64s: 8 };

export interface FieldSpec<K extends FieldKind = FieldKind> {
  readonly kind: K;
  readonly at: number;
  /** Byte count of a 'bytes' field, element count of a 'u64s' field. */
  readonly count: number;
  /** Display of a u8/u16/u32 value; hex when absent. */
  readonly show?: (v: number) => string;
  /** Name in the details tree when not the key with a capital first letter. */
  readonly label?: string;
}

export type Layout = Readonly<Record<string, FieldSpec>>;

type ValueOf<K extends FieldKind> = K extends 'u64'
  ? bigint
  : K extends 'bytes'
    ? Uint8Array
    : K extends 'u64s'
      ? bigint[]
      : number;

/** The decoded values of a layout: numbers, bigints for 64-bit fields, bytes, bigint arrays. */
export type Values<L extends Layout> = { -readonly [P in keyof L]: ValueOf<L[P]['kind']> };
export type FieldValue = number | bigint | Uint8Array | bigint[];

type Show = { show?: (v: number) => string; label?: string };
export const u8 = (at: number, o: Show = {}): FieldSpec<'u8'> => ({
  kind: 'u8',
  at,
  count: 1,
  ...o,
});
export const u16 = (at: number, o: Show = {}): FieldSpec<'u16'> => ({
  kind: 'u16',
  at,
  count: 1,
  ...o,
});
export const u32 = (at: number, o: Show = {}): FieldSpec<'u32'> => ({
  kind: 'u32',
  at,
  count: 1,
  ...o,
});
export const u64 = (at: number, o: Show = {}): FieldSpec<'u64'> => ({
  kind: 'u64',
  at,
  count: 1,
  ...o,
});
export const bytes = (at: number, count: number, o: Show = {}): FieldSpec<'bytes'> => ({
  kind: 'bytes',
  at,
  count,
  ...o,
});
export const u64s = (at: number, count: number, o: Show = {}): FieldSpec<'u64s'> => ({
  kind: 'u64s',
  at,
  count,
  ...o,
});

export function fieldSize(f: FieldSpec): number {
  return widths[f.kind] * f.count;
}

export function layoutEnd(layout: Layout): number {
  let end = 0;
  for (const key in layout) {
    const f = layout[key]!;
    end = Math.max(end, f.at + fieldSize(f));
  }
  return end;
}

function readField(b: Uint8Array, at: number, f: FieldSpec): FieldValue {
  switch (f.kind) {
    case 'u8':
      return b[at] ?? 0;
    case 'u16':
      return u16At(b, at);
    case 'u32':
      return u32At(b, at);
    case 'u64':
      return u64At(b, at);
    case 'bytes': {
      // Own copy, zero-filled past the end, so a short payload still yields `count` bytes.
      const out = new Uint8Array(f.count);
      if (at < b.length) out.set(b.subarray(at, Math.min(at + f.count, b.length)));
      return out;
    }
    case 'u64s': {
      const out: bigint[] = [];
      for (let i = 0; i < f.count; i++) out.push(u64At(b, at + i * 8));
      return out;
    }
  }
}

/** Decodes a layout at `base`; fields past the end of `b` read as zero. */
export function readLayout<L extends Layout>(b: Uint8Array, base: number, layout: L): Values<L> {
  const out: Record<string, FieldValue> = {};
  for (const key in layout) {
    const f = layout[key]!;
    out[key] = readField(b, base + f.at, f);
  }
  return out as Values<L>;
}

/** Writes the given fields at `base`; absent fields are left as they are (zero in a new buffer). */
export function writeLayout<L extends Layout>(
  out: Uint8Array,
  base: number,
  layout: L,
  values: Partial<Values<L>> | Readonly<Record<string, FieldValue | undefined>>,
): void {
  const vals = values as Readonly<Record<string, FieldValue | undefined>>;
  for (const key in layout) {
    const f = layout[key]!;
    const v = vals[key];
    if (v === undefined) continue;
    const at = base + f.at;
    switch (f.kind) {
      case 'u8':
        putU8(out, at, Number(v));
        break;
      case 'u16':
        putU16(out, at, Number(v));
        break;
      case 'u32':
        putU32(out, at, Number(v));
        break;
      case 'u64':
        putU64(out, at, typeof v === 'bigint' ? v : BigInt(Number(v)));
        break;
      case 'bytes':
        if (v instanceof Uint8Array) out.set(v.subarray(0, f.count), at);
        break;
      case 'u64s':
        if (Array.isArray(v)) v.slice(0, f.count).forEach((x, i) => putU64(out, at + i * 8, x));
        break;
    }
  }
}

/**
 * A field's display replaced for one packet: a fixed text (a field the sender leaves unset) or
 * a display of its u8/u16/u32 value (a field that carries something else in that direction).
 */
export type FieldShow = string | ((v: number) => string);

export function fieldLabel(key: string, f: FieldSpec): string {
  return f.label ?? key.charAt(0).toUpperCase() + key.slice(1);
}

function showField(b: Uint8Array, at: number, f: FieldSpec, shown?: FieldShow): string {
  if (typeof shown === 'string') return shown;
  switch (f.kind) {
    case 'u8':
    case 'u16':
    case 'u32': {
      const v = readField(b, at, f) as number;
      const show = shown ?? f.show;
      return show ? show(v) : `0x${v.toString(16)}`;
    }
    case 'u64':
      return hexBig(u64At(b, at));
    case 'bytes':
      return `${hexPreview(b.subarray(at, at + f.count))} (${f.count} bytes)`;
    case 'u64s':
      return `[${f.count}]`;
  }
}

/**
 * Details-tree nodes of a layout whose first byte is `b[base]`; `end` is where the bytes
 * actually present stop. A field cut by `end` is clipped and carries an error; fields
 * wholly past it are left out (the parent says the structure is truncated). `shows` replaces
 * the display of the fields it names (by layout key); their ranges stay as they are.
 */
export function dissectLayout(
  b: Uint8Array,
  base: number,
  end: number,
  layout: Layout,
  shows?: Readonly<Record<string, FieldShow>>,
): FieldNode[] {
  const nodes: FieldNode[] = [];
  for (const key in layout) {
    const f = layout[key]!;
    const at = base + f.at;
    const size = fieldSize(f);
    if (at >= end) continue;
    const name = fieldLabel(key, f);
    if (at + size > end) {
      nodes.push({
        name,
        value: '(truncated)',
        offset: at,
        length: end - at,
        error: `truncated: ${size} bytes needed`,
      });
      continue;
    }
    const shown = shows?.[key];
    if (f.kind === 'u64s' && shown === undefined) {
      const children: FieldNode[] = [];
      for (let i = 0; i < f.count; i++) {
        children.push({
          name: `[${i}]`,
          value: hexBig(u64At(b, at + i * 8)),
          offset: at + i * 8,
          length: 8,
        });
      }
      nodes.push({ name, value: `[${f.count}]`, offset: at, length: size, children });
      continue;
    }
    nodes.push({ name, value: showField(b, at, f, shown), offset: at, length: size });
  }
  return nodes;
}
