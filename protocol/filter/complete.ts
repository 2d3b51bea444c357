// Completions at the cursor of a filter being typed: field names where an operand goes,
// operators after a field, the field's values after an operator, && and || after a term.
// Works on any prefix, valid or not, and never throws.

import { COMPARE_OPS } from './ast';
import type { CompareOp } from './ast';
import { ENUM_NAME_FIELD, FIELDS, lookupField } from './fields';
import type { FieldDef } from './fields';
import { quoteString } from './format';
import { nameLength, tokenize } from './lexer';
import type { Token } from './lexer';

export interface Completion {
  /** Text to put in place of [from, to). */
  readonly label: string;
  readonly kind: 'field' | 'operator' | 'value' | 'keyword';
  readonly detail?: string;
}

export interface CompletionResult {
  readonly from: number;
  readonly to: number;
  readonly items: readonly Completion[];
}

/** Extra values seen in the data (e.g. the table's apiName strings), per field name. */
export type CompletionValues = Readonly<Partial<Record<string, readonly string[]>>>;

type State =
  | { readonly at: 'operand' }
  | { readonly at: 'afterField'; readonly field: FieldDef | undefined }
  | {
      readonly at: 'value';
      readonly field: FieldDef | undefined;
      readonly op: CompareOp;
      /** Inside `in {...}`: more values or "}" may follow. */
      readonly inSet?: boolean;
    }
  | { readonly at: 'setOpen'; readonly field: FieldDef | undefined }
  | { readonly at: 'afterValue' }
  | { readonly at: 'string' };

function step(state: State, tok: Token): State {
  switch (tok.kind) {
    case 'lparen':
    case 'not':
    case 'and':
    case 'or':
      return { at: 'operand' };
    case 'rparen':
    case 'rbrace':
      return { at: 'afterValue' };
    case 'in':
      return state.at === 'afterField' ? { at: 'setOpen', field: state.field } : state;
    case 'lbrace':
    case 'comma':
      return state.at === 'setOpen' || (state.at === 'value' && state.inSet)
        ? { at: 'value', field: state.field, op: '==', inSet: true }
        : state;
    case 'op':
      return state.at === 'afterField'
        ? { at: 'value', field: state.field, op: String(tok.value) as CompareOp }
        : { at: 'afterValue' };
    case 'name':
      if (state.at === 'value' && state.inSet) return state;
      return state.at === 'operand'
        ? { at: 'afterField', field: lookupField(tok.text) }
        : { at: 'afterValue' };
    case 'number':
    case 'string':
      return state.at === 'value' && state.inSet ? state : { at: 'afterValue' };
    case 'invalid':
      return tok.text.startsWith('"') ? { at: 'string' } : state;
    case 'end':
      return state;
  }
}

function operatorsFor(field: FieldDef | undefined): CompareOp[] {
  switch (field?.kind) {
    case 'boolean':
      return ['==', '!='];
    case 'number':
      return COMPARE_OPS.filter((op) => op !== 'contains' && op !== 'matches');
    case 'string':
      return ['==', '!=', 'contains', 'matches'];
    default:
      return [...COMPARE_OPS];
  }
}

/** For a string field that holds an enum's names (apiName), that enum's field. */
const NAME_FIELD_ENUM: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(ENUM_NAME_FIELD).map(([e, s]) => [s, e]),
);

function valuesFor(field: FieldDef | undefined, extra: CompletionValues | undefined): Completion[] {
  if (field === undefined) return [];
  if (field.kind === 'boolean') {
    return ['true', 'false'].map((label) => ({ label, kind: 'value' }));
  }
  const names = new Map<string, number | undefined>();
  const enumDef = field.values ? field : FIELDS.get(NAME_FIELD_ENUM[field.name] ?? '');
  for (const [name, value] of enumDef?.values ?? []) names.set(name, value);
  if (field.name === 'garbageReason') {
    for (const r of ['noise', 'bad-length', 'bad-trailer', 'truncated']) names.set(r, undefined);
  }
  for (const name of extra?.[field.name] ?? []) if (!names.has(name)) names.set(name, undefined);
  return [...names].map(([name, value]) => ({
    label: nameLength(name, 0) === name.length && name.length > 0 ? name : quoteString(name),
    kind: 'value',
    ...(value === undefined ? {} : { detail: `0x${value.toString(16)}` }),
  }));
}

function candidates(
  state: State,
  depth: number,
  extra: CompletionValues | undefined,
): Completion[] {
  const joins: Completion[] = [
    { label: '&&', kind: 'keyword' },
    { label: '||', kind: 'keyword' },
    ...(depth > 0 ? [{ label: ')', kind: 'keyword' } as const] : []),
  ];
  switch (state.at) {
    case 'operand':
      return [...FIELDS.values()].map((f) => ({
        label: f.name,
        kind: 'field',
        detail: f.description,
      }));
    case 'afterField':
      return [
        ...operatorsFor(state.field).map((op): Completion => ({ label: op, kind: 'operator' })),
        ...(state.field?.kind === 'boolean' ? [] : [{ label: 'in', kind: 'operator' } as const]),
        ...joins,
      ];
    case 'value':
      return [
        ...valuesFor(state.field, extra),
        ...(state.inSet ? [{ label: '}', kind: 'keyword' } as const] : []),
      ];
    case 'setOpen':
      return [{ label: '{', kind: 'keyword' }];
    case 'afterValue':
      return joins;
    case 'string':
      return [];
  }
}

const WORDLIKE: ReadonlySet<Token['kind']> = new Set([
  'name',
  'and',
  'or',
  'op',
  'not',
  'in',
  'number',
  'invalid',
]);

export function completeFilter(
  src: string,
  cursor: number,
  values?: CompletionValues,
): CompletionResult {
  try {
    const at = Math.max(
      0,
      Math.min(src.length, Math.floor(Number.isFinite(cursor) ? cursor : src.length)),
    );
    const tokens = tokenize(src.slice(0, at)).filter((t) => t.kind !== 'end');
    let state: State = { at: 'operand' };
    let depth = 0;
    const last = tokens[tokens.length - 1];
    const partial =
      last !== undefined && last.end === at && WORDLIKE.has(last.kind) ? last : undefined;
    for (const tok of partial ? tokens.slice(0, -1) : tokens) {
      if (tok.kind === 'lparen') depth++;
      if (tok.kind === 'rparen') depth = Math.max(0, depth - 1);
      state = step(state, tok);
    }
    let items = candidates(state, depth, values);
    if (partial === undefined) return { from: at, to: at, items };
    const prefix = partial.text.toLowerCase();
    const starts = items.filter((c) => c.label.toLowerCase().startsWith(prefix));
    const isWord = /^[A-Za-z_]/.test(partial.text);
    if (starts.length === 0 && !isWord) {
      // A finished symbol such as "!" or "(": complete what follows it.
      state = step(state, partial);
      if (partial.kind === 'lparen') depth++;
      return { from: at, to: at, items: candidates(state, depth, values) };
    }
    // Prefix matches first, then names containing the text ("Memory" finds ReadVirtualMemory).
    const inside = isWord
      ? items.filter((c) => !starts.includes(c) && c.label.toLowerCase().includes(prefix))
      : [];
    items = [...starts, ...inside];
    const to = isWord ? partial.start + nameLength(src, partial.start) : at;
    return { from: partial.start, to: Math.max(to, at), items };
  } catch {
    return { from: cursor, to: cursor, items: [] };
  }
}
