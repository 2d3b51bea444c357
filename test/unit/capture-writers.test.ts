import { spawn, execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureWriteError } from '../../electron/capture/capture-error';
import {
  PcapWriter,
  PcapngWriter,
  openCaptureWriter,
} from '../../electron/capture/capture-writers';
import { FrameIndex } from '../../electron/capture/frame-index';
import { pcapFileHeader, pcapRecords } from '../../electron/capture/pcap-format';
import { makeTempDir, readCapture } from '../support/pcap-fixtures';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** RFC 1071 checksum, written independently of udp-wrap.ts. */
function internetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) + (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

describe('PcapWriter', () => {
  it('writes the seed header and one Ethernet/IPv4/UDP frame per chunk, checksums right', () => {
    const path = tmp.file('one.pcap');
    const writer = PcapWriter.open(path);
    writer.write({
      dir: 'debugger->target',
      timeUs: 1_700_000_000_123_456,
      bytes: Uint8Array.of(0x62),
    });
    writer.write({
      dir: 'target->debugger',
      timeUs: 1_700_000_001_000_000,
      bytes: Uint8Array.of(1, 2),
    });
    writer.close();
    writer.close(); // idempotent
    const file = new Uint8Array(readFileSync(path));
    expect(hex(file.subarray(0, 24))).toBe('d4c3b2a1020004000000000000000000ffff000001000000');
    const view = new DataView(file.buffer, file.byteOffset);
    expect(view.getUint32(24, true)).toBe(1_700_000_000);
    expect(view.getUint32(28, true)).toBe(123_456);
    expect(view.getUint32(32, true)).toBe(43);
    const frame = file.subarray(40, 40 + 43);
    expect(hex(frame.subarray(0, 14))).toBe('ffffffffffff' + '001122334455' + '0800');
    const ip = frame.subarray(14, 34);
    expect(hex(ip.subarray(12, 20))).toBe('c0a80002' + 'c0a80001');
    expect(internetChecksum(ip)).toBe(0xffff);
    const udp = frame.subarray(34);
    expect([view.getUint16(40 + 34), view.getUint16(40 + 36), view.getUint16(40 + 38)]).toEqual([
      51111, 51112, 9,
    ]);
    const pseudo = Uint8Array.from([...ip.subarray(12, 20), 0, 17, 0, udp.length, ...udp]);
    expect(internetChecksum(pseudo)).toBe(0xffff);
    expect(udp[8]).toBe(0x62);
    const second = file.subarray(40 + 43 + 16);
    expect(hex(second.subarray(0, 12))).toBe('001122334455' + 'ffffffffffff');
    expect(hex(second.subarray(14 + 12, 14 + 20))).toBe('c0a80001' + 'c0a80002');
  });

  it('pcapFileHeader + pcapRecords (for live sinks) are byte for byte what the writer writes', () => {
    const frames = [
      { dir: 'debugger->target' as const, timeUs: 1_000_001, bytes: Uint8Array.of(0x62) },
      {
        dir: 'target->debugger' as const,
        timeUs: 2_000_002,
        bytes: new Uint8Array(70_000).fill(3),
      },
    ];
    const path = tmp.file('same.pcap');
    const writer = PcapWriter.open(path);
    frames.forEach((f) => writer.write(f));
    writer.close();
    const expected = Buffer.concat([
      pcapFileHeader(),
      pcapRecords(frames[0]!, 1),
      pcapRecords(frames[1]!, 2),
    ]);
    expect(Buffer.compare(readFileSync(path), expected)).toBe(0);
  });

  it('splits a chunk larger than a frame; every frame fits the 65535 snaplen', () => {
    const path = tmp.file('big.pcap');
    const writer = PcapWriter.open(path);
    const bytes = Uint8Array.from({ length: 140_000 }, (_, i) => i & 0xff);
    writer.write({ dir: 'target->debugger', timeUs: 5, bytes });
    writer.close();
    expect(writer.framesWritten).toBe(3);
    const result = readCapture(path);
    expect(result.chunks.map((c) => c.bytes.length)).toEqual([65493, 65493, 140_000 - 2 * 65493]);
    expect(Buffer.concat(result.chunks.map((c) => c.bytes))).toEqual(Buffer.from(bytes));
  });

  it('maxPayload cuts smaller pieces; an empty chunk is one empty frame', () => {
    const path = tmp.file('small.pcapng');
    const writer = openCaptureWriter(path, { maxPayload: 10 });
    expect(writer).toBeInstanceOf(PcapngWriter);
    writer.write({ dir: 'debugger->target', timeUs: 0, bytes: new Uint8Array(25) });
    writer.write({ dir: 'debugger->target', timeUs: 0, bytes: new Uint8Array(0) });
    writer.close();
    expect(readCapture(path).chunks.map((c) => c.bytes.length)).toEqual([10, 10, 5, 0]);
    expect(() => PcapWriter.open(tmp.file('x.pcap'), { maxPayload: 0 })).toThrow(RangeError);
  });
});

describe('write failures are one clear line', () => {
  it('a vanished directory', () => {
    const path = join(tmp.dir, 'gone', 'x.pcap');
    expect(() => PcapWriter.open(path)).toThrow(CaptureWriteError);
    expect(() => PcapWriter.open(path)).toThrow(/^cannot create capture .*gone\/x\.pcap: ENOENT/);
  });

  it('a full disk (/dev/full)', () => {
    let error: unknown;
    try {
      PcapngWriter.open('/dev/full');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CaptureWriteError);
    expect((error as CaptureWriteError).code).toBe('ENOSPC');
    expect((error as Error).message).toMatch(/^cannot write capture \/dev\/full: ENOSPC/);
    expect((error as Error).message).not.toContain('\n');
  });

  it('a reader that went away (EPIPE): the write throws, the writer stays usable to close', () => {
    const fifo = tmp.file('live.fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const fd = openSync(fifo, constants.O_WRONLY);
    const writer = PcapWriter.fromFd(fd, { label: 'live.fifo', closeFd: true });
    closeSync(reader);
    const frame = { dir: 'debugger->target' as const, timeUs: 0, bytes: Uint8Array.of(1) };
    expect(() => writer.write(frame)).toThrow(/^cannot write capture live\.fifo: EPIPE/);
    expect(() => writer.write(frame)).toThrow(CaptureWriteError);
    writer.close();
    expect(() => writer.write(frame)).toThrow(/closed/);
  });

  it('framesWritten counts the frames the file holds: split pieces, not failed or gathered ones', () => {
    const fifo = tmp.file('count.fifo');
    execFileSync('mkfifo', [fifo]);
    const open = (options: { bufferBytes?: number }) => {
      const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      const fd = openSync(fifo, constants.O_WRONLY);
      const writer = PcapWriter.fromFd(fd, {
        label: 'count',
        closeFd: true,
        maxPayload: 10,
        ...options,
      });
      return { writer, closeReader: () => closeSync(reader) };
    };
    const chunk = { dir: 'debugger->target' as const, timeUs: 0, bytes: new Uint8Array(25) };

    const live = open({});
    live.writer.write(chunk);
    expect(live.writer.framesWritten).toBe(3);
    live.closeReader();
    expect(() => live.writer.write(chunk)).toThrow(/EPIPE/);
    expect(live.writer.framesWritten).toBe(3);
    live.writer.close();

    const gathered = open({ bufferBytes: 1 << 20 });
    gathered.writer.write(chunk);
    gathered.writer.write(chunk);
    expect(gathered.writer.framesWritten).toBe(0);
    gathered.writer.flush();
    expect(gathered.writer.framesWritten).toBe(6);
    gathered.writer.write(chunk);
    gathered.closeReader();
    expect(() => gathered.writer.flush()).toThrow(/EPIPE/);
    expect(gathered.writer.framesWritten).toBe(6);
    gathered.writer.close();
  });
});

describe('PcapWriter.batch', () => {
  const chunks = Array.from({ length: 40 }, (_, i) => ({
    dir: i % 2 === 0 ? ('debugger->target' as const) : ('target->debugger' as const),
    timeUs: 1_700_000_000_000_000 + i,
    bytes: new Uint8Array(i === 20 ? 70_000 : 30 + i).fill(i),
  }));

  it('writes the frames of a batch together when it returns, byte for byte as one by one', () => {
    const single = tmp.file('single.pcap');
    const one = PcapWriter.open(single);
    for (const chunk of chunks) one.write(chunk);
    one.close();

    const batched = tmp.file('batched.pcap');
    const writer = PcapWriter.open(batched);
    const sizes: number[] = [];
    writer.batch(() => {
      for (const chunk of chunks.slice(0, 3)) writer.write(chunk);
      sizes.push(readFileSync(batched).length);
    });
    sizes.push(readFileSync(batched).length);
    // A batch larger than the writer's buffer goes out in whole frames as the buffer fills.
    writer.batch(() => {
      for (const chunk of chunks.slice(3)) {
        writer.write(chunk);
        const { stats } = readCapture(batched);
        expect([stats.frames, stats.skipped]).toEqual([writer.framesWritten, 0]);
      }
    });
    writer.close();
    expect(sizes[0]).toBe(24);
    expect(sizes[1]).toBeGreaterThan(24);
    expect(hex(readFileSync(batched))).toBe(hex(readFileSync(single)));
  });
});

describe('a failed write leaves a valid capture', () => {
  it('a file-size limit hit mid-frame (EFBIG): the file is cut back to the last whole frame', async () => {
    const script = tmp.file('efbig-child.ts');
    const bundle = tmp.file('efbig-child.mjs');
    const capture = tmp.file('limited.pcap');
    writeFileSync(
      script,
      `import { PcapWriter } from ${JSON.stringify(join(__dirname, '../../electron/capture/capture-writers'))};
import { openCapture } from ${JSON.stringify(join(__dirname, '../../electron/capture/capture-source'))};
process.on('SIGXFSZ', () => undefined); // get EFBIG from write() instead of dying
const writer = PcapWriter.open(process.argv[2]);
let written = 0;
const errors = [];
for (let i = 0; i < 100 && errors.length < 2; i++) {
  try {
    writer.write({ dir: 'debugger->target', timeUs: i, bytes: new Uint8Array(100).fill(i) });
    written++;
  } catch (err) {
    errors.push(err.name + ': ' + err.message);
  }
}
writer.close();
let read = 0;
openCapture(process.argv[2]).forEach((c) => { if (c.bytes[0] === read) read++; });
console.log(JSON.stringify({ written, errors, read }));
`,
    );
    await build({
      entryPoints: [script],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
    });
    // 4 blocks of 512 bytes: the 13th 158-byte frame crosses the limit.
    const out = execFileSync(
      'sh',
      ['-c', `ulimit -f 4; exec "${process.execPath}" "${bundle}" "${capture}"`],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    const result = JSON.parse(out) as { written: number; errors: string[]; read: number };
    expect(result.written).toBe(12);
    expect(result.errors).toEqual([
      `CaptureWriteError: cannot write capture ${capture}: EFBIG: file too large, write`,
      `CaptureWriteError: cannot write capture ${capture}: EFBIG: file too large, write`,
    ]);
    expect(result.read).toBe(12);
    expect(readFileSync(capture).length).toBe(24 + 12 * (16 + 42 + 100));
  });
});

describe('a capture survives kill -9 of its writer', () => {
  it('every frame written before the kill reads back', async () => {
    const script = tmp.file('writer-child.ts');
    const bundle = tmp.file('writer-child.mjs');
    const capture = tmp.file('killed.pcap');
    writeFileSync(
      script,
      `import { PcapWriter } from ${JSON.stringify(join(__dirname, '../../electron/capture/capture-writers'))};
const writer = PcapWriter.open(process.argv[2]);
let n = 0;
const tick = () => {
  for (let i = 0; i < 50; i++, n++) {
    writer.write({ dir: n % 2 ? 'target->debugger' : 'debugger->target', timeUs: n, bytes: new Uint8Array(1 + (n % 300)).fill(n & 0xff) });
  }
  if (n === 500) process.stdout.write('ready\\n');
};
setInterval(tick, 1);
`,
    );
    await build({
      entryPoints: [script],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
    });
    const child = spawn(process.execPath, [bundle, capture], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`writer child exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const result = readCapture(capture);
    expect(result.error).toBeUndefined();
    expect(result.chunks.length).toBeGreaterThanOrEqual(500);
    result.chunks.forEach((c, n) => {
      expect(c.bytes.length).toBe(1 + (n % 300));
      expect(c.bytes[0]).toBe(n & 0xff);
    });
  });
});

describe('FrameIndex', () => {
  it('maps stream offsets to the frame of the chunk holding them', () => {
    const index = new FrameIndex();
    expect(index.frameAt(0)).toBeUndefined();
    index.append(0, 1);
    index.append(10, 4);
    index.append(10, 5); // an empty chunk at 10 before: the later one holds the bytes
    index.append(25, 9);
    expect([0, 9, 10, 24, 25, 1000].map((o) => index.frameAt(o))).toEqual([1, 1, 5, 5, 9, 9]);
    expect(index.frameAt(3)).toBe(1); // backwards: binary search
    expect(() => index.append(5, 10)).toThrow(RangeError);
  });

  it('grows past its initial capacity and can forget old chunks', () => {
    const index = new FrameIndex();
    for (let i = 0; i < 5000; i++) index.append(i * 3, i + 1);
    expect(index.frameAt(3 * 4321 + 2)).toBe(4322);
    index.discardBefore(3 * 4000);
    expect(index.size).toBe(1000);
    expect(index.frameAt(3 * 4000)).toBe(4001);
    for (let i = 5000; i < 7000; i++) index.append(i * 3, i + 1);
    expect(index.frameAt(3 * 6999)).toBe(7000);
    expect(index.frameAt(3 * 4500 + 1)).toBe(4501);
  });
});
