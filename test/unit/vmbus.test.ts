import { describe, expect, it } from 'vitest';
import {
  decodePipeMessage,
  encodePipeData,
  encodePipeFeedback,
  pipeChecksum,
  DATA_MAGIC,
  PIPE_HEADER_SIZE,
} from '../../protocol/vmbus/pipe-message';
import { VmbusRing } from '../../protocol/vmbus/ring';

describe('windbg-uefi pipe message', () => {
  it('lays out the 24-byte header as PROTOCOL.md says, checksum by XOR of words', () => {
    const bytes = encodePipeData(0x5687, Uint8Array.of(0x62));
    const view = new DataView(bytes.buffer);
    expect(bytes.length).toBe(PIPE_HEADER_SIZE + 1);
    expect(view.getUint32(0, true)).toBe(DATA_MAGIC);
    expect(view.getUint32(4, true)).toBe(1);
    expect(view.getUint32(8, true)).toBe(1);
    expect(view.getUint32(12, true)).toBe(0x5687);
    expect(view.getUint32(20, true)).toBe(0x87283679);
    // By hand: 0x56867960 ^ 1 ^ 1 ^ 0x5687 ^ 0x87283679 ^ 0x00000062 (payload padded).
    const expected = (0x56867960 ^ 1 ^ 1 ^ 0x5687 ^ 0x87283679 ^ 0x62) >>> 0;
    expect(view.getUint32(16, true)).toBe(expected);
  });

  it('round-trips data and feedback and flags a wrong checksum', () => {
    const data = decodePipeMessage(encodePipeData(7, Uint8Array.of(1, 2, 3, 4, 5)));
    expect(data).toMatchObject({ ok: true, message: { kind: 'data', seq: 7, checksumOk: true } });
    const feedback = decodePipeMessage(encodePipeFeedback(0x5687, true));
    expect(feedback).toMatchObject({ ok: true, message: { kind: 'feedback', flag: 2 } });
    const bad = encodePipeData(9, Uint8Array.of(9, 9));
    bad[PIPE_HEADER_SIZE] = 8;
    expect(decodePipeMessage(bad)).toMatchObject({ ok: true, message: { checksumOk: false } });
  });

  it('reports short, foreign and mis-sized messages as errors', () => {
    expect(decodePipeMessage(new Uint8Array(10))).toMatchObject({ ok: false });
    expect(decodePipeMessage(new Uint8Array(30))).toMatchObject({ ok: false, error: /magic/ });
    const grown = new Uint8Array(PIPE_HEADER_SIZE + 3);
    grown.set(encodePipeData(1, Uint8Array.of(1, 2)));
    expect(decodePipeMessage(grown)).toMatchObject({ ok: false, error: /msgsize/ });
  });

  it('pads the last payload word with zeros', () => {
    const header = new Uint8Array(PIPE_HEADER_SIZE);
    expect(pipeChecksum(header, Uint8Array.of(0xaa, 0xbb, 0xcc))).toBe(0x00ccbbaa);
  });
});

describe('VmbusRing', () => {
  it('wraps a write past the end to offset 0 (PROTOCOL.md example)', () => {
    const ring = new VmbusRing(0x1000);
    ring.writeIndex = ring.readIndex = 0xf00;
    // A 0x2f8-byte packet + 8-byte trailer = 0x300 bytes: 0x100 at the end, 0x200 at the start.
    const message = new Uint8Array(0x2f8 - 24).fill(0x41);
    expect(ring.write(message)).toBe(true);
    expect(ring.writeIndex).toBe(0x200);
    expect(ring.occupancy).toBe(0x300);
    const read = ring.read();
    expect(read).toMatchObject({ ok: true });
    if (read?.ok) expect(read.packet.message).toEqual(message);
    expect(ring.readIndex).toBe(0x200);
    expect(ring.occupancy).toBe(0);
  });

  it('writes the descriptor and the previous write index in the trailer', () => {
    const ring = new VmbusRing(0x100);
    ring.write(Uint8Array.of(1, 2, 3), 5n, 1);
    const view = new DataView(ring.data.buffer);
    expect(view.getUint16(0, true)).toBe(6);
    expect(view.getUint16(2, true)).toBe(2);
    expect(view.getUint16(4, true)).toBe(4); // 16 + 8 + 3 -> 32 bytes
    expect(view.getUint16(6, true)).toBe(1);
    expect(view.getBigUint64(8, true)).toBe(5n);
    expect(view.getUint32(20, true)).toBe(3);
    expect(view.getBigUint64(32, true)).toBe(0n);
    ring.write(Uint8Array.of(4));
    expect(view.getBigUint64(40 + 32, true)).toBe(40n << 32n);
  });

  it('refuses a packet that would fill the ring and never reports a full ring as empty', () => {
    const ring = new VmbusRing(0x40);
    expect(ring.write(new Uint8Array(16))).toBe(true); // 40 + 8 = 48 bytes
    expect(ring.write(new Uint8Array(1))).toBe(false);
    expect(ring.refused).toBe(1);
    expect(ring.occupancy).toBe(48);
  });

  it('drops a corrupt descriptor instead of looping on it', () => {
    const ring = new VmbusRing(0x100);
    ring.write(new Uint8Array(8));
    ring.data[4] = 0xff;
    expect(ring.read()).toMatchObject({ ok: false, error: /corrupt descriptor/ });
    expect(ring.occupancy).toBe(0);
    expect(ring.read()).toBeUndefined();
  });
});
