// The "Apply as Filter" / "Prepare as Filter" entries for a context menu, for one expression.

import type { MenuEntry } from '../store/context-menu';
import { combineFilter, type FilterMode } from '../store/filter-from';
import { actions, useWorkbench } from '../store/workbench';

const MODES: readonly [FilterMode, string][] = [
  ['selected', 'Selected'],
  ['not', 'Not Selected'],
  ['and', '…and Selected'],
  ['or', '…or Selected'],
];

function put(expr: string, mode: FilterMode, apply: boolean): void {
  const current = useWorkbench.getState().filterApplied || useWorkbench.getState().filterText;
  actions.setFilterText(combineFilter(current, expr, mode));
  if (apply) actions.applyFilter();
  else document.getElementById('filter')?.focus();
}

/** Entries for `expr`, or disabled ones saying why there is none. */
export function filterEntries(expr: string | null, why = 'nothing to filter on'): MenuEntry[] {
  const out: MenuEntry[] = [];
  for (const [verb, apply] of [
    ['Apply as Filter', true],
    ['Prepare as Filter', false],
  ] as const) {
    for (const [mode, label] of MODES) {
      out.push({
        label: `${verb}: ${label}`,
        ...(expr === null ? { disabled: why } : { run: () => put(expr, mode, apply) }),
        testId: `${apply ? 'apply' : 'prepare'}-${mode}`,
      });
    }
    if (apply) out.push('separator');
  }
  return out;
}
