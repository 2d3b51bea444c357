import { describe, expect, it } from 'vitest';
import { createFilter } from '../../protocol/filter/index';
import { compileFilter, filterTable } from '../../protocol/filter/compile';
import { encodeBatch } from '../../protocol/records/columns';
import { parseFilter } from '../../protocol/filter/parser';
import { PacketTable } from '../../protocol/records/table';
import { PacketFlag } from '../../protocol/session/record';
import type { PacketRecord } from '../../protocol/session/record';

// A small session: request, its ACK, the response (with RTT), a bad checksum, a break-in,
// garbage, a state change with debug text.
const base = { time: 1_700_000_000_000, offset: 0, length: 16, flags: 0 } as const;
const records: PacketRecord[] = [
  {
    ...base,
    no: 1,
    dir: 'debugger->target',
    kind: 'packet',
    leader: 'data',
    type: 2,
    typeName: 'STATE_MANIPULATE',
    id: 0x80800000,
    byteCount: 56,
    checksumOk: true,
    api: 0x3130,
    apiName: 'ReadVirtualMemory',
    returnStatus: 0,
    pair: 3,
    ack: 2,
    info: 'ReadVirtualMemory 0xfffff800`12340000 len 0x100',
  },
  {
    ...base,
    no: 2,
    dir: 'target->debugger',
    kind: 'packet',
    leader: 'control',
    type: 4,
    typeName: 'ACKNOWLEDGE',
    id: 0x80800000,
    byteCount: 0,
    checksumOk: true,
    ack: 1,
  },
  {
    ...base,
    no: 3,
    dir: 'target->debugger',
    kind: 'packet',
    leader: 'data',
    type: 2,
    typeName: 'STATE_MANIPULATE',
    id: 0x80800000,
    byteCount: 312,
    checksumOk: true,
    api: 0x3130,
    apiName: 'ReadVirtualMemory',
    returnStatus: 0xc0000005,
    pair: 1,
    rttMs: 7.5,
    flags: PacketFlag.ERROR_STATUS,
  },
  {
    ...base,
    no: 4,
    dir: 'target->debugger',
    kind: 'packet',
    leader: 'data',
    type: 2,
    typeName: 'STATE_MANIPULATE',
    id: 0x80800001,
    byteCount: 56,
    checksumOk: false,
    api: 0x3146,
    apiName: 'GetVersion',
    flags: PacketFlag.CHECKSUM_ERROR,
  },
  {
    ...base,
    no: 5,
    dir: 'debugger->target',
    kind: 'breakin',
    length: 1,
    flags: PacketFlag.BREAKIN,
  },
  {
    ...base,
    no: 6,
    dir: 'target->debugger',
    kind: 'garbage',
    length: 3,
    garbageReason: 'noise',
    flags: PacketFlag.GARBAGE,
  },
  {
    ...base,
    no: 7,
    dir: 'target->debugger',
    kind: 'packet',
    leader: 'data',
    type: 7,
    typeName: 'STATE_CHANGE64',
    id: 0x80800000,
    byteCount: 100,
    checksumOk: true,
    newState: 0x3030,
    newStateName: 'Exception',
    text: 'Hello from the target',
    flags: PacketFlag.RETRANSMIT,
  },
];

function parse(src: string) {
  const r = parseFilter(src);
  if (!r.ok) throw new Error(r.error.message);
  return r.ast;
}

const table = new PacketTable({ chunkRows: 4 });
table.append(encodeBatch(records));

/** The `no`s of the records the filter shows, checked to agree between objects and columns. */
function nos(src: string): number[] {
  const r = createFilter(src);
  if (!r.ok) throw new Error(`${src}: ${r.error.message}`);
  const fromRecords = records.filter((rec) => r.filter.matchRecord(rec)).map((rec) => rec.no);
  const fromTable = Array.from(filterTable(table, r.filter), (i) => table.row(i).no);
  expect(fromTable, src).toEqual(fromRecords);
  return fromRecords;
}

describe('compiled filters', () => {
  it('run the examples of the brief', () => {
    expect(nos('type == STATE_MANIPULATE && api == ReadVirtualMemory')).toEqual([1, 3]);
    expect(nos('!checksumOk')).toEqual([4]);
    expect(nos('dir == target->debugger')).toEqual([2, 3, 4, 6, 7]);
    expect(nos('dir == d2t')).toEqual([1, 5]);
    expect(nos('rtt > 5')).toEqual([3]);
    expect(nos('text contains "hello"')).toEqual([7]);
    expect(nos('api == 0x3130 || newState == Exception')).toEqual([1, 3, 7]);
  });

  it('treat a test on a missing field as unknown: hidden, also when negated', () => {
    expect(nos('api != GetVersion')).toEqual([1, 3]);
    expect(nos('!(api == GetVersion)')).toEqual([1, 3]);
    expect(nos('api == GetVersion || breakin')).toEqual([4, 5]);
    expect(nos('!(api == GetVersion) || breakin')).toEqual([1, 3, 5]);
    expect(nos('!(api == GetVersion && breakin)')).toEqual([1, 2, 3, 4, 6, 7]);
    expect(nos('checksumOk')).toEqual([1, 2, 3, 7]);
    expect(nos('checksumOk == false')).toEqual([4]);
    expect(nos('checksumOk != false')).toEqual([1, 2, 3, 7]);
  });

  it('test presence with a bare field, and flags by name', () => {
    expect(nos('text')).toEqual([7]);
    expect(nos('!text')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(nos('rtt')).toEqual([3]);
    expect(nos('pair')).toEqual([1, 3]);
    expect(nos('leader')).toEqual([1, 2, 3, 4, 7]);
    expect(nos('retransmit')).toEqual([7]);
    expect(nos('!retransmit && kind == packet')).toEqual([1, 2, 3, 4]);
    expect(nos('breakin')).toEqual([5]);
    expect(nos('garbage || checksumError')).toEqual([4, 6]);
    expect(nos('errorStatus == true')).toEqual([3]);
    expect(nos('errorStatus != true && leader == data')).toEqual([1, 4, 7]);
  });

  it('compare numbers, partners and enums', () => {
    expect(nos('status == 0xC0000005')).toEqual([3]);
    expect(nos('returnStatus < 1')).toEqual([1]);
    expect(nos('id > 0x80800000')).toEqual([4]);
    expect(nos('byteCount >= 100 && byteCount <= 312')).toEqual([3, 7]);
    expect(nos('pair == 3')).toEqual([1]);
    expect(nos('ack == 1')).toEqual([2]);
    expect(nos('no > 5')).toEqual([6, 7]);
    expect(nos('length < 4')).toEqual([5, 6]);
    expect(nos('timeEpoch == 1700000000')).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(nos('type == ACKNOWLEDGE || type == STATE_CHANGE64')).toEqual([2, 7]);
    expect(nos('type >= 4')).toEqual([2, 7]);
    expect(nos('kind == garbage')).toEqual([6]);
    expect(nos('leader == control')).toEqual([2]);
    expect(nos('flags == 0')).toEqual([1, 2]);
  });

  it('take an NTSTATUS by name, as the Status column shows it or in full', () => {
    expect(nos('status == SUCCESS')).toEqual([1]);
    expect(nos('status == STATUS_SUCCESS')).toEqual([1]);
    expect(nos('status != SUCCESS')).toEqual([3]);
    expect(nos('status == STATUS_ACCESS_VIOLATION')).toEqual([3]);
    expect(nos('status in {SUCCESS STATUS_ACCESS_VIOLATION}')).toEqual([1, 3]);
    expect(createFilter('status == NO_SUCH_STATUS')).toMatchObject({
      ok: false,
      error: { message: 'unknown returnStatus value "NO_SUCH_STATUS"' },
    });
    // Still a number: text operators are refused.
    expect(createFilter('status contains "ACCESS"')).toMatchObject({ ok: false });
  });

  it('test membership with in', () => {
    expect(nos('api in {GetVersion, ReadVirtualMemory}')).toEqual([1, 3, 4]);
    expect(nos('type in {ACKNOWLEDGE 7}')).toEqual([2, 7]);
    expect(nos('!(api in {GetVersion})')).toEqual([1, 3]);
    expect(nos('apiName in {GetVersion "ReadVirtualMemory"}')).toEqual([1, 3, 4]);
    expect(nos('no in {1, 5, 99}')).toEqual([1, 5]);
    expect(nos('dir in {t2d} && kind in {garbage, breakin}')).toEqual([6]);
    expect(nos('rtt in {7.5}')).toEqual([3]);
  });

  it('match text: == exact, contains and matches case-insensitive, enums by name', () => {
    expect(nos('apiName == ReadVirtualMemory')).toEqual([1, 3]);
    expect(nos('apiName == readvirtualmemory')).toEqual([]);
    expect(nos('apiName != GetVersion')).toEqual([1, 3]);
    expect(nos('info contains "FFFFF800"')).toEqual([1]);
    expect(nos('info matches "len 0x[0-9]+$"')).toEqual([1]);
    expect(nos('text matches "^hello"')).toEqual([7]);
    expect(nos('api contains "version"')).toEqual([4]);
    expect(nos('type matches "^state_"')).toEqual([1, 3, 4, 7]);
    expect(nos('dir contains "debugger->"')).toEqual([1, 5]);
    expect(nos('kind matches "in$"')).toEqual([5]);
    expect(nos('garbageReason == noise')).toEqual([6]);
    expect(nos('newStateName == Exception')).toEqual([7]);
  });

  it('filter only the rows from a given index, and single rows', () => {
    const r = createFilter('dir == t2d');
    if (!r.ok) throw new Error(r.error.message);
    expect(Array.from(filterTable(table, r.filter, 3))).toEqual([3, 5, 6]);
    expect(Array.from(filterTable(table, r.filter, 99))).toEqual([]);
    expect(r.filter.matchRow(table, 1)).toBe(true);
    expect(r.filter.matchRow(table, 0)).toBe(false);
    expect(r.filter.matchRow(table, 7)).toBe(false);
    expect(r.filter.matchRow(table, -1)).toBe(false);
  });

  it('see rows appended to a chunk after a single-row match', () => {
    const growing = new PacketTable({ chunkRows: 1024 });
    const r = createFilter('text contains "late"');
    if (!r.ok) throw new Error(r.error.message);
    growing.appendRecords(records.slice(0, 2));
    expect(r.filter.matchRow(growing, 1)).toBe(false);
    growing.appendRecords([
      { ...base, no: 3, dir: 'target->debugger', kind: 'packet', text: 'a late one' },
    ]);
    expect(r.filter.matchRow(growing, 2)).toBe(true);
    // The chunk's columns were reallocated when it grew past its first size.
    growing.appendRecords(
      Array.from({ length: 2000 }, (_, k) => ({
        ...base,
        no: k + 4,
        dir: 'debugger->target' as const,
        kind: 'packet' as const,
        text: k === 1500 ? 'late' : 'x',
      })),
    );
    expect(r.filter.matchRow(growing, 1503)).toBe(true);
    expect(Array.from(filterTable(growing, compileFilter(parse('text == late'))))).toEqual([1503]);
  });

  it('take the names the packet list shows and the Wireshark dissector uses', () => {
    expect(nos('len < 4')).toEqual(nos('length < 4'));
    expect(nos('dir == D->T')).toEqual([1, 5]);
    expect(nos('dir == T->D && kind == packet')).toEqual([2, 3, 4, 7]);
    expect(nos('kd.api_name == "ReadVirtualMemory"')).toEqual([1, 3]);
    expect(nos('kd.type == ACKNOWLEDGE')).toEqual([2]);
    expect(nos('kd.status == 0xc0000005')).toEqual([3]);
    expect(nos('kd.bad_checksum')).toEqual([4]);
    expect(nos('kd.checksum_ok == false')).toEqual([4]);
    expect(nos('kd.text contains "hello"')).toEqual([7]);
    expect(nos('kd.dir == target->debugger && kd.breakin')).toEqual([]);
    const address = createFilter('kd.address == 0x1000');
    expect(address.ok).toBe(false);
    if (!address.ok) expect(address.error.message).toMatch(/Wireshark dissector .* not carry/);
  });

  it('count time in seconds from the origin the view gives, as the Time column does', () => {
    const times: PacketRecord[] = records.map((r, i) => ({
      ...r,
      time: 1_700_000_000_000 + i * 500,
    }));
    const t = new PacketTable();
    t.append(encodeBatch(times));
    let origin = 1_700_000_000_000;
    const made = createFilter('time >= 1.5 && frame.time_relative < 2.5', {
      timeOrigin: () => origin,
    });
    if (!made.ok) throw new Error(made.error.message);
    const rows = (): number[] => Array.from(filterTable(t, made.filter), (i) => t.row(i).no);
    expect(rows()).toEqual([4, 5]);
    expect(times.filter((r) => made.filter.matchRecord(r)).map((r) => r.no)).toEqual([4, 5]);
    // A time reference moves the origin; the same compiled filter follows it.
    origin += 1000;
    expect(rows()).toEqual([6, 7]);
  });

  it('report bad input from createFilter instead of throwing', () => {
    expect(createFilter('rtt >')).toEqual({
      ok: false,
      error: { message: 'expected a value after >, not the end of the filter', start: 5, end: 5 },
    });
  });
});

describe('negative numbers', () => {
  it('are values after a comparison (times before the time reference), not elsewhere', () => {
    expect(nos('time >= -1 && no < 3')).toEqual([1, 2]);
    expect(nos('returnStatus > -5')).toEqual([1, 3]);
    expect(createFilter('-1 == no').ok).toBe(false);
  });
});
