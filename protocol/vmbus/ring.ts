// A VMBus ring buffer as the guest and host share it (Linux hyperv.h, windbg-uefi): a data area
// written at write_index and read at read_index, both wrapping, every packet followed by an
// 8-byte trailer. The simulated VMBus target and the occupancy charts use this model.

export const VM_PKT_DATA_INBAND = 6;
export const VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED = 1;
export const DESCRIPTOR_SIZE = 16;
export const VMBUS_PIPE_HEADER_SIZE = 8;
const TRAILER_SIZE = 8;

export interface RingPacket {
  readonly type: number;
  readonly flags: number;
  readonly transId: bigint;
  /** What follows the descriptor and the 8-byte pipe header (windbg-uefi header + payload). */
  readonly message: Uint8Array;
}

export type RingReadResult =
  | { readonly ok: true; readonly packet: RingPacket }
  | { readonly ok: false; readonly error: string };

const align8 = (n: number): number => (n + 7) & ~7;

export class VmbusRing {
  readonly data: Uint8Array;
  writeIndex = 0;
  readIndex = 0;
  /** Packets refused for lack of room (the writer must wait for the reader). */
  refused = 0;

  constructor(readonly size: number) {
    if (size <= 0 || size % 8 !== 0)
      throw new RangeError('ring size must be a positive multiple of 8');
    this.data = new Uint8Array(size);
  }

  /** Bytes written and not yet read: (write_index - read_index) mod size. */
  get occupancy(): number {
    return (this.writeIndex - this.readIndex + this.size) % this.size;
  }

  /** Bytes a packet with this message needs in the ring, trailer included. */
  static footprint(messageLength: number): number {
    return align8(DESCRIPTOR_SIZE + VMBUS_PIPE_HEADER_SIZE + messageLength) + TRAILER_SIZE;
  }

  /**
   * Appends a packet; false when it does not fit. The ring is never filled completely, so that
   * read_index == write_index always means empty (as the Linux ring does).
   */
  write(message: Uint8Array, transId = 0n, flags = 0): boolean {
    const total = align8(DESCRIPTOR_SIZE + VMBUS_PIPE_HEADER_SIZE + message.length);
    if (total + TRAILER_SIZE >= this.size - this.occupancy) {
      this.refused++;
      return false;
    }
    const packet = new Uint8Array(total);
    const view = new DataView(packet.buffer);
    view.setUint16(0, VM_PKT_DATA_INBAND, true);
    view.setUint16(2, DESCRIPTOR_SIZE / 8, true);
    view.setUint16(4, total / 8, true);
    view.setUint16(6, flags, true);
    view.setBigUint64(8, transId, true);
    view.setUint32(16, 1, true);
    view.setUint32(20, message.length, true);
    packet.set(message, DESCRIPTOR_SIZE + VMBUS_PIPE_HEADER_SIZE);
    const previous = this.writeIndex;
    this.copyIn(packet);
    const trailer = new Uint8Array(TRAILER_SIZE);
    new DataView(trailer.buffer).setBigUint64(0, BigInt(previous) << 32n, true);
    this.copyIn(trailer);
    return true;
  }

  /** Takes the oldest packet; undefined when the ring is empty. Never throws on bad contents. */
  read(): RingReadResult | undefined {
    if (this.occupancy === 0) return undefined;
    const descriptor = this.copyOut(this.readIndex, DESCRIPTOR_SIZE);
    const view = new DataView(descriptor.buffer);
    const len8 = view.getUint16(4, true);
    const offset8 = view.getUint16(2, true);
    const total = len8 * 8;
    if (total < DESCRIPTOR_SIZE || total + TRAILER_SIZE > this.occupancy || offset8 * 8 > total) {
      // A corrupt descriptor: drop everything so the reader cannot loop on it.
      const error = `corrupt descriptor at read_index 0x${this.readIndex.toString(16)} (len8 ${len8}, offset8 ${offset8})`;
      this.readIndex = this.writeIndex;
      return { ok: false, error };
    }
    const packet = this.copyOut(this.readIndex, total);
    this.readIndex = (this.readIndex + total + TRAILER_SIZE) % this.size;
    const body = offset8 * 8;
    const pipe = new DataView(packet.buffer, body, Math.min(VMBUS_PIPE_HEADER_SIZE, total - body));
    const size = pipe.byteLength >= 8 ? pipe.getUint32(4, true) : 0;
    const start = body + VMBUS_PIPE_HEADER_SIZE;
    if (start + size > total) {
      return { ok: false, error: `pipe msgsize ${size} overruns a ${total}-byte packet` };
    }
    return {
      ok: true,
      packet: {
        type: view.getUint16(0, true),
        flags: view.getUint16(6, true),
        transId: view.getBigUint64(8, true),
        message: packet.slice(start, start + size),
      },
    };
  }

  private copyIn(bytes: Uint8Array): void {
    const first = Math.min(bytes.length, this.size - this.writeIndex);
    this.data.set(bytes.subarray(0, first), this.writeIndex);
    this.data.set(bytes.subarray(first), 0);
    this.writeIndex = (this.writeIndex + bytes.length) % this.size;
  }

  private copyOut(from: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const first = Math.min(length, this.size - from);
    out.set(this.data.subarray(from, from + first));
    out.set(this.data.subarray(0, length - first), first);
    return out;
  }
}
