// Recording and the live Wireshark sink, through the real bridge, read back by our reader and tshark.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Bridge } from '../../electron/engine/bridge/bridge';
import { parseEndpoint } from '../../electron/engine/endpoint';
import { Recorder, defaultCaptureName } from '../../electron/engine/bridge/recorder';
import { createLiveSink, createStreamServerSink } from '../../electron/engine/bridge/live-sink';
import { openCapture } from '../../electron/capture';
import { PacketType } from '../../protocol/kd/constants';
import { concatBytes, encodeAck, encodeDataPacket, encodeReset } from '../../protocol/kd/encoder';
import { untilWithin } from '../support/until';

const hasTshark = spawnSync('tshark', ['-v']).status === 0;
let dir: string;
const cleanups: (() => Promise<void> | void)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-capture-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function tshark(args: string[]): string {
  if (!hasTshark)
    throw new Error('tshark is not installed (apt-get install tshark): needed to check captures');
  const run = spawnSync('tshark', args, { encoding: 'utf8', timeout: 20_000 });
  if (run.status !== 0) throw new Error(`tshark ${args.join(' ')} failed: ${run.stderr}`);
  return run.stdout;
}

const until = untilWithin(10_000, 5);

async function pair(taps: Parameters<typeof Bridge.start>[0]['taps']): Promise<{
  bridge: Bridge;
  dbg: Socket;
  tgt: Socket;
}> {
  const tgtPath = join(dir, 't.sock');
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(tgtPath, r));
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const bridge = await Bridge.start({
    debugger: parseEndpoint(`unix:${join(dir, 'd.sock')}`),
    target: parseEndpoint(`unix:${tgtPath}`),
    taps,
  });
  const [tgt] = await accepted;
  const dbg = connect({ path: join(dir, 'd.sock') });
  await once(dbg, 'connect');
  await until(() => bridge.connected('debugger'), 'debugger');
  cleanups.push(async () => {
    dbg.destroy();
    tgt.destroy();
    await bridge.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { bridge, dbg, tgt };
}

/** Writes `count` KD exchanges, each one chunk, waiting until the other side received it. */
async function exchange(dbg: Socket, tgt: Socket, count: number): Promise<Uint8Array[]> {
  const sent: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const request = encodeDataPacket(
      PacketType.STATE_MANIPULATE,
      0x80800000 + (i & 1),
      new Uint8Array(56).fill(i),
    );
    const got = once(tgt, 'data');
    dbg.write(request);
    await got;
    const ack = encodeAck(0x80800000 + (i & 1));
    const back = once(dbg, 'data');
    tgt.write(ack);
    await back;
    sent.push(request, ack);
  }
  return sent;
}

/** Parses a pcap byte stream as a reader (Wireshark) would. */
function parsePcapStream(bytes: Buffer): { magic: number; frames: Buffer[] } {
  const magic = bytes.readUInt32LE(0);
  const frames: Buffer[] = [];
  let at = 24;
  while (at + 16 <= bytes.length) {
    const incl = bytes.readUInt32LE(at + 8);
    if (at + 16 + incl > bytes.length) break;
    frames.push(bytes.subarray(at + 16 + 42, at + 16 + incl));
    at += 16 + incl;
  }
  return { magic, frames };
}

describe('recorder', () => {
  it('names captures kdscope-YYYY-MM-DD-HH-mm-ss.pcap', () => {
    expect(defaultCaptureName(new Date(2026, 0, 2, 3, 4, 5))).toBe(
      'kdscope-2026-01-02-03-04-05.pcap',
    );
    expect(defaultCaptureName(new Date(2026, 10, 25, 13, 14, 15), 'pcapng')).toBe(
      'kdscope-2026-11-25-13-14-15.pcapng',
    );
  });

  it.each(['pcap', 'pcapng'] as const)(
    'records one frame per relayed chunk (%s), readable by our reader and tshark',
    async (format) => {
      const path = join(dir, `c.${format}`);
      const recorder = Recorder.open(path, format);
      const { bridge, dbg, tgt } = await pair([recorder]);
      const sent = await exchange(dbg, tgt, 20);
      await bridge.close();
      expect(recorder.frames).toBe(40);
      const chunks: { dir: string; bytes: Uint8Array; timeUs: number }[] = [];
      openCapture(path).forEach((c) =>
        chunks.push({ dir: c.dir, bytes: c.bytes.slice(), timeUs: c.timeUs }),
      );
      expect(chunks).toHaveLength(40);
      chunks.forEach((c, i) => {
        expect(c.dir).toBe(i % 2 === 0 ? 'debugger->target' : 'target->debugger');
        expect(Buffer.compare(Buffer.from(c.bytes), Buffer.from(sent[i]!))).toBe(0);
      });
      expect(Math.abs(chunks[0]!.timeUs / 1000 - Date.now())).toBeLessThan(60_000);
      const lines = tshark(['-r', path, '-T', 'fields', '-e', 'udp.srcport']).trim().split('\n');
      expect(lines).toHaveLength(40);
      expect(lines[0]).toBe('51111');
      expect(lines[1]).toBe('51112');
    },
  );

  it('a write failure stops recording with one line; the relay goes on', async () => {
    // A pipe whose reader goes away: every later write fails with EPIPE, a real I/O error.
    const fifo = join(dir, 'capture.fifo');
    spawnSync('mkfifo', [fifo]);
    const { PcapWriter } = await import('../../electron/capture');
    const { openSync, closeSync, constants } = await import('node:fs');
    // Reader first (non-blocking), so opening the write end does not block.
    const readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const fd = openSync(fifo, 'w');
    const recorder = new Recorder(PcapWriter.fromFd(fd, { label: fifo, closeFd: true }), fifo);
    const { bridge, dbg, tgt } = await pair([recorder]);
    const errors: string[] = [];
    bridge.subscribe((e) => {
      if (e.kind === 'error') errors.push(e.message);
    });
    await exchange(dbg, tgt, 2);
    closeSync(readFd);
    await exchange(dbg, tgt, 3);
    await until(() => errors.length > 0, 'the error line');
    expect(recorder.recording).toBe(false);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^recording stopped \(the relay goes on\): cannot write capture .*capture\.fifo: .*EPIPE/,
    );
    expect(errors[0]).not.toContain('\n');
    await exchange(dbg, tgt, 2);
    // The relay thread hands chunks over a moment after it wrote them.
    await until(() => bridge.counters()['debugger->target'].chunks === 7, 'seven chunks counted');
  });

  const canMount = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;
  it.runIf(canMount)(
    'disk full: recording stops with ENOSPC, the file stays readable',
    async () => {
      const mnt = join(dir, 'small');
      mkdirSync(mnt);
      const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
      if (mounted.status !== 0) throw new Error(`mount tmpfs failed: ${mounted.stderr}`);
      cleanups.push(() => void spawnSync('umount', [mnt]));
      const path = join(mnt, 'full.pcap');
      const recorder = Recorder.open(path);
      const { bridge, dbg, tgt } = await pair([recorder]);
      const errors: string[] = [];
      bridge.subscribe((e) => {
        if (e.kind === 'error') errors.push(e.message);
      });
      const big = new Uint8Array(3000).fill(0x41);
      // 64 KiB fill after ~21 chunks: 40 chunks (one at a time) meet the full disk; the taps
      // see them a little later.
      for (let i = 0; i < 40; i++) {
        const got = once(tgt, 'data');
        dbg.write(big);
        await got;
      }
      await until(() => errors.length > 0, 'the recorder to meet the full disk');
      expect(errors[0]).toMatch(/recording stopped .*ENOSPC|no space/i);
      const frames: number[] = [];
      openCapture(path).forEach((c) => frames.push(c.bytes.length));
      expect(frames.length).toBe(recorder.frames);
      expect(frames.every((n) => n === 3000)).toBe(true);
      // Still relaying.
      const got = once(tgt, 'data');
      dbg.write(encodeReset());
      await got;
      await bridge.close();
    },
  );
});

describe('live Wireshark sink', () => {
  it('FIFO: a late reader gets the header then frames; a reader that quits does not stop the bridge; the next one starts fresh', async () => {
    const fifo = join(dir, 'live.fifo');
    const sink = createLiveSink(fifo, { retryMs: 20 });
    const { bridge, dbg, tgt } = await pair([sink]);
    const errors: string[] = [];
    bridge.subscribe((e) => {
      if (e.kind === 'error') errors.push(e.message);
    });
    expect(statSync(fifo).isFIFO()).toBe(true);
    // Nobody reads yet: frames go nowhere, nothing blocks.
    await exchange(dbg, tgt, 3);

    const readAll = (
      stopAfter: number,
    ): { done: Promise<Buffer>; stream: ReturnType<typeof createReadStream> } => {
      const stream = createReadStream(fifo);
      const parts: Buffer[] = [];
      const done = new Promise<Buffer>((resolve) => {
        stream.on('data', (c) => {
          parts.push(c as Buffer);
          const all = Buffer.concat(parts);
          if (all.length >= 24 && parsePcapStream(all).frames.length >= stopAfter) resolve(all);
        });
      });
      return { done, stream };
    };
    const first = readAll(4);
    await until(() => sink.readers === 1, 'the sink to see the reader');
    const sent = await exchange(dbg, tgt, 2);
    const firstBytes = await first.done;
    const parsed = parsePcapStream(firstBytes);
    expect(parsed.magic).toBe(0xa1b2c3d4);
    expect(parsed.frames.map((f) => Buffer.from(f).toString('hex'))).toEqual(
      sent.map((s) => Buffer.from(s).toString('hex')),
    );

    // The reader quits (Wireshark closed): the bridge keeps relaying.
    // A writer learns that the reader left only by writing (EPIPE), and the reader's fd closes
    // only once its pending read returns: keep the session going until the sink notices.
    first.stream.destroy();
    for (let i = 0; i < 50 && sink.readers > 0; i++) await exchange(dbg, tgt, 1);
    await until(() => sink.readers === 0, 'the sink to notice');
    expect(errors).toEqual([]);

    const second = readAll(2);
    await until(() => sink.readers === 1, 'the second reader');
    const again = await exchange(dbg, tgt, 1);
    const secondParsed = parsePcapStream(await second.done);
    expect(secondParsed.magic).toBe(0xa1b2c3d4);
    expect(secondParsed.frames.map((f) => Buffer.from(f).toString('hex'))).toEqual(
      again.map((s) => Buffer.from(s).toString('hex')),
    );
    second.stream.destroy();
    await bridge.close();
    expect(existsSync(fifo)).toBe(false);
  });

  it('FIFO read live by tshark -i', async () => {
    const fifo = join(dir, 'ts.fifo');
    const sink = createLiveSink(fifo, { retryMs: 20 });
    const { dbg, tgt } = await pair([sink]);
    if (!hasTshark)
      throw new Error('tshark is not installed (apt-get install tshark): needed for the live test');
    const child = spawn(
      'tshark',
      ['-i', fifo, '-c', '6', '-T', 'fields', '-e', 'udp.srcport', '-e', 'udp.length'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    cleanups.push(() => void child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await until(() => sink.readers === 1, 'tshark to open the FIFO');
    await exchange(dbg, tgt, 3);
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    const rows = out
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows).toHaveLength(6);
    expect(rows[0]).toEqual(['51111', String(8 + 16 + 56 + 1)]);
    expect(rows[1]).toEqual(['51112', String(8 + 16)]);
  });

  it('pipe server (the Windows way, on a unix socket here): each client gets the header first', async () => {
    const path = join(dir, 'live.sock');
    const sink = createStreamServerSink(path);
    const { bridge, dbg, tgt } = await pair([sink]);
    await until(() => existsSync(path), 'the server');
    const clients = [connect({ path }), connect({ path })];
    const received = clients.map(() => [] as Buffer[]);
    clients.forEach((c, i) => c.on('data', (d: Buffer) => received[i]!.push(d)));
    await until(() => sink.readers === 2, 'two readers');
    const sent = await exchange(dbg, tgt, 2);
    await until(
      () =>
        received.every(
          (r) =>
            parsePcapStream(Buffer.concat(r).length >= 24 ? Buffer.concat(r) : Buffer.alloc(24))
              .frames.length >= 4,
        ),
      'frames',
    );
    for (const r of received) {
      const parsed = parsePcapStream(Buffer.concat(r));
      expect(parsed.magic).toBe(0xa1b2c3d4);
      expect(Buffer.concat(parsed.frames).equals(Buffer.from(concatBytes(sent)))).toBe(true);
    }
    clients[0]!.destroy();
    await until(() => sink.readers === 1, 'one reader left');
    await exchange(dbg, tgt, 1);
    clients[1]!.destroy();
    await bridge.close();
  });
});
