import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FilterNode } from '../../protocol/filter/ast';
import { compileFilter } from '../../protocol/filter/compile';
import { completeFilter } from '../../protocol/filter/complete';
import { formatFilter } from '../../protocol/filter/format';
import { parseFilter } from '../../protocol/filter/parser';
import { PacketTable } from '../../protocol/records/table';
import { filterSource } from './filter-arbitraries';

/** The tree without source positions. */
function shape(node: FilterNode): unknown {
  switch (node.kind) {
    case 'and':
    case 'or':
      return [node.kind, shape(node.left), shape(node.right)];
    case 'not':
      return ['not', shape(node.operand)];
    case 'field':
      return ['field', node.field];
    case 'compare':
      return ['compare', node.field, node.op, node.value];
  }
}

function spansNest(node: FilterNode, src: string): void {
  expect(node.start).toBeGreaterThanOrEqual(0);
  expect(node.end).toBeLessThanOrEqual(src.length);
  expect(node.start).toBeLessThan(node.end);
  const kids =
    node.kind === 'and' || node.kind === 'or'
      ? [node.left, node.right]
      : node.kind === 'not'
        ? [node.operand]
        : [];
  for (const kid of kids) {
    expect(kid.start).toBeGreaterThanOrEqual(node.start);
    expect(kid.end).toBeLessThanOrEqual(node.end);
    spansNest(kid, src);
  }
}

// Fragments of the language, so random strings are often nearly valid.
const fragment = fc.constantFrom(
  'type',
  'api',
  '==',
  '!=',
  '<',
  '>=',
  '&&',
  '||',
  '!',
  '(',
  ')',
  ' ',
  'and',
  'not ',
  'contains',
  'matches',
  '"',
  '"x"',
  '\\',
  '0x',
  '12',
  'STATE_MANIPULATE',
  'd2t',
  'debugger->target',
  '->',
  '-',
  '=',
  '&',
  '|',
  'checksumOk',
  'text',
  'é',
  '\u{1F600}',
  '\uD800',
);
const junk = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.array(fragment, { maxLength: 14 }).map((a) => a.join('')),
);

const table = new PacketTable();
table.appendRecords([
  {
    no: 1,
    time: 0,
    dir: 'debugger->target',
    kind: 'garbage',
    offset: 0,
    length: 3,
    flags: 16,
    garbageReason: 'noise',
  },
]);

describe('filter grammar round trip', () => {
  it('parses every generated filter, prints it, and re-parses the same tree', () => {
    fc.assert(
      fc.property(filterSource, (src) => {
        const first = parseFilter(src);
        if (!first.ok) throw new Error(`${JSON.stringify(src)}: ${first.error.message}`);
        spansNest(first.ast, src);
        const printed = formatFilter(first.ast);
        const second = parseFilter(printed);
        if (!second.ok) throw new Error(`${JSON.stringify(printed)}: ${second.error.message}`);
        expect(shape(second.ast)).toEqual(shape(first.ast));
        // Printing is canonical: a second round changes nothing.
        expect(formatFilter(second.ast)).toBe(printed);
      }),
      { numRuns: 1500 },
    );
  });

  it('never throws on arbitrary input, and errors point inside it', () => {
    fc.assert(
      fc.property(junk, fc.nat(60), (src, cursor) => {
        const r = parseFilter(src);
        if (!r.ok) {
          expect(r.error.message).not.toMatch(/parser failed/);
          expect(r.error.start).toBeGreaterThanOrEqual(0);
          expect(r.error.start).toBeLessThanOrEqual(r.error.end);
          expect(r.error.end).toBeLessThanOrEqual(src.length);
        } else {
          expect(parseFilter(formatFilter(r.ast)).ok).toBe(true);
          // Whatever parses compiles and runs.
          const f = compileFilter(r.ast);
          f.matchRecord({
            no: 1,
            time: 0,
            dir: 't2d' as never,
            kind: 'packet',
            offset: 0,
            length: 0,
            flags: 0,
          });
          f.matchRow(table, 0);
        }
        const c = completeFilter(src, Math.min(cursor, src.length));
        expect(c.from).toBeGreaterThanOrEqual(0);
        expect(c.from).toBeLessThanOrEqual(c.to);
        expect(c.to).toBeLessThanOrEqual(src.length);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses absurd nesting with a message instead of overflowing the stack', () => {
    for (const src of [
      '('.repeat(100_000) + 'rtt' + ')'.repeat(100_000),
      '!'.repeat(100_000) + 'rtt',
      Array(5000).fill('rtt').join(' || '),
    ]) {
      const r = parseFilter(src);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message).toMatch(/nested deeper than 500/);
    }
  });
});
