// Turns a checked filter AST into predicates: one over PacketRecord objects (CLI export, the
// engine) and one over PacketTable rows that reads the typed-array columns directly.
//
// Logic is three-valued, as in SQL: a test on a field the row does not have (api on an ACK,
// checksumOk on a break-in) is "unknown", `!unknown` is unknown, `unknown && false` is false,
// `unknown || true` is true, and a row is shown only when the whole filter is true. So
// `!checksumOk` shows bad checksums, not every break-in, and `api != GetVersion` only rows with
// an api. A bare non-boolean field tests presence and is never unknown: `!text` shows rows
// without text.
//
// Closures, not generated source: the renderer's CSP forbids eval, and closures over column
// arrays bound once per chunk already filter 1 M rows in tens of milliseconds.

import { CHECKSUM_ABSENT, CHECKSUM_OK, KINDS, LEADERS, Present } from '../records/columns';
import type { Columns, StringColumnName } from '../records/columns';
import type { PacketTable, TableChunk } from '../records/table';
import { DIRECTIONS } from '../kd/events';
import type { PacketRecord } from '../session/record';
import type { CompareOp, FilterNode } from './ast';
import { ENUM_NAME_FIELD, FIELDS } from './fields';

/** Truth values ordered so that && is min, || is max and ! is 2 - x. */
const F = 0;
const U = 1;
const T = 2;
type Tri = 0 | 1 | 2;
const UNTESTED = 255;

type RecordEval = (r: PacketRecord) => Tri;
type RowEval = (row: number) => Tri;
type Binder = (chunk: TableChunk) => RowEval;

export interface CompiledFilter {
  matchRecord(record: PacketRecord): boolean;
  matchRow(table: PacketTable, index: number): boolean;
  /** The row predicate for one chunk (what filterTable runs); chunk-local row numbers. */
  bindChunk(chunk: TableChunk): (row: number) => boolean;
}

function numberTest(op: CompareOp, v: number): (x: number) => boolean {
  switch (op) {
    case '==':
      return (x) => x === v;
    case '!=':
      return (x) => x !== v;
    case '<':
      return (x) => x < v;
    case '<=':
      return (x) => x <= v;
    case '>':
      return (x) => x > v;
    case '>=':
      return (x) => x >= v;
    default:
      throw new Error(`${op} on a number reached the compiler`);
  }
}

function stringTest(op: CompareOp, v: string): (s: string) => boolean {
  switch (op) {
    case '==':
      return (s) => s === v;
    case '!=':
      return (s) => s !== v;
    case 'contains': {
      const needle = v.toLowerCase();
      return (s) => s.toLowerCase().includes(needle);
    }
    case 'matches': {
      // Case-insensitive by default, like Wireshark's `matches`.
      const re = new RegExp(v, 'i');
      return (s) => re.test(s);
    }
    default:
      throw new Error(`${op} on text reached the compiler`);
  }
}

const tri = (b: boolean): Tri => (b ? T : F);

export interface CompileOptions {
  /**
   * Milliseconds since the Unix epoch that `time` counts from (the session start, or the
   * time reference the user set): asked at every evaluation, so a view can move it. Default 0.
   */
  readonly timeOrigin?: () => number;
}

const ZERO_ORIGIN = (): number => 0;

// ---- reading one field -------------------------------------------------------------------

/** Numeric value of a field in a record, undefined when the record does not have it. */
function recordNumber(
  field: string,
  origin: () => number,
): (r: PacketRecord) => number | undefined {
  switch (field) {
    case 'time':
      return (r) => (r.time - origin()) / 1000;
    case 'timeEpoch':
      return (r) => r.time / 1000;
    case 'dir':
      return (r) => DIRECTIONS.indexOf(r.dir);
    case 'kind':
      return (r) => KINDS.indexOf(r.kind);
    case 'leader':
      return (r) => (r.leader === undefined ? undefined : LEADERS.indexOf(r.leader));
    case 'rtt':
      return (r) => r.rttMs;
    default:
      return (r) => r[field as keyof PacketRecord] as number | undefined;
  }
}

/** Text of a string field, or the name of an enum field, in a record. */
function recordString(field: string): (r: PacketRecord) => string | undefined {
  const name = ENUM_NAME_FIELD[field] ?? field;
  return (r) => r[name as keyof PacketRecord] as string | undefined;
}

const PRESENT_BIT: Readonly<Record<string, number>> = {
  frame: Present.FRAME,
  type: Present.TYPE,
  id: Present.ID,
  byteCount: Present.BYTE_COUNT,
  api: Present.API,
  returnStatus: Present.RETURN_STATUS,
  newState: Present.NEW_STATE,
};

/** Row evaluator for "field has a value and test(value)", reading the chunk's columns. */
function bindNumber(field: string, test: (x: number) => boolean, origin: () => number): Binder {
  const bit = PRESENT_BIT[field];
  if (bit !== undefined) {
    const name = field as keyof Columns;
    return (c) => {
      const col = c.columns[name];
      const present = c.columns.present;
      return (i) => (((present[i] as number) & bit) === 0 ? U : tri(test(col[i] as number)));
    };
  }
  switch (field) {
    case 'pair':
    case 'ack':
      return (c) => {
        const delta = c.columns[field];
        const no = c.columns.no;
        return (i) => {
          const d = delta[i] as number;
          return d === 0 ? U : tri(test((no[i] as number) + d));
        };
      };
    case 'time':
    case 'timeEpoch': {
      const relative = field === 'time';
      return (c) => {
        const col = c.columns.time;
        return (i) => {
          const ms = col[i] as number;
          return tri(test((relative ? ms - origin() : ms) / 1000));
        };
      };
    }
    case 'rtt':
      return (c) => {
        const col = c.columns.rttMs;
        return (i) => {
          const x = col[i] as number;
          return x !== x ? U : tri(test(x));
        };
      };
    case 'leader':
      return (c) => {
        const col = c.columns.leader;
        return (i) => {
          const x = col[i] as number;
          return x === 0 ? U : tri(test(x));
        };
      };
    default: {
      // Always present: no, time, offset, length, flags, dir, kind.
      const name = field as keyof Columns;
      return (c) => {
        const col = c.columns[name];
        return (i) => tri(test(col[i] as number));
      };
    }
  }
}

/**
 * Row evaluator for a test on text. Each distinct string of a chunk is tested once and the
 * answer looked up per row, so `info contains "x"` costs one test per distinct info line.
 */
function bindString(field: string, test: (s: string) => boolean): Binder {
  const fixed: readonly (string | undefined)[] | undefined =
    field === 'dir'
      ? DIRECTIONS
      : field === 'kind'
        ? KINDS
        : field === 'leader'
          ? LEADERS
          : undefined;
  if (fixed !== undefined) {
    const answers = fixed.map((s) => (s === undefined ? U : tri(test(s))));
    const name = field as 'dir' | 'kind' | 'leader';
    return (c) => {
      const col = c.columns[name];
      return (i) => answers[col[i] as number] ?? U;
    };
  }
  const name = (ENUM_NAME_FIELD[field] ?? field) as StringColumnName;
  return (c) => {
    const strings = c.strings;
    // Filled on first use: the chunk's dictionary also holds other columns' strings.
    const answers = new Uint8Array(strings.length).fill(UNTESTED);
    answers[0] = U;
    const col = c.columns[name];
    return (i) => {
      const k = col[i] as number;
      const a = answers[k];
      if (a !== undefined && a !== UNTESTED) return a as Tri;
      // `strings` is the chunk's live dictionary; `answers` only covers what it held at bind.
      const t = tri(test(strings[k] as string));
      if (a !== undefined) answers[k] = t;
      return t;
    };
  };
}

function presenceRecord(field: string): RecordEval {
  const get =
    FIELDS.get(field)?.kind === 'string' ? recordString(field) : recordNumber(field, ZERO_ORIGIN);
  return (r) => tri(get(r) !== undefined);
}

function presenceRow(field: string): Binder {
  if (FIELDS.get(field)?.kind === 'string') {
    const name = field as StringColumnName;
    return (c) => {
      const col = c.columns[name];
      return (i) => tri(col[i] !== 0);
    };
  }
  const test = bindNumber(field, () => true, ZERO_ORIGIN);
  return (c) => {
    const inner = test(c);
    return (i) => (inner(i) === U ? F : T);
  };
}

// ---- the tree ---------------------------------------------------------------------------

function compileRecord(node: FilterNode, origin: () => number): RecordEval {
  switch (node.kind) {
    case 'and': {
      const a = compileRecord(node.left, origin);
      const b = compileRecord(node.right, origin);
      return (r) => {
        const x = a(r);
        return x === F ? F : (Math.min(x, b(r)) as Tri);
      };
    }
    case 'or': {
      const a = compileRecord(node.left, origin);
      const b = compileRecord(node.right, origin);
      return (r) => {
        const x = a(r);
        return x === T ? T : (Math.max(x, b(r)) as Tri);
      };
    }
    case 'not': {
      const a = compileRecord(node.operand, origin);
      return (r) => (2 - a(r)) as Tri;
    }
    case 'field': {
      const def = FIELDS.get(node.field);
      if (def?.flag !== undefined) {
        const bit = def.flag;
        return (r) => tri((r.flags & bit) !== 0);
      }
      if (def?.kind === 'boolean') {
        return (r) => (r.checksumOk === undefined ? U : tri(r.checksumOk));
      }
      return presenceRecord(node.field);
    }
    case 'in': {
      if (typeof node.values[0]?.value === 'string') {
        const set = new Set(node.values.map((v) => String(v.value)));
        const get = recordString(node.field);
        return (r) => {
          const s = get(r);
          return s === undefined ? U : tri(set.has(s));
        };
      }
      const set = new Set(node.values.map((v) => Number(v.value)));
      const get = recordNumber(node.field, origin);
      return (r) => {
        const x = get(r);
        return x === undefined ? U : tri(set.has(x));
      };
    }
    case 'compare': {
      const def = FIELDS.get(node.field);
      const { op, value } = node;
      if (def?.kind === 'boolean') {
        const want = value.value === true;
        const eq = op === '==';
        if (def.flag !== undefined) {
          const bit = def.flag;
          return (r) => tri((((r.flags & bit) !== 0) === want) === eq);
        }
        return (r) => (r.checksumOk === undefined ? U : tri((r.checksumOk === want) === eq));
      }
      if (typeof value.value === 'string') {
        const get = recordString(node.field);
        const test = stringTest(op, value.value);
        return (r) => {
          const s = get(r);
          return s === undefined ? U : tri(test(s));
        };
      }
      const get = recordNumber(node.field, origin);
      const test = numberTest(op, Number(value.value));
      return (r) => {
        const x = get(r);
        return x === undefined ? U : tri(test(x));
      };
    }
  }
}

function compileRow(node: FilterNode, origin: () => number): Binder {
  switch (node.kind) {
    case 'and': {
      const a = compileRow(node.left, origin);
      const b = compileRow(node.right, origin);
      return (c) => {
        const x = a(c);
        const y = b(c);
        return (i) => {
          const l = x(i);
          if (l === F) return F;
          const r = y(i);
          return r < l ? r : l;
        };
      };
    }
    case 'or': {
      const a = compileRow(node.left, origin);
      const b = compileRow(node.right, origin);
      return (c) => {
        const x = a(c);
        const y = b(c);
        return (i) => {
          const l = x(i);
          if (l === T) return T;
          const r = y(i);
          return r > l ? r : l;
        };
      };
    }
    case 'not': {
      const a = compileRow(node.operand, origin);
      return (c) => {
        const x = a(c);
        return (i) => (2 - x(i)) as Tri;
      };
    }
    case 'field': {
      const def = FIELDS.get(node.field);
      if (def?.flag !== undefined) {
        const bit = def.flag;
        return (c) => {
          const flags = c.columns.flags;
          return (i) => tri(((flags[i] as number) & bit) !== 0);
        };
      }
      if (def?.kind === 'boolean') {
        return (c) => {
          const col = c.columns.checksumOk;
          return (i) => {
            const v = col[i] as number;
            return v === CHECKSUM_ABSENT ? U : tri(v === CHECKSUM_OK);
          };
        };
      }
      return presenceRow(node.field);
    }
    case 'in': {
      if (typeof node.values[0]?.value === 'string') {
        const set = new Set(node.values.map((v) => String(v.value)));
        return bindString(node.field, (s) => set.has(s));
      }
      const set = new Set(node.values.map((v) => Number(v.value)));
      return bindNumber(node.field, (x) => set.has(x), origin);
    }
    case 'compare': {
      const def = FIELDS.get(node.field);
      const { op, value } = node;
      if (def?.kind === 'boolean') {
        const want = value.value === true;
        const eq = op === '==';
        if (def.flag !== undefined) {
          const bit = def.flag;
          return (c) => {
            const flags = c.columns.flags;
            return (i) => tri(((((flags[i] as number) & bit) !== 0) === want) === eq);
          };
        }
        return (c) => {
          const col = c.columns.checksumOk;
          return (i) => {
            const v = col[i] as number;
            return v === CHECKSUM_ABSENT ? U : tri(((v === CHECKSUM_OK) === want) === eq);
          };
        };
      }
      if (typeof value.value === 'string')
        return bindString(node.field, stringTest(op, value.value));
      return bindNumber(node.field, numberTest(op, Number(value.value)), origin);
    }
  }
}

/** Compiles a tree from parseFilter (an unchecked tree may throw here). */
export function compileFilter(ast: FilterNode, options: CompileOptions = {}): CompiledFilter {
  const origin = options.timeOrigin ?? ZERO_ORIGIN;
  const onRecord = compileRecord(ast, origin);
  const onRow = compileRow(ast, origin);
  // matchRow is called for one row at a time (a details pane, a coloring rule): keep the
  // last chunk bound instead of re-testing its strings per call.
  let lastChunk: TableChunk | undefined;
  let lastColumns: Columns | undefined;
  let lastStrings = -1;
  let lastEval: RowEval = () => F;
  const filter: CompiledFilter = {
    matchRecord: (r) => onRecord(r) === T,
    matchRow(table, index) {
      if (!Number.isInteger(index) || index < 0 || index >= table.length) return false;
      const chunk = table.chunks[index >>> table.chunkShift] as TableChunk;
      // A chunk's columns are reallocated as it grows and its dictionary gains strings.
      if (
        chunk !== lastChunk ||
        chunk.columns !== lastColumns ||
        chunk.strings.length !== lastStrings
      ) {
        lastChunk = chunk;
        lastColumns = chunk.columns;
        lastStrings = chunk.strings.length;
        lastEval = onRow(chunk);
      }
      return lastEval(index & table.chunkMask) === T;
    },
    bindChunk(chunk) {
      const f = onRow(chunk);
      return (row) => f(row) === T;
    },
  };
  binders.set(filter, onRow);
  return filter;
}

/** The raw row evaluators, so filterTable skips the boolean wrapper in its hot loop. */
const binders = new WeakMap<CompiledFilter, Binder>();

/**
 * Indices of the rows from `from` on (default: all) that match, ascending. Call it with the
 * previous length to filter only rows appended since.
 */
export function filterTable(table: PacketTable, filter: CompiledFilter, from = 0): Uint32Array {
  const start = Math.max(0, Math.floor(from));
  if (start >= table.length) return new Uint32Array(0);
  const out = new Uint32Array(table.length - start);
  let n = 0;
  const chunks = table.chunks;
  for (let k = Math.floor(start / table.chunkRows); k < chunks.length; k++) {
    const chunk = chunks[k] as TableChunk;
    const base = k * table.chunkRows;
    const first = Math.max(0, start - base);
    const raw = binders.get(filter);
    if (raw !== undefined) {
      const match = raw(chunk);
      for (let i = first, end = chunk.count; i < end; i++) if (match(i) === T) out[n++] = base + i;
    } else {
      const match = filter.bindChunk(chunk);
      for (let i = first, end = chunk.count; i < end; i++) if (match(i)) out[n++] = base + i;
    }
  }
  return out.slice(0, n);
}
