// Completions for the filter box: field names, operators and values at the cursor, from
// protocol/filter completeFilter (names come from the protocol's constants, no second list).

import { completeFilter } from '../../protocol/filter';
import type { Completion } from './filter-engine';

export function complete(src: string, cursor: number, limit = 40): Completion[] {
  const result = completeFilter(src, cursor);
  return result.items.slice(0, limit).map((item) => ({
    label: item.label,
    detail: item.detail ?? item.kind,
    start: result.from,
    end: result.to,
  }));
}
