import { describe, expect, it } from 'vitest';
import { completeFilter } from '../../protocol/filter/complete';
import { ManipulateApi, PacketType } from '../../protocol/kd/constants';

/** Completes at the `|` in `marked`. */
function complete(marked: string, values?: Record<string, string[]>) {
  const cursor = marked.indexOf('|');
  const src = marked.replace('|', '');
  const r = completeFilter(src, cursor, values);
  return { ...r, labels: r.items.map((i) => i.label), replaced: src.slice(r.from, r.to) };
}

describe('completeFilter', () => {
  it('offers fields where an operand goes', () => {
    const start = complete('|');
    expect(start.labels).toContain('type');
    expect(start.labels).toContain('checksumOk');
    expect(start.labels).toContain('retransmit');
    expect(start.items.find((i) => i.label === 'api')).toMatchObject({ kind: 'field' });
    expect(complete('ty|').labels).toEqual(['type', 'typeName']);
    expect(complete('ty|').replaced).toBe('ty');
    expect(complete('rtt > 5 && !chec|').labels).toEqual(['checksumOk', 'checksumError']);
    expect(complete('(|').labels).toContain('dir');
    expect(complete('not |').labels).toContain('dir');
  });

  it('replaces the whole word under the cursor', () => {
    const r = complete('ty|pe == ACKNOWLEDGE');
    expect(r.replaced).toBe('type');
    expect(r.labels).toEqual(['type', 'typeName']);
  });

  it('offers the operators that fit the field', () => {
    expect(complete('rtt |').labels).toEqual(['==', '!=', '<', '<=', '>', '>=', 'in', '&&', '||']);
    expect(complete('text |').labels).toEqual([
      '==',
      '!=',
      'contains',
      'matches',
      'in',
      '&&',
      '||',
    ]);
    expect(complete('retransmit |').labels).toEqual(['==', '!=', '&&', '||']);
    expect(complete('(api |').labels).toContain(')');
    expect(complete('text con|').labels).toEqual(['contains']);
    const bang = complete('type !|');
    expect(bang.labels).toEqual(['!=']);
    expect(bang.replaced).toBe('!');
    expect(complete('rtt <|').labels).toEqual(['<', '<=']);
  });

  it('offers the values of enum fields from the constants, with their numbers', () => {
    const types = complete('type == |');
    expect(types.labels).toEqual(Object.keys(PacketType));
    expect(types.items[2]).toEqual({ label: 'STATE_MANIPULATE', kind: 'value', detail: '0x2' });
    expect(complete('type == STATE_M|').labels).toEqual(['STATE_MANIPULATE']);
    expect(complete('type == STATE_M|').replaced).toBe('STATE_M');
    expect(complete('api == |').labels).toEqual(expect.arrayContaining(Object.keys(ManipulateApi)));
    expect(complete('api == PrintS|').labels).toEqual(['PrintString']);
    // A name containing the text comes after those starting with it.
    expect(complete('api == Memory|').labels).toContain('ReadVirtualMemory');
    expect(complete('dir == |').labels).toEqual([
      'debugger->target',
      'target->debugger',
      'd2t',
      't2d',
      'D->T',
      'T->D',
    ]);
    expect(complete('dir == targ|').labels).toEqual(['target->debugger', 'debugger->target']);
    expect(complete('state == Ex|').labels).toEqual(['Exception']);
    expect(complete('checksumOk == |').labels).toEqual(['true', 'false']);
    expect(complete('apiName == GetV|').labels).toEqual(['GetVersion']);
    expect(complete('garbageReason == bad|').labels).toEqual(['bad-length', 'bad-trailer']);
  });

  it('completes sets after in', () => {
    expect(complete('api in|').labels).toEqual(['in', 'contains']);
    expect(complete('in|').labels[0]).toBe('info');
    expect(complete('in|').labels).toContain('breakin');
    expect(complete('api in |').labels).toEqual(['{']);
    expect(complete('api in {|').labels).toContain('GetVersion');
    expect(complete('api in {GetVersion, Cont|').labels.slice(0, 2)).toEqual([
      'Continue',
      'Continue2',
    ]);
    expect(complete('type in {2 |').labels).toContain('}');
    expect(complete('type in {2} |').labels).toEqual(['&&', '||']);
  });

  it('adds values seen in the data, quoted when they are not names', () => {
    const r = complete('text contains |', { text: ['hello world', 'boot'] });
    expect(r.labels).toEqual(['"hello world"', 'boot']);
    const partial = complete('text contains "hel|', { text: ['hello world'] });
    expect(partial.labels).toEqual(['"hello world"']);
    expect(partial.replaced).toBe('"hel');
  });

  it('offers && and || after a complete term, ) inside parentheses', () => {
    expect(complete('rtt > 5 |').labels).toEqual(['&&', '||']);
    expect(complete('(rtt > 5 |').labels).toEqual(['&&', '||', ')']);
    expect(complete('rtt > 5 &|').labels).toEqual(['&&']);
    expect(complete('rtt > 5 |').from).toBe(8);
  });

  it('stays calm with nonsense and out-of-range cursors', () => {
    expect(complete('"unterminated |').labels).toEqual([]);
    expect(completeFilter('rtt', 99).to).toBe(3);
    expect(completeFilter('rtt', -5)).toMatchObject({ from: 0, to: 0 });
    expect(completeFilter('rtt', Number.NaN).items.length).toBeGreaterThan(0);
    expect(complete('#|').labels).toContain('type');
  });
});
