// Where each recent packet's bytes are: no. -> (direction, stream offset, length), in chunked
// typed arrays (13 bytes a row), bounded like the record store.

import type { Direction } from '../../../protocol/kd/events';

const CHUNK = 65536;

interface Chunk {
  readonly offset: Float64Array;
  readonly length: Uint32Array;
  readonly dir: Uint8Array;
}

export interface PacketLocation {
  readonly dir: Direction;
  readonly offset: number;
  readonly length: number;
}

export class PacketIndex {
  private readonly chunks = new Map<number, Chunk>();
  private oldest = 0;

  constructor(private readonly capacityRows = 1_000_000) {}

  set(no: number, dir: Direction, offset: number, length: number): void {
    const k = Math.floor((no - 1) / CHUNK);
    let chunk = this.chunks.get(k);
    if (!chunk) {
      chunk = {
        offset: new Float64Array(CHUNK),
        length: new Uint32Array(CHUNK),
        dir: new Uint8Array(CHUNK),
      };
      this.chunks.set(k, chunk);
      while ((k - this.oldest) * CHUNK > this.capacityRows) this.chunks.delete(this.oldest++);
    }
    const i = (no - 1) % CHUNK;
    chunk.offset[i] = offset;
    chunk.length[i] = length;
    chunk.dir[i] = dir === 'debugger->target' ? 1 : 2;
  }

  get(no: number): PacketLocation | null {
    if (!Number.isSafeInteger(no) || no < 1) return null;
    const chunk = this.chunks.get(Math.floor((no - 1) / CHUNK));
    const i = (no - 1) % CHUNK;
    const dir = chunk?.dir[i];
    if (!chunk || !dir) return null;
    return {
      dir: dir === 1 ? 'debugger->target' : 'target->debugger',
      offset: chunk.offset[i]!,
      length: chunk.length[i]!,
    };
  }

  clear(): void {
    this.chunks.clear();
    this.oldest = 0;
  }
}
