import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFilter, filterTable } from '../../protocol/filter/compile';
import { parseFilter } from '../../protocol/filter/parser';
import { encodeBatch } from '../../protocol/records/columns';
import { PacketTable } from '../../protocol/records/table';
import { filterSource, recordsArb } from './filter-arbitraries';

function compiled(src: string) {
  const r = parseFilter(src);
  if (!r.ok) throw new Error(`${JSON.stringify(src)}: ${r.error.message}`);
  return compileFilter(r.ast);
}

describe('filter evaluation over columns', () => {
  it('matches the same rows in a PacketTable as over the PacketRecord objects', () => {
    fc.assert(
      fc.property(
        recordsArb(80, 1),
        fc.array(filterSource, { minLength: 1, maxLength: 4 }),
        fc.nat(80),
        (records, sources, from) => {
          const table = new PacketTable({ capacity: 1000, chunkRows: 16 });
          table.append(encodeBatch(records.slice(0, 30)));
          table.append(encodeBatch(records.slice(30)));
          for (const src of sources) {
            const filter = compiled(src);
            const expected = records.flatMap((r, i) => (filter.matchRecord(r) ? [i] : []));
            expect(Array.from(filterTable(table, filter)), src).toEqual(expected);
            expect(Array.from(filterTable(table, filter, from)), src).toEqual(
              expected.filter((i) => i >= from),
            );
            records.forEach((_, i) =>
              expect(filter.matchRow(table, i), src).toBe(expected.includes(i)),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
