import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PacketType } from '../../protocol/kd/constants';
import { encodeAck, encodeDataPacket } from '../../protocol/kd/encoder';
import type { Direction } from '../../protocol/kd/events';
import { SessionDecoder } from '../../protocol/session/pipeline';
import type { PacketRecord } from '../../protocol/session/record';
import { SettleQueue } from '../../protocol/session/settle';
import { arbStream, arbWireBytes, buildStream } from '../support/kd-gen';

const D2T: Direction = 'debugger->target';
const T2D: Direction = 'target->debugger';

interface Piece {
  readonly dir: Direction;
  readonly bytes: Uint8Array;
  readonly frame: number;
}

/** Cuts both streams into pieces at the given sizes and interleaves them as `order` says. */
function interleave(
  streams: Record<Direction, Uint8Array>,
  sizes: readonly number[],
  order: readonly boolean[],
): Piece[] {
  const at: Record<Direction, number> = { [D2T]: 0, [T2D]: 0 } as Record<Direction, number>;
  const pieces: Piece[] = [];
  let i = 0;
  while (at[D2T] < streams[D2T].length || at[T2D] < streams[T2D].length) {
    let dir: Direction = order[i % Math.max(1, order.length)] ? D2T : T2D;
    if (at[dir] >= streams[dir].length) dir = dir === D2T ? T2D : D2T;
    const size = sizes[i % Math.max(1, sizes.length)] ?? 7;
    const bytes = streams[dir].subarray(at[dir], at[dir] + size);
    at[dir] += bytes.length;
    pieces.push({ dir, bytes, frame: pieces.length + 1 });
    i++;
  }
  return pieces;
}

function run(pieces: readonly Piece[]): PacketRecord[] {
  const records: PacketRecord[] = [];
  const decoder = new SessionDecoder({ onRecord: (r) => records.push(r) });
  for (const p of pieces) decoder.push(p.dir, p.bytes, p.frame * 10, p.frame);
  decoder.end();
  return records;
}

const streamBytes = fc.oneof(
  arbWireBytes(400),
  arbStream(8, 300).map(({ items, truncateBy }) => buildStream(items, truncateBy).bytes),
);

describe('SessionDecoder on any bytes, cut and interleaved anyhow', () => {
  it('never throws, covers every byte once and names the frame where each record starts', () => {
    fc.assert(
      fc.property(
        streamBytes,
        streamBytes,
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 16 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
        (d, t, sizes, order) => {
          const streams = { [D2T]: d, [T2D]: t } as Record<Direction, Uint8Array>;
          const pieces = interleave(streams, sizes, order);
          const records = run(pieces);
          expect(records.map((r) => r.no)).toEqual(records.map((_, i) => i + 1));
          for (const dir of [D2T, T2D]) {
            const mine = records.filter((r) => r.dir === dir);
            // Records of a direction tile its stream: in order, no gap, no overlap.
            let next = 0;
            for (const r of mine) {
              expect(r.offset).toBe(next);
              next += r.length;
            }
            expect(next).toBe(streams[dir].length);
            // The frame is the piece holding the record's first byte.
            let start = 0;
            const frameAt: [number, number][] = [];
            for (const p of pieces.filter((x) => x.dir === dir)) {
              frameAt.push([start, p.frame]);
              start += p.bytes.length;
            }
            for (const r of mine) {
              const holder = frameAt.filter(([s]) => s <= r.offset).at(-1);
              expect(r.frame).toBe(holder?.[1]);
            }
          }
          // Links point at records of the other direction, both ways.
          for (const r of records) {
            if (r.ack !== undefined) {
              expect(records[r.ack - 1]!.ack).toBe(r.no);
              expect(records[r.ack - 1]!.dir).not.toBe(r.dir);
            }
            if (r.pair !== undefined) expect(records[r.pair - 1]!.pair).toBe(r.no);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('names the right frames when a packet spans hundreds of frames after the ring has wrapped', () => {
    // Whole ACKs move the frame cursor's head around its ring; the data packet then comes a
    // byte per frame, so the ring grows while its entries wrap.
    const pieces: Piece[] = [];
    const starts: number[] = [];
    let offset = 0;
    const add = (bytes: Uint8Array): void => {
      pieces.push({ dir: D2T, bytes, frame: 1000 + pieces.length });
      offset += bytes.length;
    };
    for (let i = 0; i < 100; i++) {
      starts.push(offset);
      add(encodeAck(0x80800000 + (i & 1)));
    }
    const packet = encodeDataPacket(PacketType.DEBUG_IO, 0x80800000, new Uint8Array(700).fill(7));
    starts.push(offset);
    for (let i = 0; i < packet.length; i++) add(packet.subarray(i, i + 1));
    starts.push(offset);
    add(encodeAck(0x80800001));
    const records = run(pieces);
    expect(records.map((r) => r.offset)).toEqual(starts);
    const frameOf = new Map<number, number>();
    let at = 0;
    for (const p of pieces) {
      if (!frameOf.has(at)) frameOf.set(at, p.frame);
      at += p.bytes.length;
    }
    expect(records.map((r) => r.frame)).toEqual(starts.map((s) => frameOf.get(s)));
  });

  it('gives the same records whatever the chunking when the directions do not interleave', () => {
    fc.assert(
      fc.property(
        streamBytes,
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 16 }),
        (bytes, sizes) => {
          const whole = run([{ dir: T2D, bytes, frame: 1 }]);
          const cut = interleave(
            { [D2T]: new Uint8Array(0), [T2D]: bytes } as Record<Direction, Uint8Array>,
            sizes,
            [false],
          );
          const pieces = run(cut.map((p) => ({ ...p, frame: 1 })));
          const strip = (r: PacketRecord) => ({ ...r, time: 0 });
          expect(pieces.map(strip)).toEqual(whole.map(strip));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('SettleQueue', () => {
  it('passes every record once, in order, each settled unless the window forced it out', () => {
    fc.assert(
      fc.property(streamBytes, streamBytes, fc.integer({ min: 1, max: 8 }), (d, t, window) => {
        const passed: PacketRecord[] = [];
        const emitted: PacketRecord[] = [];
        const holder: { queue?: SettleQueue } = {};
        const decoder = new SessionDecoder({
          onRecord: (r) => {
            emitted.push(r);
            holder.queue!.add(r);
          },
        });
        holder.queue = new SettleQueue(decoder.tracker, (r) => passed.push(r), window);
        const pieces = interleave(
          { [D2T]: d, [T2D]: t } as Record<Direction, Uint8Array>,
          [13],
          [true, false],
        );
        for (const p of pieces) decoder.push(p.dir, p.bytes, p.frame, p.frame);
        decoder.end();
        holder.queue.end();
        expect(passed).toEqual(emitted);
      }),
      { numRuns: 200 },
    );
  });
});
