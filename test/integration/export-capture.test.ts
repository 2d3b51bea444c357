// The shared exporter (`kdscope export` and the workbench's Export): every chunk, or chosen
// records, as the KD stream; a KDNET capture as captured (encrypted, with its key exchange) or
// decrypted. Read back by tshark (frames, ports) and by our decoder (the same packets).
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCapture } from '../../electron/capture/capture-source';
import { CaptureExport, exportCapture } from '../../electron/capture/export-capture';
import { SessionDecoder } from '../../protocol/session/pipeline';
import type { PacketRecord } from '../../protocol/session/record';
import { NoRangeSet, type NoRange } from '../../protocol/records/no-ranges';
import { generateRealisticStream, randomChunks } from '../support/kd-gen';
import { makeTempDir, writeCapture } from '../support/pcap-fixtures';
import { requireTool } from '../support/tools';

const tmp = makeTempDir('kdscope-export-');
afterAll(() => tmp.cleanup());
const REAL_KDNET = tmp.file('windbg-uncut.pcapng.gz');
copyFileSync(join(import.meta.dirname, '../fixtures/windbg-uncut.pcapng.gz'), REAL_KDNET);
const KEY = '8.8.8.8';

function tsharkFields(file: string, ...names: string[]): string[][] {
  const out = execFileSync(
    requireTool('tshark'),
    ['-r', file, '-T', 'fields', '-E', 'separator=/t', ...names.flatMap((n) => ['-e', n])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, timeout: 60_000 },
  );
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

function decode(path: string, key?: string): PacketRecord[] {
  const rows: PacketRecord[] = [];
  const decoder = new SessionDecoder({
    onRecord: (r) => rows.push(r),
    onUpdate: (r) => {
      if (rows[r.no - 1]?.no === r.no) rows[r.no - 1] = r;
    },
  });
  openCapture(path, key === undefined ? {} : { key }).forEachRange((dir, b, s, e, t, f) =>
    decoder.pushRange(dir, b, s, e, t / 1000, f),
  );
  decoder.end();
  return rows;
}

/** What a packet is, whatever its neighbours (no., flags and links depend on them). */
const what = (r: PacketRecord): string =>
  `${r.dir} ${r.kind} ${r.typeName ?? ''} ${r.id ?? ''} ${r.apiName ?? ''} ${r.length} ${r.checksumOk ?? ''}`;

// A serial session in the seed's format: ~2 x 150 KB of realistic wire, in socket-sized reads.
const SEED = tmp.file('seed.pcap');
{
  const a = randomChunks(generateRealisticStream(150_000, 3).bytes, 5, 1, 900);
  const b = randomChunks(generateRealisticStream(150_000, 4).bytes, 6, 1, 900);
  const chunks = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i])
      chunks.push({ dir: 'debugger->target' as const, timeUs: 1e15 + i * 100, bytes: a[i]! });
    if (b[i])
      chunks.push({ dir: 'target->debugger' as const, timeUs: 1e15 + i * 100 + 50, bytes: b[i]! });
  }
  writeCapture(SEED, chunks, 'pcap');
}
const seedRows = decode(SEED);
const seedFrames = openCapture(SEED).forEach(() => undefined).frames;

function choose(rows: readonly PacketRecord[], ranges: readonly NoRange[]): PacketRecord[] {
  const set = new NoRangeSet(ranges);
  return rows.filter((r) => set.has(r.no));
}

describe('exporting the KD stream', () => {
  it('all: every chunk as one frame, the same packets', () => {
    expect(seedRows.length).toBeGreaterThan(2000);
    for (const format of ['pcap', 'pcapng'] as const) {
      const out = tmp.file(`all.${format}`);
      const outcome = exportCapture({
        source: openCapture(SEED),
        out,
        format,
        choice: { kind: 'all' },
      });
      expect(outcome.framesWritten).toBe(seedFrames);
      expect(decode(out).map(what)).toEqual(seedRows.map(what));
      expect(tsharkFields(out, 'frame.number').length).toBe(seedFrames);
    }
  });

  it('chosen no. ranges: one frame per record, in the seed ports, the same packets', () => {
    const ranges: NoRange[] = [
      [3, 3],
      [10, 40],
      [97, 97],
      [500, 1200],
      [seedRows.length - 5, seedRows.length + 100],
    ];
    const chosen = choose(seedRows, ranges);
    const set = new NoRangeSet(ranges);
    for (const format of ['pcap', 'pcapng'] as const) {
      const out = tmp.file(`chosen.${format}`);
      const outcome = exportCapture({
        source: openCapture(SEED),
        out,
        format,
        choice: { kind: 'records', select: (r) => set.has(r.no), lastNo: set.last },
      });
      expect(outcome.records).toBe(chosen.length);
      expect(outcome.framesWritten).toBe(chosen.length);
      const frames = tsharkFields(out, 'udp.srcport', 'udp.dstport', 'udp.length');
      expect(frames.length).toBe(chosen.length);
      frames.forEach(([src, dst, length], i) => {
        const r = chosen[i]!;
        expect([src, dst]).toEqual(
          r.dir === 'debugger->target' ? ['51111', '51112'] : ['51112', '51111'],
        );
        expect(Number(length)).toBe(8 + r.length);
      });
      // Each frame holds one whole record: decoded again, the same packets in the same order.
      const again = decode(out);
      expect(again.map(what)).toEqual(chosen.map(what));
    }
  });

  it('in small steps writes the very file one pass writes; stopping after the last no. too', () => {
    const set = new NoRangeSet([[20, 900]]);
    const one = tmp.file('one.pcapng');
    const stepped = tmp.file('stepped.pcapng');
    exportCapture({
      source: openCapture(SEED),
      out: one,
      format: 'pcapng',
      choice: { kind: 'records', select: (r) => set.has(r.no) },
    });
    const job = new CaptureExport({
      source: openCapture(SEED),
      out: stepped,
      format: 'pcapng',
      choice: { kind: 'records', select: (r) => set.has(r.no), lastNo: 900 },
      stepFrames: 7,
    });
    let steps = 0;
    const read: number[] = [];
    while (job.step()) {
      steps++;
      read.push(job.progress.framesRead);
    }
    job.close();
    expect(steps).toBeGreaterThan(10);
    // Reading stopped soon after record 900, well before the end of the capture.
    expect(job.outcome().stats.frames).toBeLessThan(seedFrames / 2);
    expect(read).toEqual([...read].sort((a, b) => a - b));
    expect(readFileSync(stepped)).toEqual(readFileSync(one));
  });
});

describe('exporting a KDNET capture', () => {
  const rows = decode(REAL_KDNET, KEY);
  const packets = rows.filter((r) => r.kind === 'packet');

  it('all, as captured: every frame, encrypted; our decoder with the key finds the 526 packets', () => {
    expect(packets.length).toBe(526);
    for (const format of ['pcap', 'pcapng'] as const) {
      const out = tmp.file(`kdnet-all.${format}`);
      const outcome = exportCapture({
        source: openCapture(REAL_KDNET, { key: KEY }),
        out,
        format,
        choice: { kind: 'all' },
        asCaptured: true,
      });
      expect(outcome.framesWritten).toBe(955);
      const frames = tsharkFields(out, 'udp.srcport', 'udp.dstport');
      expect(frames.length).toBe(955);
      expect(new Set(frames.map((f) => f.join(' ')))).toEqual(new Set(['51111 51111']));
      expect(decode(out, KEY).map(what)).toEqual(rows.map(what));
      expect(decode(out).length).toBe(0);
    }
  });

  it('chosen, as captured: their datagrams and the key exchange; decrypted: the KD stream', () => {
    const wanted = packets.filter((r) => r.apiName === 'ReadVirtualMemory');
    expect(wanted.length).toBe(88);
    const nos = new Set(wanted.map((r) => r.no));
    const select = (r: PacketRecord): boolean => nos.has(r.no);
    const out = tmp.file('kdnet-chosen.pcapng');
    const outcome = exportCapture({
      source: openCapture(REAL_KDNET, { key: KEY }),
      out,
      format: 'pcapng',
      choice: { kind: 'records', select },
      asCaptured: true,
    });
    // One datagram per KD packet, plus the 428 control datagrams (poke, key exchange).
    expect(outcome.records).toBe(88);
    expect(outcome.framesWritten).toBe(88 + 428);
    expect(decode(out, KEY).map(what)).toEqual(wanted.map(what));

    const plain = tmp.file('kdnet-chosen-decrypted.pcap');
    const decrypted = exportCapture({
      source: openCapture(REAL_KDNET, { key: KEY }),
      out: plain,
      format: 'pcap',
      choice: { kind: 'records', select },
    });
    expect(decrypted.framesWritten).toBe(88);
    expect(decode(plain).map(what)).toEqual(wanted.map(what));
    expect(tsharkFields(plain, 'udp.srcport').length).toBe(88);
  });

  it('refuses frames of two link types in one pcap, and says to use pcapng', async () => {
    const { AsCapturedWriter } = await import('../../electron/capture/as-captured-writer');
    const w = AsCapturedWriter.open(tmp.file('mixed.pcap'), 'pcap');
    w.write(1, 0, new Uint8Array(60), 0, 60);
    expect(() => w.write(113, 0, new Uint8Array(60), 0, 60)).toThrow(/export as pcapng/);
    w.close();
    const ng = AsCapturedWriter.open(tmp.file('mixed.pcapng'), 'pcapng');
    ng.write(1, 1e15, new Uint8Array(60), 0, 60);
    ng.write(113, 1e15 + 1, new Uint8Array(60), 0, 60);
    ng.close();
    expect(tsharkFields(tmp.file('mixed.pcapng'), 'frame.encap_type')).toEqual([['1'], ['25']]);
  });
});
