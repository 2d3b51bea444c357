// tshark (and editcap) read what we write, and we read what they write.
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { StreamChunk } from '../../electron/capture/chunk';
import { makeTempDir, readCapture, streamsOf, writeCapture } from '../support/pcap-fixtures';
import type { WriterFormat } from '../support/pcap-fixtures';
import { requireTool } from '../support/tools';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());

function tshark(file: string, ...args: string[]): string[] {
  const out = execFileSync(
    requireTool('tshark'),
    ['-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, timeout: 60_000 },
  );
  return out.split('\n').filter((line) => line !== '');
}

const fields = (file: string, ...names: string[]): string[][] =>
  tshark(file, '-T', 'fields', '-E', 'separator=/t', ...names.flatMap((n) => ['-e', n])).map((l) =>
    l.split('\t'),
  );

// A mixed session: single break-in bytes, small packets, a chunk over one frame, empty.
const frames: StreamChunk[] = [
  { dir: 'debugger->target', timeUs: 1_700_000_000_000_001, bytes: Uint8Array.of(0x62) },
  { dir: 'target->debugger', timeUs: 1_700_000_000_000_500, bytes: new Uint8Array(300).fill(0x30) },
  {
    dir: 'target->debugger',
    timeUs: 1_700_000_000_001_000,
    bytes: Uint8Array.from({ length: 100_000 }, (_, i) => i & 0xff),
  },
  { dir: 'debugger->target', timeUs: 1_700_000_000_002_000, bytes: new Uint8Array(0) },
  {
    dir: 'debugger->target',
    timeUs: 1_700_000_000_003_000,
    bytes: Uint8Array.of(0x69, 0x69, 0x69, 0x69, 4, 0, 0, 0),
  },
];
// Frame by frame after splitting at 65493 bytes: direction and payload length.
const expected: [string, number][] = [
  ['debugger->target', 1],
  ['target->debugger', 300],
  ['target->debugger', 65493],
  ['target->debugger', 100_000 - 65493],
  ['debugger->target', 0],
  ['debugger->target', 8],
];
const ports = { 'debugger->target': ['51111', '51112'], 'target->debugger': ['51112', '51111'] };
const ERROR_SEVERITY = 0x800000;

describe.each<[WriterFormat, boolean]>([
  ['pcap', false],
  ['pcapng', false],
  ['pcap', true],
])('tshark reads our %s (gzip %s)', (format, gzip) => {
  const file = tmp.file(`ours-${format}${gzip ? '.gz' : ''}`);
  writeCapture(file, frames, format, { gzip });

  it('frame count, ports and UDP lengths as written', () => {
    const rows = fields(file, 'frame.number', 'udp.srcport', 'udp.dstport', 'udp.length');
    expect(rows).toEqual(
      expected.map(([dir, n], i) => [
        String(i + 1),
        ...ports[dir as keyof typeof ports],
        String(8 + n),
      ]),
    );
  });

  it('IP and UDP checksums good, nothing malformed, no expert error', () => {
    const rows = fields(
      file,
      'ip.checksum.status',
      'udp.checksum.status',
      '_ws.expert.severity',
      '_ws.malformed',
    );
    for (const [ip, udp, severity = '', malformed = ''] of rows) {
      expect([ip, udp]).toEqual(['1', '1']); // 1 = Good
      for (const s of severity.split(',').filter(Boolean))
        expect(Number(s)).toBeLessThan(ERROR_SEVERITY);
      expect(malformed).toBe('');
    }
    const verbose = tshark(file, '-V').join('\n');
    expect(verbose).not.toMatch(/Malformed|\[Checksum Status: Bad\]|incorrect/);
  });

  it('timestamps to the microsecond', () => {
    const times = fields(file, 'frame.time_epoch').map(([t]) => t);
    expect(times[0]).toBe('1700000000.000001000');
    expect(times[5]).toBe('1700000000.003000000');
  });
});

describe('pcapng direction flags', () => {
  it.each<WriterFormat>(['pcapng', 'pcapng-raw'])('%s: epb_flags direction per frame', (format) => {
    const file = tmp.file(`dir-${format}.pcapng`);
    writeCapture(file, frames, format);
    const rows = fields(file, 'frame.packet_flags_direction', 'frame.len');
    const header = format === 'pcapng' ? 42 : 0;
    expect(rows).toEqual(
      (format === 'pcapng'
        ? expected
        : expected.map(
            ([d, n], i) => [d, i === 2 ? 65535 : i === 3 ? 100_000 - 65535 : n] as [string, number],
          )
      ).map(([dir, n]) => [
        dir === 'debugger->target' ? '0x00000002' : '0x00000001',
        String(header + n),
      ]),
    );
  });
});

describe('we read what editcap writes', () => {
  it.each(['pcap', 'nsecpcap', 'pcapng'])('editcap -F %s', (editFormat) => {
    const ours = tmp.file(`src-${editFormat}.pcapng`);
    writeCapture(ours, frames, 'pcapng');
    const theirs = tmp.file(`editcap.${editFormat}`);
    execFileSync(requireTool('editcap', 'wireshark-common'), ['-F', editFormat, ours, theirs], {
      stdio: 'ignore',
      timeout: 60_000,
    });
    const result = readCapture(theirs);
    expect(result.error).toBeUndefined();
    expect(result.stats.format).toBe(editFormat === 'nsecpcap' ? 'pcap-ns' : editFormat);
    expect(result.chunks.map((c) => [c.dir, c.bytes.length])).toEqual(expected);
    expect(streamsOf(result.chunks)).toEqual(streamsOf(frames));
    expect(result.chunks[0]!.timeUs).toBe(1_700_000_000_000_001);
  });
});
