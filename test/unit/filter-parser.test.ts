import { describe, expect, it } from 'vitest';
import type { FilterNode } from '../../protocol/filter/ast';
import { formatFilter } from '../../protocol/filter/format';
import { parseFilter } from '../../protocol/filter/parser';

function ast(src: string): FilterNode {
  const r = parseFilter(src);
  if (!r.ok) throw new Error(`${src}: ${r.error.message} at ${r.error.start}`);
  return r.ast;
}

/** Fully parenthesized form, to see the tree's shape. */
function tree(node: FilterNode): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${tree(node.left)} ${node.kind} ${tree(node.right)})`;
    case 'not':
      return `!${tree(node.operand)}`;
    case 'field':
      return node.field;
    case 'in':
      return `${node.field} in ${JSON.stringify(node.values.map((v) => v.value))}`;
    case 'compare':
      return `${node.field}${/\w/.test(node.op) ? ` ${node.op} ` : node.op}${JSON.stringify(node.value.value)}`;
  }
}

function error(src: string): [string, number, number] {
  const r = parseFilter(src);
  if (r.ok) throw new Error(`${src} parsed as ${formatFilter(r.ast)}`);
  return [r.error.message, r.error.start, r.error.end];
}

describe('parseFilter', () => {
  it('reads the examples of the brief', () => {
    expect(tree(ast('type == STATE_MANIPULATE && api == ReadVirtualMemory'))).toBe(
      '(type==2 and api==12592)',
    );
    expect(tree(ast('!checksumOk'))).toBe('!checksumOk');
    expect(tree(ast('dir == target->debugger'))).toBe('dir==1');
    expect(tree(ast('dir == t2d || dir == d2t'))).toBe('(dir==1 or dir==0)');
    expect(tree(ast('rtt > 5'))).toBe('rtt>5');
    expect(tree(ast('text contains "hello"'))).toBe('text contains "hello"');
    expect(tree(ast('api == 0x3130 || newState == Exception'))).toBe(
      '(api==12592 or newState==12336)',
    );
    expect(tree(ast('retransmit'))).toBe('retransmit');
  });

  it('binds ! tighter than && tighter than ||, left to right, parentheses first', () => {
    expect(tree(ast('id || no && rtt'))).toBe('(id or (no and rtt))');
    expect(tree(ast('id && no || rtt'))).toBe('((id and no) or rtt)');
    expect(tree(ast('!id && no'))).toBe('(!id and no)');
    expect(tree(ast('!(id && no)'))).toBe('!(id and no)');
    expect(tree(ast('id || no || rtt'))).toBe('((id or no) or rtt)');
    expect(tree(ast('id && (no || rtt)'))).toBe('(id and (no or rtt))');
    expect(tree(ast('not id and no or rtt'))).toBe('((!id and no) or rtt)');
    expect(tree(ast('!!retransmit'))).toBe('!!retransmit');
    expect(tree(ast('((rtt))'))).toBe('rtt');
  });

  it('reads every operator, hex and decimal numbers, escapes, aliases and spellings', () => {
    for (const op of ['==', '!=', '<', '<=', '>', '>=']) {
      expect(tree(ast(`length ${op} 0x10`))).toBe(`length${op}16`);
    }
    expect(tree(ast('rtt >= 2.5'))).toBe('rtt>=2.5');
    expect(tree(ast('info matches "^Read.*0x[0-9a-f]+"'))).toBe(
      'info matches "^Read.*0x[0-9a-f]+"',
    );
    expect(tree(ast('text contains "a \\"q\\" \\\\ \\n"'))).toBe(
      'text contains "a \\"q\\" \\\\ \\n"',
    );
    // Unknown escapes keep their backslash, so regexes need no doubling.
    expect(tree(ast('text matches "\\d+"'))).toBe('text matches "\\\\d+"');
    expect(tree(ast('status != 0 AND state == LoadSymbols'))).toBe(
      '(returnStatus!=0 and newState==12337)',
    );
    expect(tree(ast('rttMs<1'))).toBe('rtt<1');
    expect(tree(ast('type == "STATE_CHANGE64"'))).toBe('type==7');
    expect(tree(ast('type < 3'))).toBe('type<3');
    expect(tree(ast('api contains memory'))).toBe('api contains "memory"');
    expect(tree(ast('checksumOk == false'))).toBe('checksumOk==false');
    expect(tree(ast('apiName == ReadVirtualMemory'))).toBe('apiName=="ReadVirtualMemory"');
    expect(tree(ast('garbageReason == bad-trailer'))).toBe('garbageReason=="bad-trailer"');
    expect(tree(ast('kind == breakin || breakin'))).toBe('(kind==1 or breakin)');
    expect(tree(ast('leader == control && strayAck'))).toBe('(leader==2 and strayAck)');
    expect(tree(ast('api == PrintString || api == CreateFile'))).toBe('(api==12848 or api==13360)');
  });

  it('reads sets after in, with or without commas', () => {
    expect(tree(ast('api in {ReadVirtualMemory, WriteVirtualMemory}'))).toBe(
      'api in [12592,12593]',
    );
    expect(tree(ast('type in {1 2 0x7}'))).toBe('type in [1,2,7]');
    expect(tree(ast('apiName in {"GetVersion" Continue}'))).toBe(
      'apiName in ["GetVersion","Continue"]',
    );
    expect(tree(ast('!(dir in {d2t}) && rtt'))).toBe('(!dir in [0] and rtt)');
    expect(formatFilter(ast('api in {ReadVirtualMemory 0x3131}'))).toBe(
      'api in {ReadVirtualMemory, 0x3131}',
    );
    expect(error('api in {}')).toEqual(['empty set: name at least one value', 7, 9]);
    expect(error('api in GetVersion')).toEqual(['expected "{" after in, not "GetVersion"', 7, 17]);
    expect(error('api in {GetVersion')).toEqual([
      'expected a value or "}", not the end of the filter',
      18,
      18,
    ]);
    expect(error('api in {Bogus}')).toEqual(['unknown api value "Bogus"', 8, 13]);
    expect(error('api in {, GetVersion}')).toEqual(['expected a value or "}", not ","', 8, 9]);
    expect(error('retransmit in {true}')).toEqual([
      'retransmit is true or false: use == or !=, or test it bare',
      11,
      13,
    ]);
  });

  it('gives each node the span of its source', () => {
    const node = ast('id == 1 && (rtt > 5)');
    expect(node).toMatchObject({ start: 0, end: 20 });
    if (node.kind !== 'and') throw new Error('not and');
    expect(node.left).toMatchObject({ start: 0, end: 7 });
    expect(node.right).toMatchObject({ start: 11, end: 20 });
  });

  it('says what is wrong and where', () => {
    expect(error('')).toEqual(['empty filter', 0, 0]);
    expect(error('   ')).toEqual(['empty filter', 0, 0]);
    expect(error('typo == 1')).toEqual(['unknown field "typo"', 0, 4]);
    expect(error('type == FOO')).toEqual(['unknown type value "FOO"', 8, 11]);
    expect(error('dir == sideways')).toEqual(['unknown dir value "sideways"', 7, 15]);
    expect(error('rtt == fast')).toEqual(['rtt is compared with a number, not "fast"', 7, 11]);
    expect(error('rtt contains "x"')).toEqual([
      'contains needs a text field; rtt is a number',
      4,
      12,
    ]);
    expect(error('text > "a"')).toEqual(['> compares numbers; text is text', 5, 6]);
    expect(error('text == 5')).toEqual(['text is compared with a string, not "5"', 8, 9]);
    expect(error('retransmit < 1')).toEqual([
      'retransmit is true or false: use == or !=, or test it bare',
      11,
      12,
    ]);
    expect(error('checksumOk == yes')).toEqual([
      'checksumOk is compared with true or false, not "yes"',
      14,
      17,
    ]);
    expect(error('text matches "(a"')).toEqual([
      expect.stringMatching(/^bad regular expression: .*/),
      13,
      17,
    ]);
    expect(error('rtt >')).toEqual(['expected a value after >, not the end of the filter', 5, 5]);
    expect(error('rtt > )')).toEqual(['expected a value after >, not ")"', 6, 7]);
    expect(error('(rtt > 5')).toEqual([
      'expected ")" to close the "(" at 0, not the end of the filter',
      8,
      8,
    ]);
    expect(error('rtt > 5)')).toEqual(['")" without "("', 7, 8]);
    expect(error('rtt > 5 rtt')).toEqual(['expected "&&", "||" or the end, not "rtt"', 8, 11]);
    expect(error('&& rtt')).toEqual(['expected a field name, not "&&"', 0, 2]);
    expect(error('rtt &&')).toEqual(['expected a field name, not the end of the filter', 6, 6]);
    expect(error('5 == rtt')).toEqual(['expected a field name, not "5"', 0, 1]);
    expect(error('text contains "abc')).toEqual(['string has no closing "', 14, 18]);
    expect(error('rtt = 5')).toEqual(['unexpected "=" (use "==")', 4, 5]);
    expect(error('rtt > 5 & id')).toEqual(['unexpected "&" (use "&&")', 8, 9]);
    expect(error('rtt > 5 | id')).toEqual(['unexpected "|" (use "||")', 8, 9]);
    expect(error('rtt > 5x')).toEqual(['bad number "5x"', 6, 8]);
    expect(error('rtt > 5 # x')).toEqual(['unexpected character "#"', 8, 9]);
    expect(error('(((')).toEqual(['expected a field name, not the end of the filter', 3, 3]);
  });
});
