// Web mode against a client that breaks the WebSocket protocol after a valid handshake: the
// bad client is dropped with one logged line; the server, the running session and the other
// clients go on. The bad frames are written by hand over a raw TCP socket (node:net).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { Workbench } from '../../electron/engine/workbench/workbench';
import { startWebServer, type WebServer } from '../../electron/web/server';
import { decodeFrame, encodeFrame } from '../../electron/api/contract-wire';
import { createClient } from '../../electron/api/contract-client';
import type { WorkbenchClient } from '../../electron/api/contract';
import { untilWithin } from '../support/until';

const until = untilWithin(15_000);

let dir: string;
let workbench: Workbench;
let server: WebServer;
const logged: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-web-hostile-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>kdscope</title>');
  workbench = new Workbench({ batchRows: 64, capturesDir: dir });
  server = await startWebServer({ workbench, staticDir: dir, log: (line) => logged.push(line) });
});

afterAll(async () => {
  await server.close();
  await workbench.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const origin = (): string => `http://127.0.0.1:${server.port}`;

/** A raw TCP connection that has completed the WebSocket handshake by hand. */
async function rawSocket(): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = connect({ host: '127.0.0.1', port: server.port });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  // The server may reset the connection when it drops us: that is an outcome, not a failure.
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(
    [
      `GET /t/${server.token}/ws HTTP/1.1`,
      `Host: 127.0.0.1:${server.port}`,
      `Origin: ${origin()}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      '',
      '',
    ].join('\r\n'),
  );
  const head = await new Promise<string>((resolve, reject) => {
    let text = '';
    const on = (d: Buffer): void => {
      text += d.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        socket.off('data', on);
        resolve(text);
      }
    };
    socket.on('data', on);
    void closed.then(() => reject(new Error(`closed during the handshake: ${text}`)));
  });
  expect(head.startsWith('HTTP/1.1 101')).toBe(true);
  // Whatever the server sends from now on (a close frame) is read and ignored.
  socket.on('data', () => {});
  return { socket, closed };
}

/** One WebSocket frame: FIN + opcode (+ RSV bits), masked or not. */
function frame(
  opcode: number,
  payload: Uint8Array,
  { mask = true, rsv = 0 }: { mask?: boolean; rsv?: number } = {},
): Buffer {
  const length = payload.length;
  const lengthBytes =
    length < 126
      ? Buffer.from([length])
      : length < 65536
        ? Buffer.from([126, length >> 8, length & 0xff])
        : (() => {
            const b = Buffer.alloc(9);
            b[0] = 127;
            b.writeBigUInt64BE(BigInt(length), 1);
            return b;
          })();
  if (mask) lengthBytes[0]! |= 0x80;
  const key = mask ? randomBytes(4) : Buffer.alloc(0);
  const body = Buffer.from(payload);
  if (mask) for (let i = 0; i < body.length; i++) body[i]! ^= key[i & 3]!;
  return Buffer.concat([Buffer.from([0x80 | (rsv << 4) | opcode]), lengthBytes, key, body]);
}

function openClient(): Promise<{ ws: WebSocket; client: WorkbenchClient }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/t/${server.token}/ws`, {
      origin: origin(),
    });
    ws.binaryType = 'nodebuffer';
    ws.once('error', reject);
    ws.once('open', () => {
      const client = createClient({
        send: (m) => ws.send(encodeFrame(m)),
        onMessage: (l) => {
          const on = (d: Buffer): void => l(decodeFrame(new Uint8Array(d)));
          ws.on('message', on);
          return () => ws.off('message', on);
        },
        onClose: (l) => {
          const on = (): void => l('closed');
          ws.on('close', on);
          return () => ws.off('close', on);
        },
        close: () => ws.close(),
      });
      resolve({ ws, client });
    });
  });
}

describe('web mode against protocol errors', () => {
  const hostile: [string, () => Buffer, RegExp][] = [
    ['a 65,537-byte message', () => frame(0x2, new Uint8Array(65_537)), /max payload/i],
    ['a frame with RSV1 set', () => frame(0x2, new Uint8Array(8), { rsv: 4 }), /RSV1/],
    ['an unmasked frame', () => frame(0x2, new Uint8Array(8), { mask: false }), /MASK/],
  ];

  it('drops each bad client with one logged line; the session and a good client go on', async () => {
    const good = await openClient();
    const packets: number[] = [];
    good.client.on('counters', (c) => packets.push(c.packets));
    await good.client.invoke('session.start', { debugger: 'sim', target: 'sim', rate: 2000 });
    try {
      for (const [what, bytes, reason] of hostile) {
        const before = logged.length;
        const { socket, closed } = await rawSocket();
        socket.write(bytes());
        await closed;
        await until(() => logged.length > before, `the log line for ${what}`);
        expect(logged.length - before, what).toBe(1);
        expect(logged.at(-1), what).toMatch(/^dropped client 127\.0\.0\.1:\d+: .+/);
        expect(logged.at(-1), what).toMatch(reason);
        expect(logged.at(-1), what).not.toContain('\n');

        // The running session and the good client are untouched.
        const seen = packets.length;
        await until(() => packets.length > seen, `counters after ${what}`);
        const status = await good.client.invoke('session.status');
        expect(status.state, what).toBe('running');
        expect(good.ws.readyState, what).toBe(WebSocket.OPEN);
      }
      // A new client can still connect and talk.
      const late = await openClient();
      expect((await late.client.invoke('session.status')).state).toBe('running');
      late.client.dispose();
    } finally {
      await good.client.invoke('session.stop');
      good.client.dispose();
    }
  }, 60_000);

  it('survives a client that resets the connection during an upgrade it is refused', async () => {
    const before = logged.length;
    for (let i = 0; i < 20; i++) {
      const socket = connect({ host: '127.0.0.1', port: server.port });
      socket.on('error', () => {});
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      // No token: refused with a 403 the client does not wait to read.
      socket.write(
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      socket.resetAndDestroy();
    }
    const good = await openClient();
    expect((await good.client.invoke('session.status')).state).not.toBe('failed');
    good.client.dispose();
    expect(logged.slice(before).every((l) => !l.includes('\n'))).toBe(true);
  }, 30_000);
});
