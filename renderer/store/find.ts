// Find packet (Ctrl+F): the next displayed row, from the selection on, whose text contains a
// string or that a display filter matches; wraps around like Wireshark.

import { create } from 'zustand';
import { createFilter, type CompiledFilter } from '../../protocol/filter';
import type { StringColumnName } from '../../protocol/records/columns';
import { actions, table, tableRow, useWorkbench, filterTimeOrigin } from './workbench';

export type FindMode = 'string' | 'filter';

export interface FindState {
  open: boolean;
  mode: FindMode;
  text: string;
  /** The last search's outcome, shown next to the box. */
  message: string;
}

export const useFind = create<FindState>(() => ({
  open: false,
  mode: 'string',
  text: '',
  message: '',
}));

const TEXT_COLUMNS: readonly StringColumnName[] = [
  'info',
  'text',
  'apiName',
  'typeName',
  'newStateName',
];

function stringTest(needle: string): (row: number) => boolean {
  const n = needle.toLowerCase();
  return (row) =>
    TEXT_COLUMNS.some((c) => table.string(c, row)?.toLowerCase().includes(n) ?? false);
}

export const find = {
  open(): void {
    useFind.setState({ open: true, message: '' });
    requestAnimationFrame(() => document.getElementById('find-text')?.focus());
  },
  close(): void {
    useFind.setState({ open: false, message: '' });
  },
  set(patch: Partial<Pick<FindState, 'mode' | 'text'>>): void {
    useFind.setState({ ...patch, message: '' });
  },
  /** Selects the next (1) or previous (-1) match; returns its no. or null. */
  next(dir: 1 | -1): number | null {
    const { mode, text } = useFind.getState();
    if (text.trim() === '') return null;
    let test: (row: number) => boolean;
    if (mode === 'filter') {
      const made = createFilter(text, { timeOrigin: filterTimeOrigin });
      if (!made.ok) {
        useFind.setState({ message: `not a valid filter: ${made.error.message}` });
        return null;
      }
      const f: CompiledFilter = made.filter;
      test = (row) => f.matchRow(table, row);
    } else test = stringTest(text);
    const s = useWorkbench.getState();
    const n = s.displayCount;
    if (n === 0) {
      useFind.setState({ message: 'no packets' });
      return null;
    }
    const from = s.selectedIndex ?? (dir > 0 ? -1 : n);
    for (let k = 1; k <= n; k++) {
      const at = (((from + dir * k) % n) + n) % n;
      const row = tableRow(at);
      if (row >= 0 && test(row)) {
        const no = table.value('no', row);
        actions.setFollow(false);
        void actions.select(at);
        useFind.setState({
          message: `packet ${no}${(dir > 0 ? at <= from : at >= from) ? ' (wrapped)' : ''}`,
        });
        return no;
      }
    }
    useFind.setState({ message: 'not found' });
    return null;
  },
};
