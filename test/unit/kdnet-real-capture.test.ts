// The real KDNET capture made by the kdnet.lua project (key 8.8.8.8; host 192.168.2.1, target
// 192.168.2.72, UDP 51111): every datagram decrypts and authenticates, every KD checksum is
// right, frame 3 carries 12 bytes with no leader.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KdStreamDecoder } from '../../protocol/kd/decoder';
import type { Direction, KdEvent } from '../../protocol/kd/events';
import { FrameIndex } from '../../electron/capture/frame-index';
import { readCapture } from '../support/pcap-fixtures';

const CAPTURE = join(__dirname, '../fixtures/windbg-uncut.pcapng.gz');

function requireCapture(): string {
  if (!existsSync(CAPTURE)) {
    throw new Error(`the real KDNET capture is missing: expected it at ${CAPTURE}`);
  }
  return CAPTURE;
}

interface Located {
  readonly dir: Direction;
  readonly frame: number | undefined;
  readonly event: KdEvent;
}

function decodeAll(path: string, key: string) {
  const result = readCapture(path, { key });
  const events: Located[] = [];
  const decoders = {
    'debugger->target': new KdStreamDecoder(),
    'target->debugger': new KdStreamDecoder(),
  };
  const indexes = { 'debugger->target': new FrameIndex(), 'target->debugger': new FrameIndex() };
  const offsets = { 'debugger->target': 0, 'target->debugger': 0 };
  const sinkFor = (dir: Direction) => (event: KdEvent) =>
    events.push({ dir, frame: indexes[dir].frameAt(event.offset), event });
  for (const chunk of result.chunks) {
    indexes[chunk.dir].append(offsets[chunk.dir], chunk.frame!);
    offsets[chunk.dir] += chunk.bytes.length;
    decoders[chunk.dir].push(chunk.bytes, sinkFor(chunk.dir));
  }
  for (const dir of ['debugger->target', 'target->debugger'] as const) {
    decoders[dir].end(sinkFor(dir));
  }
  return { ...result, events };
}

describe('the real KDNET capture (windbg-uncut.pcapng.gz, key 8.8.8.8)', () => {
  const decoded = decodeAll(requireCapture(), '8.8.8.8');

  it('reads all 955 frames without error', () => {
    expect(decoded.error).toBeUndefined();
    expect(decoded.stats.format).toBe('pcapng');
    expect(decoded.stats.compressed).toBe(true);
    expect(decoded.stats.frames).toBe(955);
  });

  it('decrypts and authenticates every datagram; one key exchange', () => {
    expect(decoded.stats.kdnet).toEqual({
      datagrams: 955,
      kdPackets: 526,
      unframed: 1,
      control: 428,
      dataKeyChanges: 1,
      malformed: 0,
      unauthenticated: 0,
      authenticated: 955,
      held: 0,
    });
    expect(decoded.stats.skippedBy).toEqual({ 'kdnet-control': 428 });
    expect(decoded.stats.chunks).toBe(527);
  });

  it('every KD packet has a right checksum', () => {
    const packets = decoded.events.filter((e) => e.event.kind === 'packet');
    expect(packets).toHaveLength(526);
    for (const { event } of packets) {
      expect(event.kind === 'packet' && event.checksumOk).toBe(true);
    }
  });

  it('frame 3 (target, 12 bytes: 8 zero bytes and an IPv4 address) is the only garbage', () => {
    const garbage = decoded.events.filter((e) => e.event.kind !== 'packet');
    expect(garbage).toHaveLength(1);
    expect(garbage[0]).toMatchObject({
      dir: 'target->debugger',
      frame: 3,
      event: { kind: 'garbage', offset: 0, length: 12 },
    });
    const frame3 = decoded.chunks.find((c) => c.frame === 3)!;
    expect(Buffer.from(frame3.bytes).toString('hex')).toBe('00000000000000000102a8c0');
  });

  it('opens as PROTOCOL.md says: DbgPrint, RESEND, the DbgPrint again, ACK, LoadSymbols', () => {
    const head = decoded.events
      .filter((e) => e.event.kind === 'packet')
      .slice(0, 5)
      .map((e) => (e.event.kind === 'packet' ? [e.frame, e.dir, e.event.type, e.event.id] : []));
    expect(head).toEqual([
      [4, 'target->debugger', 3, 0],
      [5, 'debugger->target', 5, 0],
      [6, 'target->debugger', 3, 0],
      [7, 'debugger->target', 4, 0],
      [8, 'target->debugger', 7, 2],
    ]);
  });

  it('data ids go up by 2 per new packet in each direction (KDNET numbering)', () => {
    for (const dir of ['debugger->target', 'target->debugger'] as const) {
      const ids = decoded.events
        .filter((e) => e.dir === dir && e.event.kind === 'packet' && e.event.leader === 'data')
        .map((e) => (e.event.kind === 'packet' ? e.event.id & 0x7fffffff : -1));
      for (let i = 1; i < ids.length; i++) {
        expect([0, 2]).toContain(ids[i]! - ids[i - 1]!);
      }
    }
  });

  it('without the key: every datagram is counted as KDNET without a key, none delivered', () => {
    const result = readCapture(CAPTURE);
    expect(result.error).toBeUndefined();
    expect(result.chunks).toHaveLength(0);
    expect(result.stats.skippedBy).toEqual({ 'kdnet-no-key': 955 });
  });

  it('with a wrong key: every datagram is rejected as unauthenticated', () => {
    const result = readCapture(CAPTURE, { key: '8.8.8.9' });
    expect(result.chunks).toHaveLength(0);
    expect(result.stats.kdnet?.unauthenticated).toBe(955);
    expect(result.stats.firstKdnetRejection).toEqual({
      frame: 1,
      detail: 'HMAC mismatch on the control channel',
    });
  });
});
