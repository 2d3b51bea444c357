// "Apply as filter": the filter made from a cell or a details field selects the packet it came
// from (checked on random records), and combines with the filter in the box.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFilter } from '../../protocol/filter/index';
import { PacketFlag } from '../../protocol/session/record';
import type { PacketRecord } from '../../protocol/session/record';
import { TIMELINE_COLUMNS } from '../../renderer/store/layout';
import { cellFilter, combineFilter, fieldFilter } from '../../renderer/store/filter-from';
import { recordWithNo } from '../property/filter-arbitraries';

const ORIGIN = 1_700_000_000_000;
const recordBase: PacketRecord = {
  no: 1,
  time: 0,
  dir: 'debugger->target',
  kind: 'packet',
  offset: 0,
  length: 0,
  flags: 0,
};

describe('filters from the packet list', () => {
  it('select the packet whose cell they came from (property)', () => {
    const time = fc.double({ min: ORIGIN - 1e9, max: ORIGIN + 1e9, noNaN: true });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 40 }).chain((no) => recordWithNo(no)),
        time,
        (record, t) => {
          const r: PacketRecord = { ...record, time: t };
          for (const column of TIMELINE_COLUMNS) {
            const src = cellFilter(r, column, ORIGIN);
            if (src === null) continue;
            const made = createFilter(src, { timeOrigin: () => ORIGIN });
            expect(made.ok, `${column}: ${src}`).toBe(true);
            if (made.ok) expect(made.filter.matchRecord(r), `${column}: ${src}`).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('hold a time that binary rounding puts on the edge of its shown value', () => {
    // Found by the property above: -585527.9910625 s, which the display rounds down.
    const r: PacketRecord = { ...recordBase, time: 1699414472008.9375 };
    const src = cellFilter(r, 'time', ORIGIN)!;
    const made = createFilter(src, { timeOrigin: () => ORIGIN });
    expect(made.ok && made.filter.matchRecord(r), src).toBe(true);
  });

  it('read like what the columns show', () => {
    const r: PacketRecord = {
      no: 12,
      time: ORIGIN + 1234.5678,
      dir: 'target->debugger',
      kind: 'packet',
      offset: 0,
      length: 72,
      flags: PacketFlag.RETRANSMIT | PacketFlag.ERROR_STATUS,
      type: 2,
      typeName: 'STATE_MANIPULATE',
      api: 0x3130,
      apiName: 'ReadVirtualMemory',
      returnStatus: 0xc0000005,
      rttMs: 4.25,
    };
    expect(cellFilter(r, 'dir', ORIGIN)).toBe('dir == T->D');
    expect(cellFilter(r, 'api', ORIGIN)).toBe('api == ReadVirtualMemory');
    expect(cellFilter(r, 'status', ORIGIN)).toBe('status == 0xc0000005');
    expect(cellFilter(r, 'len', ORIGIN)).toBe('len == 72');
    expect(cellFilter(r, 'flags', ORIGIN)).toBe('retransmit && errorStatus');
    expect(cellFilter(r, 'time', ORIGIN)).toBe('(time >= 1.2345675 && time < 1.2345685)');
    expect(cellFilter(r, 'rtt', ORIGIN)).toBe('(rtt >= 4.2495 && rtt < 4.2505)');
    expect(cellFilter(r, 'id', ORIGIN)).toBeNull();
  });

  it('come from details fields the packet list also carries', () => {
    expect(
      fieldFilter({
        name: 'ApiNumber',
        value: '0x3130 (ReadVirtualMemory)',
        offset: 16,
        length: 4,
      }),
    ).toBe('api == 0x3130');
    expect(fieldFilter({ name: 'ByteCount', value: '0x38 (56)', offset: 6, length: 2 })).toBe(
      'byteCount == 0x38',
    );
    expect(
      fieldFilter({ name: 'TargetBaseAddress', value: '0xfffff800', offset: 32, length: 8 }),
    ).toBeNull();
  });

  it('combine with the filter in the box', () => {
    expect(combineFilter('', 'api == GetVersion', 'selected')).toBe('api == GetVersion');
    expect(combineFilter('a || b', 'len == 3', 'and')).toBe('(a || b) && len == 3');
    expect(combineFilter('checksumOk', 'len == 3', 'or-not')).toBe('checksumOk || !(len == 3)');
    expect(combineFilter('', 'retransmit', 'not')).toBe('!(retransmit)');
  });
});
