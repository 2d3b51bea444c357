import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BYTES_PER_ROW, encodeBatch } from '../../protocol/records/columns';
import { PacketTable } from '../../protocol/records/table';
import type { PacketRecord } from '../../protocol/session/record';
import { recordsArb } from '../property/filter-arbitraries';

function rows(table: PacketTable): PacketRecord[] {
  return Array.from({ length: table.length }, (_, i) => table.row(i));
}

function plain(no: number, info?: string): PacketRecord {
  return {
    no,
    time: no * 10,
    dir: no % 2 ? 'debugger->target' : 'target->debugger',
    kind: 'packet',
    offset: no * 16,
    length: 16,
    flags: 0,
    ...(info === undefined ? {} : { info }),
  };
}

describe('PacketTable', () => {
  it('holds what was appended, batch by batch, across chunk boundaries', () => {
    fc.assert(
      fc.property(recordsArb(120, 1), fc.array(fc.nat(50), { maxLength: 6 }), (records, cuts) => {
        const table = new PacketTable({ chunkRows: 16 });
        let at = 0;
        for (const cut of [...cuts, records.length]) {
          const end = Math.min(records.length, at + cut);
          table.append(encodeBatch(records.slice(at, end)));
          at = end;
        }
        expect(table.length).toBe(records.length);
        expect(rows(table)).toEqual(records);
        const direct = new PacketTable({ chunkRows: 16 });
        direct.appendRecords(records);
        expect(rows(direct)).toEqual(records);
        expect(table.column('no').flatMap((c) => Array.from(c))).toEqual(records.map((r) => r.no));
      }),
      { numRuns: 100 },
    );
  });

  it('drops the oldest chunks beyond its capacity and reports firstNo', () => {
    const table = new PacketTable({ capacity: 100, chunkRows: 16 });
    const all = Array.from({ length: 1000 }, (_, k) => plain(k + 1, `row ${k + 1}`));
    for (let k = 0; k < all.length; k += 37) table.append(encodeBatch(all.slice(k, k + 37)));
    expect(table.length).toBeLessThanOrEqual(100);
    expect(table.length).toBeGreaterThan(100 - 16);
    expect(table.dropped + table.length).toBe(1000);
    expect(table.firstNo).toBe(table.dropped + 1);
    expect(rows(table)).toEqual(all.slice(table.dropped));
    expect(table.string('info', 0)).toBe(`row ${table.firstNo}`);
    // Dropped chunks take their strings with them.
    expect(table.chunks.reduce((n, c) => n + c.strings.length - 1, 0)).toBe(table.length);
  });

  it('finds rows by no. and patches what the tracker learns later', () => {
    const table = new PacketTable({ capacity: 40, chunkRows: 8 });
    table.appendRecords(Array.from({ length: 50 }, (_, k) => plain(2 * k + 1)));
    expect(table.firstNo).toBe(table.dropped * 2 + 1);
    expect(table.rowOfNo(table.firstNo)).toBe(0);
    expect(table.rowOfNo(99)).toBe(table.length - 1);
    expect(table.rowOfNo(98)).toBe(-1);
    expect(table.rowOfNo(1)).toBe(-1); // dropped
    const before = table.revision;
    const updated: PacketRecord = { ...plain(91), flags: 0x100, pair: 95, ack: 92, rttMs: 1.5 };
    const row = table.patch(updated);
    expect(row).toBe(table.rowOfNo(91));
    expect(table.row(row)).toEqual(updated);
    expect(table.revision).toBeGreaterThan(before);
    expect(table.patch(plain(91))).toBe(row);
    expect(table.row(row)).toEqual(plain(91));
    expect(table.patch(plain(2))).toBe(-1);
  });

  it('interns strings per chunk', () => {
    const table = new PacketTable({ chunkRows: 64 });
    table.appendRecords(Array.from({ length: 100 }, (_, k) => plain(k + 1, 'same')));
    expect(table.chunks.map((c) => c.strings)).toEqual([
      ['', 'same'],
      ['', 'same'],
    ]);
  });

  it('clears, and says which row is out of range', () => {
    const table = new PacketTable();
    expect([table.capacity, table.chunkRows]).toEqual([1_000_000, 32768]);
    table.appendRecords([plain(1), plain(2)]);
    const before = table.revision;
    expect(table.value('offset', 1)).toBe(32);
    table.clear();
    expect(table.epoch).toBe(1);
    expect(table.revision).toBeGreaterThan(before);
    expect(table.length).toBe(0);
    expect(table.firstNo).toBe(0);
    expect(() => table.row(0)).toThrow('row 0 is outside the table (0..-1)');
    expect(() => new PacketTable({ capacity: 0 })).toThrow(/capacity must be at least 1/);
  });

  it('stays near 100 bytes of columns per row when full', () => {
    const table = new PacketTable({ capacity: 1 << 16, chunkRows: 1 << 12 });
    const batch = encodeBatch(Array.from({ length: 1 << 12 }, (_, k) => plain(k + 1)));
    for (let k = 0; k < 20; k++) table.append(batch);
    const { columns } = table.memoryBytes();
    expect(table.length).toBe(1 << 16);
    expect(columns / table.length).toBeLessThanOrEqual(BYTES_PER_ROW);
  });
});
