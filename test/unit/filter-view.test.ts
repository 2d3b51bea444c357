import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFilter, filterTable } from '../../protocol/filter/compile';
import { parseFilter } from '../../protocol/filter/parser';
import { FilteredRows } from '../../protocol/filter/view';
import { encodeBatch } from '../../protocol/records/columns';
import { PacketTable } from '../../protocol/records/table';
import type { PacketRecord } from '../../protocol/session/record';

function filter(src: string) {
  const r = parseFilter(src);
  if (!r.ok) throw new Error(r.error.message);
  return compileFilter(r.ast);
}

function rec(no: number): PacketRecord {
  return {
    no,
    time: no,
    dir: no % 3 === 0 ? 'target->debugger' : 'debugger->target',
    kind: 'packet',
    offset: no,
    length: 16,
    flags: 0,
  };
}

function shown(view: FilteredRows): number[] {
  return Array.from({ length: view.length }, (_, k) => view.index(k));
}

describe('FilteredRows', () => {
  it('tracks appends, drops and clears like filtering the whole table each time', () => {
    const step = fc.oneof(
      fc.nat(70).map((n) => ({ append: n })),
      fc.constant({ clear: true }),
      fc.constant({ refresh: true }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(step, fc.boolean()), { maxLength: 25 }),
        fc.boolean(),
        (steps, all) => {
          const table = new PacketTable({ capacity: 64, chunkRows: 8 });
          const f = filter('dir == t2d');
          const view = new FilteredRows(table, all ? null : f);
          let next = 1;
          for (const [s, check] of steps) {
            if ('append' in s) {
              table.append(encodeBatch(Array.from({ length: s.append }, () => rec(next++))));
            } else if ('clear' in s) {
              table.clear();
            }
            if ('refresh' in s || check) {
              view.refresh();
              const expected = all
                ? Array.from({ length: table.length }, (_, i) => i)
                : Array.from(filterTable(table, f));
              expect(shown(view)).toEqual(expected);
              for (const [k, i] of expected.entries()) expect(view.position(i)).toBe(k);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('says when nothing changed, and which positions are not shown', () => {
    const table = new PacketTable();
    const view = new FilteredRows(table, filter('dir == t2d'));
    table.appendRecords([rec(1), rec(2), rec(3)]);
    expect(view.refresh()).toBe(true);
    expect(view.refresh()).toBe(false);
    expect(shown(view)).toEqual([2]);
    expect(view.position(0)).toBe(-1);
    expect(() => view.index(1)).toThrow('shown row 1 is outside 0..0');
  });
});
