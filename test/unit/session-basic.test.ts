import { describe, expect, it } from 'vitest';
import { PacketFlag, type PacketRecord } from '../../protocol/session/record';
import { SessionDecoder } from '../../protocol/session/pipeline';
import { SESSION_BASIC, SESSION_BASIC_T0 } from '../fixtures/session-basic';

const D2T = 'debugger->target';
const T2D = 'target->debugger';

function decode(pieceSize?: number): { records: PacketRecord[]; decoder: SessionDecoder } {
  const records: PacketRecord[] = [];
  const decoder = new SessionDecoder({ onRecord: (r) => records.push(r) });
  SESSION_BASIC.forEach((step, index) => {
    const size = pieceSize ?? step.bytes.length;
    for (let at = 0; at < step.bytes.length; at += size)
      decoder.push(step.dir, step.bytes.subarray(at, at + size), step.timeMs, index + 1);
  });
  decoder.end();
  return { records, decoder };
}

const flagNames = (flags: number): string[] =>
  Object.entries(PacketFlag)
    .filter(([, bit]) => (flags & bit) !== 0)
    .map(([name]) => name);

// no, dir, kind, offset, frame, type / reason, id, byteCount, flags, ack, pair, resendOf
type Row = [
  number,
  string,
  string,
  number,
  number,
  string,
  number | undefined,
  number | undefined,
  string[],
  number | undefined,
  number | undefined,
  number | undefined,
];

const EXPECTED: Row[] = [
  [
    1,
    D2T,
    'garbage',
    0,
    1,
    'noise',
    undefined,
    undefined,
    ['GARBAGE'],
    undefined,
    undefined,
    undefined,
  ],
  [2, D2T, 'packet', 2, 2, 'RESET', 0, 0, ['RESET'], undefined, undefined, undefined],
  [3, T2D, 'packet', 0, 3, 'RESET', 0, 0, ['RESET'], undefined, undefined, undefined],
  [4, T2D, 'packet', 16, 4, 'STATE_CHANGE64', 0x80800800, 274, [], 5, undefined, undefined],
  [5, D2T, 'packet', 18, 5, 'ACKNOWLEDGE', 0x80800800, 0, [], 4, undefined, undefined],
  [6, D2T, 'packet', 34, 6, 'STATE_MANIPULATE', 0x80800800, 56, [], 7, 8, undefined],
  [7, T2D, 'packet', 307, 7, 'ACKNOWLEDGE', 0x80800800, 0, [], 6, undefined, undefined],
  [8, T2D, 'packet', 323, 8, 'STATE_MANIPULATE', 0x80800001, 56, [], 9, 6, undefined],
  [9, D2T, 'packet', 107, 9, 'ACKNOWLEDGE', 0x80800001, 0, [], 8, undefined, undefined],
  [10, D2T, 'packet', 123, 10, 'STATE_MANIPULATE', 0x80800001, 56, [], 11, 12, undefined],
  [11, T2D, 'packet', 396, 11, 'ACKNOWLEDGE', 0x80800001, 0, [], 10, undefined, undefined],
  [12, T2D, 'packet', 412, 12, 'STATE_MANIPULATE', 0x80800000, 72, [], 13, 10, undefined],
  [13, D2T, 'packet', 196, 13, 'ACKNOWLEDGE', 0x80800000, 0, [], 12, undefined, undefined],
  [14, D2T, 'packet', 212, 14, 'STATE_MANIPULATE', 0x80800000, 56, [], 15, undefined, undefined],
  [15, T2D, 'packet', 501, 15, 'ACKNOWLEDGE', 0x80800000, 0, [], 14, undefined, undefined],
  [16, T2D, 'packet', 517, 16, 'STATE_CHANGE64', 0x80800001, 240, [], 17, undefined, undefined],
  [17, D2T, 'packet', 285, 17, 'ACKNOWLEDGE', 0x80800001, 0, [], 16, undefined, undefined],
  [
    18,
    D2T,
    'packet',
    301,
    18,
    'STATE_MANIPULATE',
    0x80800001,
    56,
    ['CHECKSUM_ERROR'],
    undefined,
    undefined,
    undefined,
  ],
  [19, T2D, 'packet', 774, 19, 'RESEND', 0, 0, ['RESEND'], undefined, undefined, 18],
  [20, D2T, 'packet', 374, 20, 'STATE_MANIPULATE', 0x80800001, 56, ['RETRANSMIT'], 21, 22, 18],
  [21, T2D, 'packet', 790, 21, 'ACKNOWLEDGE', 0x80800001, 0, [], 20, undefined, undefined],
  [
    22,
    T2D,
    'packet',
    806,
    22,
    'STATE_MANIPULATE',
    0x80800000,
    56,
    ['ERROR_STATUS'],
    23,
    20,
    undefined,
  ],
  [23, D2T, 'packet', 447, 23, 'ACKNOWLEDGE', 0x80800000, 0, [], 22, undefined, undefined],
  [24, D2T, 'packet', 463, 24, 'STATE_MANIPULATE', 0x80800000, 56, [], 25, undefined, undefined],
  [25, T2D, 'packet', 879, 25, 'ACKNOWLEDGE', 0x80800000, 0, [], 24, undefined, undefined],
  [26, T2D, 'packet', 895, 26, 'DEBUG_IO', 0x80800001, 35, [], 27, undefined, undefined],
  [27, D2T, 'packet', 536, 27, 'ACKNOWLEDGE', 0x80800001, 0, [], 26, undefined, undefined],
  [
    28,
    D2T,
    'breakin',
    552,
    28,
    '',
    undefined,
    undefined,
    ['BREAKIN'],
    undefined,
    undefined,
    undefined,
  ],
  [
    29,
    T2D,
    'garbage',
    947,
    29,
    'noise',
    undefined,
    undefined,
    ['GARBAGE'],
    undefined,
    undefined,
    undefined,
  ],
  [30, T2D, 'packet', 950, 30, 'STATE_CHANGE64', 0x80800000, 240, [], 31, undefined, undefined],
  [31, D2T, 'packet', 553, 31, 'ACKNOWLEDGE', 0x80800000, 0, [], 30, undefined, undefined],
];

function row(r: PacketRecord): Row {
  return [
    r.no,
    r.dir,
    r.kind,
    r.offset,
    r.frame!,
    r.typeName ?? r.garbageReason ?? '',
    r.id,
    r.byteCount,
    flagNames(r.flags),
    r.ack,
    r.pair,
    r.resendOf,
  ];
}

describe('session-basic fixture through SessionDecoder', () => {
  it('decodes every record with the ids, links and flags worked out by hand', () => {
    const { records } = decode();
    expect(records.map(row)).toEqual(EXPECTED);
  });

  it('gives the same records whatever the chunking (frames shift to where events start)', () => {
    const whole = decode().records.map(row);
    for (const size of [1, 3, 7, 64]) {
      const rows = decode(size).records.map(row);
      expect(rows).toEqual(whole);
    }
  });

  it('fills in payload fields, status and round-trip times', () => {
    const { records } = decode();
    const at = (no: number): PacketRecord => records[no - 1]!;
    expect(at(4)).toMatchObject({
      newState: 0x3031,
      newStateName: 'LoadSymbols',
      text: '\\SystemRoot\\system32\\ntoskrnl.exe',
      length: 291,
      checksumOk: true,
    });
    // A request's ReturnStatus is not the target's answer: only the reply has one.
    expect(at(6)).toMatchObject({ api: 0x3146, apiName: 'GetVersion', dir: 'debugger->target' });
    expect(at(6).returnStatus).toBeUndefined();
    expect(at(8)).toMatchObject({ api: 0x3146, apiName: 'GetVersion', returnStatus: 0, rttMs: 3 });
    expect(at(12)).toMatchObject({ apiName: 'ReadVirtualMemory', rttMs: 4, length: 89 });
    expect(at(14)).toMatchObject({ apiName: 'Continue2', pair: undefined });
    expect(at(16)).toMatchObject({ newStateName: 'Exception', time: SESSION_BASIC_T0 + 40 });
    expect(at(18).checksumOk).toBe(false);
    expect(at(22)).toMatchObject({ returnStatus: 0xc0000005, rttMs: 5 });
    expect(at(26)).toMatchObject({
      api: 0x3230,
      apiName: 'PrintString',
      text: 'Hello from kdscope\n',
    });
    // The break-in is stamped when it was sent, not when the next D->T byte came.
    expect(at(28)).toMatchObject({ length: 1, time: SESSION_BASIC_T0 + 1000 });
    expect(at(29)).toMatchObject({ length: 3, garbageReason: 'noise' });
    // No request is left waiting: Continue2 expects no reply, the others got theirs.
    expect(records.filter((r) => r.flags & PacketFlag.NO_RESPONSE)).toEqual([]);
  });

  it('sums the session up', () => {
    const s = decode().decoder.summary();
    expect(s).toMatchObject({
      records: 31,
      packets: 28,
      dataPackets: 13,
      controlPackets: 15,
      garbageBytes: 5,
      garbageRuns: 2,
      breakins: 1,
      checksumErrors: 1,
      retransmits: 1,
      resends: 1,
      resets: 2,
      unexpectedIds: 0,
      strayAcks: 0,
      pairs: 3,
      unanswered: 0,
      errorStatus: 1,
      rttMs: { min: 3, avg: 4, max: 5 },
    });
    expect(s.byType).toEqual({
      STATE_MANIPULATE: 9,
      DEBUG_IO: 1,
      ACKNOWLEDGE: 12,
      RESEND: 1,
      RESET: 2,
      STATE_CHANGE64: 3,
    });
    expect(s.byApi).toEqual({
      GetVersion: 2,
      ReadVirtualMemory: 5,
      Continue2: 2,
      PrintString: 1,
    });
    expect(s.bytes).toEqual({ [D2T]: 569, [T2D]: 1207 });
  });
});
