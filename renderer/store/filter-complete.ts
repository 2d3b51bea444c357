// Completions for the filter box: field names where a field can start, the field's enum values
// after a comparison operator. Built on protocol/filter's field table (no second list).
// TODO(filter): switch to protocol/filter completeFilter once it lands.

import { FIELDS, lookupField } from '../../protocol/filter/fields';
import type { Completion } from './filter-engine';

const WORD = /[A-Za-z0-9_>-]/;

export function complete(src: string, cursor: number, limit = 40): Completion[] {
  let start = cursor;
  while (start > 0 && WORD.test(src[start - 1]!)) start--;
  // '->' inside direction values is part of the word, but a lone '-'/'>' is an operator.
  const word = src.slice(start, cursor);
  const before = src.slice(0, start).trimEnd();
  const compare = /([A-Za-z_][A-Za-z0-9_]*)\s*(==|!=|<=|>=|<|>)$/.exec(before);
  const out: Completion[] = [];
  const lower = word.toLowerCase();
  if (compare) {
    const def = lookupField(compare[1]!);
    for (const [name, value] of def?.values ?? []) {
      if (name.toLowerCase().startsWith(lower)) {
        out.push({ label: name, detail: `0x${value.toString(16)}`, start, end: cursor });
      }
    }
    if (def?.kind === 'boolean') {
      for (const v of ['true', 'false'])
        if (v.startsWith(lower)) out.push({ label: v, detail: 'boolean', start, end: cursor });
    }
  } else if (
    !/[A-Za-z0-9_]\s*$/.test(before) ||
    /(&&|\|\||!|\(|\band|\bor|\bnot)$/.test(before) ||
    before === ''
  ) {
    for (const def of FIELDS.values()) {
      if (def.name.toLowerCase().startsWith(lower)) {
        out.push({ label: def.name, detail: def.description, start, end: cursor });
      }
    }
  }
  return out.slice(0, limit);
}
