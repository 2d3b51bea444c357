// Our Wireshark dissector against our own decoder: the same capture, read by tshark with
// resources/wireshark/kdscope.lua and by KdStreamDecoder, must give the same KD packets.
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { PcapWriter } from '../../electron/capture';
import { KdStreamDecoder } from '../../protocol/kd/decoder';
import { DIRECTIONS, type Direction, type KdEvent } from '../../protocol/kd/events';
import { ManipulateApi, PacketType } from '../../protocol/kd/constants';
import { concatBytes, encodeDataPacket, encodeReset } from '../../protocol/kd/encoder';
import { buildManipulate, buildPrintString } from '../../protocol/kd/payloads';
import { arbStream, buildStream, randomChunks, xorshift32 } from '../support/kd-gen';
import {
  getVersionReply,
  getVersionRequest,
  readReply,
  readRequest,
  writeReply,
  writeRequest,
} from '../support/kd-manipulate-pairs';
import { KDSCOPE_BIN } from '../support/kdscope-process';
import { requireTool } from '../support/tools';

const run = promisify(execFile);
const lua = join(__dirname, '../../resources/wireshark/kdscope.lua');
const dir = mkdtempSync(join(tmpdir(), 'kdscope-dissector-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Seen {
  dir: Direction;
  type: number;
  id: number;
  checksumOk: boolean;
}

/** Writes both directions' streams, cut into frames of 1..maxChunk bytes, interleaved. */
function writeCapture(
  path: string,
  streams: Record<Direction, Uint8Array>,
  maxChunk: number,
  seed: number,
): void {
  const writer = PcapWriter.open(path);
  const rnd = xorshift32(seed);
  const queues = DIRECTIONS.map((d) => ({
    d,
    chunks: randomChunks(streams[d], seed + 7, 1, maxChunk),
  }));
  let time = 1_700_000_000_000_000;
  while (queues.some((q) => q.chunks.length > 0)) {
    const live = queues.filter((q) => q.chunks.length > 0);
    const q = live[rnd() % live.length]!;
    writer.write({ dir: q.d, timeUs: time++, bytes: q.chunks.shift()! });
  }
  writer.close();
}

function ourPackets(streams: Record<Direction, Uint8Array>): {
  packets: Seen[];
  garbage: KdEvent[];
  breakins: KdEvent[];
} {
  const packets: Seen[] = [];
  const garbage: KdEvent[] = [];
  const breakins: KdEvent[] = [];
  for (const d of DIRECTIONS) {
    // As the session decodes: only the debugger sends break-ins.
    const decoder = new KdStreamDecoder({ breakins: d === 'debugger->target' });
    const emit = (e: KdEvent): void => {
      if (e.kind === 'packet')
        packets.push({ dir: d, type: e.type, id: e.id, checksumOk: e.checksumOk });
      else if (e.kind === 'garbage') garbage.push(e);
      else breakins.push(e);
    };
    decoder.push(streams[d], emit);
    decoder.end(emit);
  }
  return { packets, garbage, breakins };
}

/** tshark with our dissector over `path`: the given -T fields (-e) rows, tab-separated. */
async function tsharkFields(
  path: string,
  fields: readonly string[],
  extra: readonly string[] = [],
): Promise<string> {
  const { stdout } = await run(
    requireTool('tshark'),
    [
      '-X',
      `lua_script:${lua}`,
      '-r',
      path,
      ...extra,
      '-T',
      'fields',
      '-E',
      'separator=/t',
      ...fields.flatMap((f) => ['-e', f]),
    ],
    { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
  );
  return stdout;
}

async function tsharkPackets(path: string): Promise<Seen[]> {
  const stdout = await tsharkFields(path, ['udp.srcport', 'kd.type', 'kd.id', 'kd.checksum_ok']);
  const out: Seen[] = [];
  for (const line of stdout.split('\n')) {
    const [port, types, ids, oks] = line.split('\t');
    if (!types) continue;
    const t = types.split(',');
    const i = ids!.split(',');
    const o = oks!.split(',');
    expect(i).toHaveLength(t.length);
    t.forEach((type, k) =>
      out.push({
        dir: port === '51111' ? 'debugger->target' : 'target->debugger',
        type: Number(type),
        id: Number(i[k]),
        checksumOk: o[k] === '1' || o[k] === 'True',
      }),
    );
  }
  return out;
}

const byDir = (list: Seen[], d: Direction): Seen[] => list.filter((p) => p.dir === d);

async function expertCounts(path: string): Promise<string> {
  const tshark = requireTool('tshark');
  const { stdout } = await run(
    tshark,
    ['-X', `lua_script:${lua}`, '-r', path, '-q', '-z', 'expert'],
    { timeout: 60_000 },
  );
  return stdout;
}

describe('kdscope.lua dissector (tshark) agrees with our decoder', () => {
  const cases = [
    { name: 'one small frame per piece (packets split across frames)', maxChunk: 7, seed: 11 },
    { name: 'medium frames (splits and several packets per frame)', maxChunk: 300, seed: 12 },
    { name: 'large frames (many packets per frame)', maxChunk: 8000, seed: 13 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      // fast-check streams (noise, stray leader bytes, break-ins, corrupt packets), a dozen per side.
      const samples = fc.sample(arbStream(40, 1500), { seed: c.seed, numRuns: 24 });
      const items = (parity: number) =>
        samples.filter((_, k) => k % 2 === parity).flatMap((s) => s.items);
      const streams = {
        'debugger->target': buildStream(items(0)).bytes,
        'target->debugger': buildStream(items(1)).bytes,
      };
      const path = join(dir, `case-${c.seed}.pcap`);
      writeCapture(path, streams, c.maxChunk, c.seed);
      const ours = ourPackets(streams);
      const theirs = await tsharkPackets(path);
      expect(ours.packets.length).toBeGreaterThan(10);
      for (const d of DIRECTIONS) expect(byDir(theirs, d)).toEqual(byDir(ours.packets, d));
      // Every checksum error, bad trailer and bad ByteCount we find is flagged by the dissector.
      const experts = await expertCounts(path);
      // The expert table groups by summary text: add up every row of a kind.
      const count = (re: RegExp): number =>
        [...experts.matchAll(new RegExp(re.source, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
      expect(count(/^\s+(\d+)\s+Checksum\s+KD/m)).toBe(
        ours.packets.filter((p) => !p.checksumOk).length,
      );
      expect(count(/^\s+(\d+)\s+Malformed\s+KD\s+KD trailing byte/m)).toBe(
        ours.garbage.filter((g) => g.kind === 'garbage' && g.reason === 'bad-trailer').length,
      );
      expect(count(/^\s+(\d+)\s+Malformed\s+KD\s+KD ByteCount/m)).toBe(
        ours.garbage.filter((g) => g.kind === 'garbage' && g.reason === 'bad-length').length,
      );
      // Break-ins in the debugger's stream only; the target's 0x62 bytes are noise. (The
      // dissector reports a run cut by a frame boundary as two: compare where, not how many.)
      expect(ours.breakins.length).toBeGreaterThan(0);
      expect(streams['target->debugger'].includes(0x62)).toBe(true);
      const ports = await tsharkFields(path, ['udp.srcport'], ['-Y', 'kd.breakin']);
      expect(new Set(ports.trim().split('\n'))).toEqual(new Set(['51111']));
    });
  }

  it('names manipulate APIs and shows their fields', async () => {
    const request = buildManipulate({
      api: ManipulateApi.ReadVirtualMemory,
      fields: { targetBaseAddress: 0xfffff80012340000n, transferCount: 0x100, actualBytesRead: 0 },
    });
    const packet = encodeDataPacket(PacketType.STATE_MANIPULATE, 0x80800800, request);
    const path = join(dir, 'api.pcap');
    writeCapture(
      path,
      { 'debugger->target': packet, 'target->debugger': new Uint8Array(0) },
      4000,
      1,
    );
    const stdout = await tsharkFields(path, [
      'kd.api_name',
      'kd.address',
      'kd.count',
      '_ws.col.Info',
    ]);
    expect(stdout.trim().split('\t')).toEqual([
      'ReadVirtualMemory',
      '0xfffff80012340000',
      '0x00000100',
      'D->T STATE_MANIPULATE id=0x80800800 ReadVirtualMemory 0xfffff80012340000 len 0x100',
    ]);
  });
  it('shows what only the target fills as unset in a request, and the reply whole', async () => {
    // One frame per packet: request, reply, request, reply, ... (real bytes, mostly).
    const pairs = [
      [getVersionRequest, getVersionReply],
      [readRequest, readReply],
      [writeRequest, writeReply],
    ];
    const path = join(dir, 'by-direction.pcap');
    const writer = PcapWriter.open(path);
    let time = 1_700_000_000_000_000;
    pairs.forEach(([request, reply], k) => {
      const id = 0x80800000 + k;
      writer.write({
        dir: 'debugger->target',
        timeUs: time++,
        bytes: encodeDataPacket(PacketType.STATE_MANIPULATE, id, request!),
      });
      writer.write({
        dir: 'target->debugger',
        timeUs: time++,
        bytes: encodeDataPacket(PacketType.STATE_MANIPULATE, id, reply!),
      });
    });
    writer.close();
    const tshark = requireTool('tshark');
    const stdout = await tsharkFields(path, [
      'kd.status',
      'kd.actual',
      'kd.version.major',
      'kd.version.kernbase',
      '_ws.col.Info',
    ]);
    const rows = stdout
      .trimEnd()
      .split('\n')
      .map((line) => line.split('\t'));
    expect(rows).toEqual([
      // A request has no ReturnStatus, count or version to filter on, and no failure in Info
      // (the ReadVirtualMemory request's ReturnStatus holds 0x4e, its ActualBytesRead 0x7ff7).
      ['', '', '', '', 'D->T STATE_MANIPULATE id=0x80800000 GetVersion'],
      [
        '0x00000000',
        '',
        '0x040f',
        '0x000000000096f000',
        'T->D STATE_MANIPULATE id=0x80800000 GetVersion',
      ],
      [
        '',
        '',
        '',
        '',
        'D->T STATE_MANIPULATE id=0x80800001 ReadVirtualMemory 0x0000000000ad5e60 len 0x10',
      ],
      [
        '0x00000000',
        '0x00000010',
        '',
        '',
        'T->D STATE_MANIPULATE id=0x80800001 ReadVirtualMemory 0x0000000000ad5e60 len 0x10',
      ],
      [
        '',
        '',
        '',
        '',
        'D->T STATE_MANIPULATE id=0x80800002 WriteVirtualMemory 0xfffff80012340000 len 0x8',
      ],
      [
        '0x00000000',
        '0x00000008',
        '',
        '',
        'T->D STATE_MANIPULATE id=0x80800002 WriteVirtualMemory 0xfffff80012340000 len 0x8',
      ],
    ]);
    // The unset bytes are still in the tree, as such.
    const verbose = await run(tshark, ['-X', `lua_script:${lua}`, '-r', path, '-V', '-O', 'kd']);
    const frames = verbose.stdout.split(/^Frame \d+:/m).slice(1);
    expect(frames).toHaveLength(6);
    expect(frames[0]).toContain('ReturnStatus: (not filled in a request)');
    expect(frames[0]).toContain('GetVersion64: (not filled in a request)');
    expect(frames[0]).not.toContain('MajorVersion');
    expect(frames[1]).toContain('MajorVersion: 0x040f');
    expect(frames[1]).not.toContain('not filled');
    expect(frames[2]).toContain('Actual bytes: (not filled in a request)');
    expect(frames[4]).toContain('Actual bytes: (not filled in a request)');
    expect(frames[4]).toContain('Data (8 bytes)');
    expect(frames[5]).toContain('Actual bytes: 0x00000008');
    expect(frames[5]).not.toContain('Data (');
  });

  it('abandons a packet whose sender paused past the receive timeout, as `kdscope decode` does', async () => {
    const print = (id: number, text: string): Uint8Array =>
      encodeDataPacket(PacketType.DEBUG_IO, id, buildPrintString(text));
    const cut = print(0x80800001, 'cut in half by the vanishing target\n').subarray(0, 30);
    const frames: { dir: Direction; at: number; bytes: Uint8Array }[] = [
      { dir: 'target->debugger', at: 0, bytes: concatBytes([print(0x80800000, 'one\n'), cut]) },
      // Within the timeout: the packet goes on (this 0x62 is its next byte).
      { dir: 'target->debugger', at: 0.3, bytes: Uint8Array.of(0x62) },
      // Past it: the cut packet is over, and the next one decodes.
      { dir: 'target->debugger', at: 0.3 + 0.401, bytes: print(0x80800000, 'two\n') },
      { dir: 'debugger->target', at: 1, bytes: Uint8Array.of(0x62, 0x69, 0x69) },
      { dir: 'debugger->target', at: 2, bytes: encodeReset() },
    ];
    const path = join(dir, 'pause.pcap');
    const writer = PcapWriter.open(path);
    for (const f of frames) {
      writer.write({ dir: f.dir, timeUs: 1_700_000_000_000_000 + f.at * 1e6, bytes: f.bytes });
    }
    writer.close();
    const stdout = await tsharkFields(path, ['_ws.col.Info']);
    expect(stdout.trimEnd().split('\n')).toEqual([
      'T->D DEBUG_IO id=0x80800000 "one"',
      'T->D [continuation of a KD packet]',
      'T->D [31 bytes truncated] | DEBUG_IO id=0x80800000 "two"',
      'D->T BREAK-IN',
      'D->T [2 bytes noise] | RESET id=0x00000000',
    ]);
    const decoded = await run(process.execPath, [KDSCOPE_BIN, 'decode', path]);
    const rows = decoded.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r.kind !== 'summary')
      .map(
        (r) =>
          `${String(r.dir)} ${String(r.kind)} ${String(r.reason ?? r.type)} ${String(r.frame)}`,
      );
    expect(rows).toEqual([
      'target->debugger packet DEBUG_IO 1',
      'target->debugger garbage truncated 1',
      'target->debugger packet DEBUG_IO 3',
      'debugger->target breakin undefined 4',
      'debugger->target garbage noise 4',
      'debugger->target packet RESET 5',
    ]);
  });
});
