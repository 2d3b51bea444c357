import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import WebSocket from 'ws';
import { Workbench } from '../../electron/engine/workbench/workbench';
import { NO_TOKEN_TEXT, startWebServer, type WebServer } from '../../electron/web/server';
import { decodeFrame, encodeFrame, type ServerMessage } from '../../electron/api/contract-wire';
import { createClient } from '../../electron/api/contract-client';
import type { RecordsEvent, WorkbenchClient } from '../../electron/api/contract';
import { batchFromBytes } from '../../protocol/records/columns';
import { untilWithin } from '../support/until';

const until = untilWithin(15_000);

let dir: string;
let workbench: Workbench;
let server: WebServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-web-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>kdscope</title>');
  writeFileSync(join(tmpdir(), 'kdscope-secret.txt'), 'secret');
  workbench = new Workbench({ batchRows: 64, capturesDir: dir });
  server = await startWebServer({ workbench, staticDir: dir });
});

afterAll(async () => {
  await server.close();
  await workbench.dispose();
  rmSync(dir, { recursive: true, force: true });
  rmSync(join(tmpdir(), 'kdscope-secret.txt'), { force: true });
});

function get(
  path: string,
  host = `127.0.0.1:${server.port}`,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path, headers: { host } },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A request as the page sends it: Origin and Host of the server unless told otherwise. */
function send(
  method: string,
  path: string,
  headers: { host?: string; origin?: string | null } = {},
): Promise<{ status: number; body: string }> {
  const origin = headers.origin === undefined ? `http://127.0.0.1:${server.port}` : headers.origin;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        method,
        headers: {
          host: headers.host ?? `127.0.0.1:${server.port}`,
          ...(origin === null ? {} : { origin }),
        },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function openSocket(path: string, origin?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, origin ? { origin } : {});
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function clientOver(ws: WebSocket): WorkbenchClient {
  return createClient({
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
}

const origin = (): string => `http://127.0.0.1:${server.port}`;
const path = (rest: string): string => `/t/${server.token}${rest}`;

describe('web mode security', () => {
  it('listens on 127.0.0.1 only and prints a URL with the token', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/t/${server.token}/`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
    // Another address of this machine (when it has one) does not reach the server.
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && !a.internal && a.family === 'IPv4');
    const targets = ['::1', ...(external ? [external.address] : [])];
    for (const host of targets) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect({ host, port: server.port });
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      expect(outcome, host).not.toBe('connected');
    }
  });

  it('serves the app with the token and a strict CSP', async () => {
    const res = await get(path('/'));
    expect(res.status).toBe(200);
    expect(res.body).toContain('kdscope');
    expect(String(res.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(String(res.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
  });

  it('refuses requests without the token, with a wrong token, a foreign Host or a path outside', async () => {
    const bare = await get('/');
    expect(bare.status).toBe(403);
    // It says where the URL with the token is printed, whichever way web mode was started.
    for (const how of ['kdscope serve', 'npm run web', 'npm start'])
      expect(bare.body).toContain(how);
    expect((await get('/index.html')).status).toBe(403);
    expect((await get(`/t/${server.token.slice(1)}x/`)).status).toBe(403);
    expect((await get(`/t/wrong/`)).status).toBe(403);
    expect((await get(path('/'), `evil.example:${server.port}`)).status).toBe(403);
    const traversal = await get(path('/..%2f..%2fkdscope-secret.txt'));
    expect(traversal.status).toBe(403);
    expect(traversal.body).not.toContain('secret');
  });

  it('refuses sockets without the token, with a wrong token or a foreign Origin', async () => {
    await expect(openSocket('/ws', origin())).rejects.toThrow(/403/);
    await expect(openSocket('/t/nope/ws', origin())).rejects.toThrow(/403/);
    await expect(openSocket(path('/ws'), 'http://evil.example')).rejects.toThrow(/403/);
    await expect(openSocket(path('/ws'))).rejects.toThrow(/403/);
  });

  it("tells a page whether its engine is there by its token alone, by the socket's rules", async () => {
    const alive = path('/alive');
    expect(await send('POST', alive)).toEqual({ status: 200, body: 'kdscope\n' });
    expect((await send('POST', alive, { origin: `http://localhost:${server.port}` })).status).toBe(
      200,
    );
    // A page of another run (another token), or none: 403 and nothing more.
    const wrong = await send('POST', `/t/${server.token.slice(1)}x/alive`);
    expect(wrong.status).toBe(403);
    expect(wrong.body).toBe(`${NO_TOKEN_TEXT}\n`);
    expect((await send('POST', '/t/nope/alive')).status).toBe(403);
    expect((await send('POST', '/alive')).status).toBe(403);
    expect((await send('POST', '/t//alive')).status).toBe(403);
    // The socket's Host and Origin rules: no DNS rebinding, no other site's page, no Origin.
    expect((await send('POST', alive, { host: `evil.example:${server.port}` })).status).toBe(403);
    expect((await send('POST', alive, { origin: 'http://evil.example' })).status).toBe(403);
    expect(
      (await send('POST', alive, { origin: `http://127.0.0.1:${server.port + 1}` })).status,
    ).toBe(403);
    expect((await send('POST', alive, { origin: null })).status).toBe(403);
    expect((await send('GET', alive)).status).toBe(405);
  });

  it('closes a socket that sends a malformed or disallowed message', async () => {
    const ws = await openSocket(path('/ws'), origin());
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send(encodeFrame({ t: 'req', id: 1, op: 'session.start' }).fill(7, 4));
    expect(await closed).toBe(1008);
    const ws2 = await openSocket(path('/ws'), origin());
    const closed2 = new Promise<number>((r) => ws2.once('close', (code) => r(code)));
    ws2.send(JSON.stringify({ t: 'req', id: 1, op: 'session.stop' }));
    expect(await closed2).toBe(1003);
  });
});

describe('web mode streaming', () => {
  it('streams record batches within the window and continues on ack', async () => {
    const ws = await openSocket(path('/ws'), origin());
    const client = clientOver(ws);
    const batches: RecordsEvent[] = [];
    client.on('records', (e) => batches.push(e));
    await client.invoke('stream.ready', { window: 1 });
    const info = await client.invoke('session.start', {
      debugger: 'sim',
      target: 'sim',
      rate: 5000,
    });
    expect(info.target).toBe('sim');
    await until(() => batches.length > 0, 'the first batch');
    const first = batches[0]!;
    // Window 1 and no ack: exactly one batch in flight however much the engine produced. A
    // batch is sealed (and sent, if the window allows) as its 64th row comes, before the rows
    // are counted: once the status counts two more batches' worth, a second one would be here.
    await until(
      async () => (await client.invoke('session.status')).counters.packets >= first.count + 2 * 64,
      'two more batches of rows',
    );
    expect(batches.length).toBe(1);
    const batch = batchFromBytes(first.batch);
    expect(first.firstNo).toBe(1);
    expect(batch.count).toBe(first.count);
    await client.invoke('stream.ack', first.seq);
    await until(() => batches.length > 1, 'the next batch after the ack');
    expect(batches.length).toBe(2);
    expect(batches[1]!.firstNo).toBe(first.firstNo + first.count);
    const status = await client.invoke('session.status');
    expect(status.state).toBe('running');
    expect(status.counters.packets).toBeGreaterThan(first.count);
    const bytes = await client.invoke('packets.bytes', 3);
    expect(bytes?.bytes.length).toBeGreaterThanOrEqual(16);
    expect(bytes?.fields[0]?.name).toBeTruthy();
    await expect(
      client.invoke('session.start', { debugger: 'sim', target: 'sim' }),
    ).rejects.toThrow(/already running/);
    await client.invoke('session.stop');
    expect((await client.invoke('session.status')).state).toBe('stopped');
    client.dispose();
  });

  it('pushes session state and counters to every connection', async () => {
    const ws = await openSocket(path('/ws'), origin());
    const client = clientOver(ws);
    const seen: string[] = [];
    client.on('session.state', (s) => seen.push(s.state));
    const counters: number[] = [];
    client.on('counters', (c) => counters.push(c.packets));
    await client.invoke('session.start', { debugger: 'sim', target: 'sim', rate: 1000 });
    await until(() => (counters.at(-1) ?? 0) > 0, 'counters with packets');
    await client.invoke('session.stop');
    await until(() => seen.at(-1) === 'stopped', 'the stopped state');
    // Peer changes push the state again: what matters is the order of the transitions.
    expect(seen.filter((s, i) => s !== seen[i - 1])).toEqual(['running', 'stopped']);
    expect(counters.length).toBeGreaterThanOrEqual(2);
    expect(counters.at(-1)).toBeGreaterThan(0);
    client.dispose();
  });
});

export type { ServerMessage };
