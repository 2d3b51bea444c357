import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BatchFormatError,
  batchTransferList,
  batchFromBytes,
  batchToBytes,
  BYTES_PER_ROW,
  decodeRecord,
  encodeBatch,
} from '../../protocol/records/columns';
import type { RecordBatch } from '../../protocol/records/columns';
import type { PacketRecord } from '../../protocol/session/record';
import { recordsArb } from '../property/filter-arbitraries';

function decodeAll(batch: RecordBatch): PacketRecord[] {
  return Array.from({ length: batch.count }, (_, i) => decodeRecord(batch, i));
}

const sample: PacketRecord[] = [
  {
    no: 1,
    time: 1_700_000_000_000.25,
    dir: 'debugger->target',
    kind: 'packet',
    offset: 0,
    frame: 3,
    length: 72,
    leader: 'data',
    type: 2,
    typeName: 'STATE_MANIPULATE',
    id: 0x80800000,
    byteCount: 56,
    checksumOk: true,
    api: 0x3130,
    apiName: 'ReadVirtualMemory',
    returnStatus: 0,
    info: 'ReadVirtualMemory 0xfffff800`12340000 len 0x100',
    flags: 0,
    pair: 3,
    ack: 2,
  },
  {
    no: 2,
    time: 5,
    dir: 'target->debugger',
    kind: 'garbage',
    offset: 9,
    length: 4,
    garbageReason: 'noise',
    flags: 16,
  },
  {
    no: 3,
    time: 6,
    dir: 'target->debugger',
    kind: 'packet',
    offset: 13,
    length: 16,
    leader: 'control',
    checksumOk: false,
    flags: 4,
    pair: 1,
    rttMs: 0.5,
    text: 'héllo ✓',
  },
];

describe('columnar record batches', () => {
  it('round-trips a hand-written batch, absent fields staying absent', () => {
    const batch = encodeBatch(sample);
    expect(batch.count).toBe(3);
    expect(decodeAll(batch)).toEqual(sample);
    expect(decodeAll(batchFromBytes(batchToBytes(batch)))).toEqual(sample);
    expect(Object.keys(decodeRecord(batch, 1)).sort()).toEqual(
      Object.keys(sample[1] as object).sort(),
    );
  });

  it('round-trips random records through the batch, its bytes and structured clone', () => {
    fc.assert(
      fc.property(recordsArb(40), (records) => {
        const batch = encodeBatch(records);
        expect(decodeAll(batch)).toEqual(records);
        expect(decodeAll(structuredClone(batch))).toEqual(records);
        const bytes = batchToBytes(batch);
        expect(decodeAll(batchFromBytes(bytes))).toEqual(records);
        // A view at an odd offset (a message sliced out of a bigger buffer) still decodes.
        const shifted = new Uint8Array(bytes.length + 1);
        shifted.set(bytes, 1);
        expect(decodeAll(batchFromBytes(shifted.subarray(1)))).toEqual(records);
        // Node's Buffer (what ws hands over) at an odd offset too.
        expect(decodeAll(batchFromBytes(Buffer.from(shifted.buffer, 1, bytes.length)))).toEqual(
          records,
        );
      }),
      { numRuns: 200 },
    );
  });

  it('shares one buffer among the columns, to transfer it whole', () => {
    const batch = encodeBatch(sample);
    expect(batchTransferList(batch)).toEqual([batch.columns.no.buffer]);
    const moved = structuredClone(batch, { transfer: batchTransferList(batch) });
    expect(batch.columns.no.length).toBe(0); // detached: the data moved
    expect(decodeAll(moved)).toEqual(sample);
  });

  it('keeps the strings once per batch', () => {
    const records = Array.from({ length: 100 }, (_, k) => ({
      ...(sample[0] as PacketRecord),
      no: k + 1,
    }));
    const batch = encodeBatch(records);
    expect(batch.strings.length).toBe(4); // '', STATE_MANIPULATE, ReadVirtualMemory, info
  });

  it('costs about 100 bytes of typed arrays per row', () => {
    // 105: 26 columns, the last one added being resendOf (4 bytes) for the RESEND links.
    expect(BYTES_PER_ROW).toBe(105);
  });

  it('rejects corrupt bytes with a BatchFormatError and nothing else', () => {
    const good = batchToBytes(encodeBatch(sample));
    expect(() => batchFromBytes(good.subarray(0, 10))).toThrow(/shorter than the 16-byte header/);
    expect(() => batchFromBytes(good.subarray(0, good.length - 1))).toThrow(BatchFormatError);
    const badMagic = good.slice();
    badMagic[0] = 0;
    expect(() => batchFromBytes(badMagic)).toThrow(/bad magic/);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.nat(255)), { minLength: 1, maxLength: 8 }),
        fc.nat(good.length),
        (edits, cut) => {
          const bytes = good.slice(0, cut === 0 ? good.length : cut);
          for (const [at, v] of edits) if (at < bytes.length) bytes[at] = v;
          try {
            const batch = batchFromBytes(bytes);
            decodeAll(batch); // whatever survived validation must decode
          } catch (e) {
            expect(e).toBeInstanceOf(BatchFormatError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('says which row is out of range', () => {
    expect(() => decodeRecord(encodeBatch(sample), 3)).toThrow('row 3 is outside the batch (0..2)');
  });
});
