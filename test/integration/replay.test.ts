// `kdscope replay` as a real process: the real KDNET capture's target side to a listening UDP
// socket, every datagram byte-identical; a serial capture's side into a unix socket, its bytes
// exactly; the recorded pace kept; bad usage refused with one line.
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readUdpDatagrams } from '../../electron/capture/capture-datagrams';
import type { StreamChunk } from '../../electron/capture/chunk';
import { SESSION_BASIC } from '../fixtures/session-basic';
import { buildPcap, makeTempDir, writeCapture, type TempDir } from '../support/pcap-fixtures';
import { Processes } from '../support/kdscope-process';
import { collectUdp, sha256 } from '../support/udp';
import { untilWithin } from '../support/until';

const REAL = join(import.meta.dirname, '../fixtures/windbg-uncut.pcapng.gz');
const p = new Processes();
const until = untilWithin(20_000);
let tmp: TempDir;
beforeEach(() => {
  tmp = makeTempDir('kdscope-replay-');
});
afterEach(() => {
  p.killAll();
  tmp.cleanup();
});

/** A unix socket server that keeps the bytes of its one connection. */
async function collectStream(path: string) {
  const chunks: Buffer[] = [];
  let ended = false;
  const server = createServer((socket: Socket) => {
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('end', () => (ended = true));
  });
  server.listen(path);
  await once(server, 'listening');
  return { bytes: () => Buffer.concat(chunks), ended: () => ended, close: () => server.close() };
}

describe('kdscope replay (process)', () => {
  it('the real capture: every target datagram arrives byte-identical, in order', async () => {
    const listener = await collectUdp();
    try {
      const run = p.kdscope([
        'replay',
        REAL,
        '--to',
        `udp:127.0.0.1:${listener.port}`,
        '--speed',
        'max',
      ]);
      expect(await run.exit).toBe(0);
      expect(run.stderr).toBe('');
      // The target is 192.168.2.72 in this capture (PROTOCOL.md); replay found it by its poke.
      const expected = readUdpDatagrams(REAL)
        .datagrams.filter((d) => d.src === '192.168.2.72')
        .map((d) => sha256(d.payload));
      expect(expected).toHaveLength(692);
      await until(() => listener.received.length >= expected.length, 'every datagram');
      expect(listener.received.map((r) => sha256(r.bytes))).toEqual(expected);
      expect(run.stdout).toMatch(/^replayed 692 KDNET datagrams \(\d+ bytes\) of the target side/);
    } finally {
      listener.close();
    }
  });

  it('with the key, the debugger side is told apart by decryption', async () => {
    const listener = await collectUdp();
    try {
      const run = p.kdscope([
        'replay',
        REAL,
        '--to',
        `udp:127.0.0.1:${listener.port}`,
        '--side',
        'debugger',
        '--key',
        '8.8.8.8',
        '--speed',
        'max',
      ]);
      expect(await run.exit).toBe(0);
      const expected = readUdpDatagrams(REAL)
        .datagrams.filter((d) => d.src === '192.168.2.1')
        .map((d) => sha256(d.payload));
      await until(() => listener.received.length >= expected.length, 'every datagram');
      expect(listener.received.map((r) => sha256(r.bytes))).toEqual(expected);
    } finally {
      listener.close();
    }
  });

  it('a serial capture into a unix socket: exactly the bytes of that side, at the recorded pace', async () => {
    const frames: StreamChunk[] = SESSION_BASIC.map((s) => ({
      dir: s.dir,
      timeUs: s.timeMs * 1000,
      bytes: s.bytes,
    }));
    const capture = tmp.file('basic.pcap');
    writeCapture(capture, frames, 'pcap');
    for (const [side, dir] of [
      ['target', 'target->debugger'],
      ['debugger', 'debugger->target'],
    ] as const) {
      const sock = tmp.file(`${side}.sock`);
      const server = await collectStream(sock);
      try {
        const mine = frames.filter((f) => f.dir === dir);
        const run = p.kdscope(['replay', capture, '--to', `unix:${sock}`, '--side', side]);
        expect(await run.exit).toBe(0);
        await until(() => server.ended(), 'the replay to close its connection');
        expect(server.bytes()).toEqual(Buffer.concat(mine.map((f) => f.bytes)));
        // At the recorded pace: no sooner than its span (a lower bound only).
        const spanMs = (mine.at(-1)!.timeUs - mine[0]!.timeUs) / 1000;
        const elapsed = Number(/in (\d+) ms/.exec(run.stdout)?.[1]);
        expect(elapsed).toBeGreaterThanOrEqual(Math.floor(spanMs));
      } finally {
        server.close();
      }
    }
  });

  it('refuses bad usage and unreachable input with one line', async () => {
    const capture = tmp.file('basic.pcap');
    writeCapture(capture, [{ dir: 'debugger->target', timeUs: 1, bytes: Uint8Array.of(0x62) }]);
    const cut = tmp.file('cut.pcap');
    writeFileSync(cut, readFileSync(capture).subarray(0, -1));
    const unknownLink = tmp.file('unknown-link.pcap');
    writeFileSync(
      unknownLink,
      buildPcap([{ timeUs: 1, data: Uint8Array.of(0x30, 0x30, 0x30, 0x30) }], { linkType: 147 }),
    );
    const cases: [string[], number, RegExp][] = [
      [['replay', capture], 2, /--to EP is needed/],
      [['replay', capture, '--to', 'udp:127.0.0.1:9', '--side', 'both'], 2, /--side must be/],
      [['replay', capture, '--to', 'udp:127.0.0.1:9', '--speed', '0'], 2, /--speed must be/],
      [['replay', tmp.file('none.pcap'), '--to', 'udp:127.0.0.1:9'], 2, /cannot read capture/],
      [
        ['replay', cut, '--to', 'udp:127.0.0.1:9'],
        2,
        /^kdscope replay: \S*cut\.pcap: truncated packet record at byte 24 \(frame 1\)/,
      ],
      [['replay', capture, '--to', 'sim'], 2, /^kdscope replay: --to: replay sends to udp:/],
      [['replay', capture, '--to', 'udp:127.0.0.1:9'], 1, /the target sent nothing to replay/],
      // Frames of a link type that carries no KD bytes: as decode says of it.
      [
        ['replay', unknownLink, '--to', 'udp:127.0.0.1:9'],
        2,
        /^kdscope replay: nothing to replay: .*unknown-link\.pcap: none of its 1 frames carries KD bytes/,
      ],
      [['replay', REAL, '--to', `unix:${tmp.file('x.sock')}`], 2, /give --key W\.X\.Y\.Z/],
      [
        ['replay', REAL, '--to', 'udp:127.0.0.1:9', '--key', '8.8.8.9'],
        1,
        /955 KDNET datagrams failed authentication: wrong key\?/,
      ],
      [
        ['replay', capture, '--to', `unix:${tmp.file('nobody.sock')}`, '--side', 'debugger'],
        1,
        /nobody listens|no such socket/,
      ],
    ];
    for (const [args, code, message] of cases) {
      const run = p.kdscope(args);
      expect(await run.exit, args.join(' ')).toBe(code);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
