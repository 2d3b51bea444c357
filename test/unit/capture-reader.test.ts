import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { PacketType } from '../../protocol/kd/constants';
import { encodeAck, encodeDataPacket } from '../../protocol/kd/encoder';
import { kdnetLuaPartLayout, parseKdnetKey } from '../../protocol/kdnet/key';
import { openCapture, openRawPair } from '../../electron/capture/capture-source';
import { CaptureError } from '../../electron/capture/capture-error';
import {
  KDNET_HOST,
  buildPcap,
  buildPcapng,
  kdnetSessionFrames,
  makeTempDir,
  readCapture,
  seedFrame,
  streamsOf,
  udpFrame,
} from '../support/pcap-fixtures';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const T0 = 1_700_000_000_000_000;

function save(name: string, data: Uint8Array): string {
  const path = tmp.file(name);
  writeFileSync(path, data);
  return path;
}

const seedFrames = [
  { timeUs: T0, data: seedFrame('debugger->target', bytes(0x62)) },
  { timeUs: T0 + 1, data: seedFrame('target->debugger', bytes(1, 2, 3)) },
  { timeUs: T0 + 2, data: seedFrame('debugger->target', bytes(4, 5)) },
];
const expectedChunks = [
  { frame: 1, timeUs: T0, dir: 'debugger->target', bytes: bytes(0x62) },
  { frame: 2, timeUs: T0 + 1, dir: 'target->debugger', bytes: bytes(1, 2, 3) },
  { frame: 3, timeUs: T0 + 2, dir: 'debugger->target', bytes: bytes(4, 5) },
];

describe('openCapture: formats', () => {
  it.each([
    ['pcap little-endian', buildPcap(seedFrames), 'pcap'],
    ['pcap big-endian', buildPcap(seedFrames, { bigEndian: true }), 'pcap'],
    ['pcap nanosecond', buildPcap(seedFrames, { nanos: true }), 'pcap-ns'],
    [
      'pcap nanosecond big-endian',
      buildPcap(seedFrames, { nanos: true, bigEndian: true }),
      'pcap-ns',
    ],
    ['pcapng little-endian', buildPcapng(seedFrames), 'pcapng'],
    ['pcapng big-endian', buildPcapng(seedFrames, { bigEndian: true }), 'pcapng'],
    ['pcapng nanosecond tsresol', buildPcapng(seedFrames, { tsresol: 9 }), 'pcapng'],
  ])('%s', (name, data, format) => {
    for (const [suffix, content] of [
      ['', data],
      ['.gz', gzipSync(data)],
    ] as const) {
      const result = readCapture(save(`${name}${suffix}`, content));
      expect(result.error).toBeUndefined();
      expect(result.stats.format).toBe(format);
      expect(result.stats.compressed).toBe(suffix === '.gz');
      expect(result.chunks).toEqual(expectedChunks);
    }
  });

  it('direction comes from the ports; IP-level framing variants are understood', () => {
    const raw = seedFrame('target->debugger', bytes(9, 9)).subarray(14); // IPv4 only
    const sll = new Uint8Array(16 + raw.length);
    sll[14] = 0x08; // protocol IPv4
    sll.set(raw, 16);
    const vlan = new Uint8Array(4 + 14 + raw.length);
    const eth = seedFrame('target->debugger', bytes(9, 9));
    vlan.set(eth.subarray(0, 12));
    vlan.set([0x81, 0x00, 0x00, 0x05], 12);
    vlan.set(eth.subarray(12), 16);
    for (const [linkType, data] of [
      [101, raw],
      [228, raw],
      [113, sll],
      [1, vlan],
    ] as const) {
      const result = readCapture(
        save(
          `link-${linkType}-${data.length}.pcap`,
          buildPcap([{ timeUs: T0, data }], { linkType }),
        ),
      );
      expect(result.chunks.map((c) => [c.dir, [...c.bytes]])).toEqual([
        ['target->debugger', [9, 9]],
      ]);
    }
  });

  it('counts and skips frames that are neither the seed wrap nor KDNET', () => {
    const otherUdp = udpFrame({ ...KDNET_HOST, srcPort: 53, dstPort: 53 }, bytes(1, 2, 3));
    const tcp = seedFrame('debugger->target', bytes(1));
    tcp[23] = 6;
    const arp = seedFrame('debugger->target', bytes(1));
    arp[12] = 0x08;
    arp[13] = 0x06;
    const kdnetNoKey = udpFrame(
      KDNET_HOST,
      new Uint8Array(64).fill(0x4d).map((_, i) => [0x4d, 0x44, 0x42, 0x47][i] ?? 0),
    );
    const result = readCapture(
      save(
        'mixed.pcap',
        buildPcap(
          [otherUdp, tcp, arp, kdnetNoKey, seedFrames[0]!.data, bytes(1, 2)].map((data) => ({
            timeUs: T0,
            data,
          })),
        ),
      ),
    );
    expect(result.error).toBeUndefined();
    expect(result.chunks.map((c) => c.frame)).toEqual([5]);
    expect(result.stats).toMatchObject({
      frames: 6,
      chunks: 1,
      skipped: 5,
      skippedBy: { 'other-udp': 1, 'not-udp': 1, 'not-ip': 1, 'kdnet-no-key': 1, 'short-frame': 1 },
    });
  });

  it('a frame cut by the snaplen delivers what it has and is counted as snapped', () => {
    const full = seedFrame('target->debugger', new Uint8Array(100).fill(7));
    const result = readCapture(
      save('snapped.pcap', buildPcap([{ timeUs: T0, data: full.subarray(0, 60) }])),
    );
    expect(result.chunks.map((c) => c.bytes.length)).toEqual([18]);
    expect(result.stats).toMatchObject({ snapped: 1, skipped: 0 });
  });

  it('user link types take their direction from epb_flags, else are skipped', () => {
    const result = readCapture(
      save(
        'user0.pcapng',
        buildPcapng(
          [
            { timeUs: T0, data: bytes(1), flags: 2 },
            { timeUs: T0, data: bytes(2), flags: 1 },
            { timeUs: T0, data: bytes(3) },
          ],
          { linkType: 147 },
        ),
      ),
    );
    expect(result.chunks.map((c) => [c.dir, c.bytes[0]])).toEqual([
      ['debugger->target', 1],
      ['target->debugger', 2],
    ]);
    expect(result.stats.skippedBy).toEqual({ 'no-direction': 1 });
  });
});

describe('openCapture: errors', () => {
  it('a missing file, an empty file and an unknown format give one clear line', () => {
    expect(() => openCapture(tmp.file('nope.pcap'))).toThrow(
      /^cannot read capture .*nope\.pcap: ENOENT/,
    );
    expect(() => openCapture(save('empty.pcap', new Uint8Array(0)))).toThrow(
      /empty\.pcap is not a pcap or pcapng capture \(starts with nothing\)/,
    );
    expect(() => openCapture(save('text.pcap', new TextEncoder().encode('hello')))).toThrow(
      /text\.pcap is not a pcap or pcapng capture \(starts with 68 65 6c 6c\)/,
    );
    expect(() => openCapture(save('ok.pcap', buildPcap(seedFrames)), { key: '1.2' })).toThrow(
      CaptureError,
    );
  });

  it('a truncated pcap delivers the whole frames first, then names the byte offset', () => {
    const data = buildPcap(seedFrames);
    const result = readCapture(save('cut.pcap', data.subarray(0, data.length - 1)));
    expect(result.chunks).toEqual(expectedChunks.slice(0, 2));
    expect(result.error?.message).toBe(
      `truncated packet record at byte ${24 + 2 * 16 + 43 + 45} (frame 3): 44 bytes announced, 43 present`,
    );
    expect(result.error).toMatchObject({ offset: 24 + 2 * 16 + 43 + 45, frame: 3 });
  });

  it('an absurd record length is corruption, not a 4 GB allocation', () => {
    const data = buildPcap(seedFrames);
    new DataView(data.buffer).setUint32(24 + 8, 0xfffffff0, true);
    const result = readCapture(save('huge.pcap', data));
    expect(result.chunks).toEqual([]);
    expect(result.error?.message).toMatch(/^corrupt packet record at byte 24 \(frame 1\)/);
  });

  it('a pcapng block with a bad trailing length is corrupt at its offset', () => {
    const data = buildPcapng(seedFrames);
    const view = new DataView(data.buffer);
    view.setUint32(data.length - 4, 12, true);
    const result = readCapture(save('bad.pcapng', data));
    expect(result.chunks).toEqual(expectedChunks.slice(0, 2));
    expect(result.error?.message).toMatch(
      /^corrupt block \(trailing length differs\) at byte \d+ \(frame 3\)$/,
    );
  });

  it('a truncated .gz still delivers what decompresses, then says so', () => {
    const many = Array.from({ length: 400 }, (_, i) => ({
      timeUs: T0 + i,
      data: seedFrame(
        i % 2 ? 'target->debugger' : 'debugger->target',
        new Uint8Array(100).fill(i & 0xff),
      ),
    }));
    const gz = gzipSync(buildPcap(many));
    const result = readCapture(save('cut.pcap.gz', gz.subarray(0, Math.floor(gz.length / 2))));
    expect(result.chunks.length).toBeGreaterThan(10);
    expect(result.chunks.length).toBeLessThan(400);
    result.chunks.forEach((c, i) => expect(c.bytes[0]).toBe(i & 0xff));
    expect(result.error).toBeInstanceOf(CaptureError);
    expect(result.error?.message).toMatch(/^truncated (packet record|packet record header|gzip)/);
  });

  it('a corrupt .gz delivers the readable prefix, then names the damage', () => {
    const many = Array.from({ length: 300 }, (_, i) => ({
      timeUs: T0 + i,
      data: seedFrame(
        'debugger->target',
        Uint8Array.from({ length: 200 }, (_, j) => (i * j) & 0xff),
      ),
    }));
    const gz = gzipSync(buildPcap(many));
    const damaged = gz.slice();
    for (let i = Math.floor(gz.length * 0.6); i < Math.floor(gz.length * 0.6) + 40; i++)
      damaged[i] = 0xff;
    const result = readCapture(save('bad.pcap.gz', damaged));
    expect(result.chunks.length).toBeGreaterThan(0);
    expect(result.chunks.length).toBeLessThan(300);
    expect(result.error).toBeInstanceOf(CaptureError);
  });
});

describe('KDNET through openCapture', () => {
  const steps = [
    {
      dir: 'target->debugger' as const,
      packet: encodeDataPacket(PacketType.DEBUG_IO, 0, bytes(65, 10)),
    },
    { dir: 'debugger->target' as const, packet: encodeAck(0) },
    {
      dir: 'debugger->target' as const,
      packet: encodeDataPacket(PacketType.STATE_MANIPULATE, 0x80000000, new Uint8Array(56)),
    },
  ];

  it('a key with parts of 256 and more: decoded with the little-endian layout', () => {
    const key = 'zzzzz.1a2b3c.0.3w5e11264sgsf';
    const path = save(
      'kdnet-bigkey.pcap',
      buildPcap(kdnetSessionFrames(parseKdnetKey(key), steps)),
    );
    const result = readCapture(path, { key });
    expect(result.error).toBeUndefined();
    expect(result.stats.kdnet).toMatchObject({ control: 2, kdPackets: 3, unauthenticated: 0 });
    const streams = streamsOf(result.chunks);
    expect(streams['target->debugger']).toEqual(steps[0]!.packet);
    expect(streams['debugger->target']).toEqual(
      Uint8Array.from([...steps[1]!.packet, ...steps[2]!.packet]),
    );
    expect(result.chunks.map((c) => c.frame)).toEqual([3, 4, 5]);
  });

  it("a session keyed with kdnet.lua's layout does not authenticate under ours", () => {
    const key = 'zzzzz.1a2b3c.0.3w5e11264sgsf';
    const path = save(
      'kdnet-luakey.pcap',
      buildPcap(kdnetSessionFrames(parseKdnetKey(key, kdnetLuaPartLayout), steps)),
    );
    const result = readCapture(path, { key });
    expect(result.chunks).toEqual([]);
    expect(result.stats.kdnet?.unauthenticated).toBe(5);
  });
});

describe('openRawPair', () => {
  it('delivers both streams whole, interleaved proportionally, frame undefined', () => {
    const d = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    const t = Uint8Array.from({ length: 10000 }, (_, i) => (i * 3) & 0xff);
    const source = openRawPair(save('d.bin', d), save('t.bin', t), { pieceSize: 1024 });
    const chunks: { dir: string; frame?: number | undefined; bytes: Uint8Array }[] = [];
    source.forEach((c) => chunks.push({ ...c, bytes: c.bytes.slice() }));
    expect(chunks.every((c) => c.frame === undefined)).toBe(true);
    expect(chunks.length).toBe(20);
    const streams = streamsOf(chunks as never);
    expect(streams['debugger->target']).toEqual(d);
    expect(streams['target->debugger']).toEqual(t);
    expect(source.stats).toMatchObject({ format: 'raw-pair', chunks: 20 });
  });

  it('a missing stream file is a clear error', () => {
    expect(() => openRawPair(tmp.file('none'), tmp.file('none2'))).toThrow(
      /^cannot read debugger stream .*none: ENOENT/,
    );
  });
});
