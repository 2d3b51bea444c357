// Prints a filter AST back as source that parses to the same tree (positions aside), with the
// fewest parentheses the precedence (|| < && < !) allows.

import type { FilterNode, FilterValue } from './ast';

const PRECEDENCE: Readonly<Record<FilterNode['kind'], number>> = {
  or: 1,
  and: 2,
  not: 3,
  field: 4,
  compare: 4,
  in: 4,
};

export function quoteString(s: string): string {
  return `"${s.replace(/[\\"\n\r\t]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? c)}"`;
}

function formatValue(v: FilterValue): string {
  switch (v.kind) {
    case 'number':
      return v.raw;
    case 'string':
      return quoteString(v.value);
    case 'name':
      return v.name;
  }
}

export function formatFilter(node: FilterNode): string {
  switch (node.kind) {
    case 'field':
      return node.field;
    case 'compare':
      return `${node.field} ${node.op} ${formatValue(node.value)}`;
    case 'in':
      return `${node.field} in {${node.values.map(formatValue).join(', ')}}`;
    case 'not': {
      const inner = formatFilter(node.operand);
      return PRECEDENCE[node.operand.kind] < PRECEDENCE.not ? `!(${inner})` : `!${inner}`;
    }
    case 'and':
    case 'or': {
      const p = PRECEDENCE[node.kind];
      const left = formatFilter(node.left);
      const right = formatFilter(node.right);
      // Left-associative: a right operand of equal precedence needs its parentheses.
      const l = PRECEDENCE[node.left.kind] < p ? `(${left})` : left;
      const r = PRECEDENCE[node.right.kind] <= p ? `(${right})` : right;
      return `${l} ${node.kind === 'and' ? '&&' : '||'} ${r}`;
    }
  }
}
