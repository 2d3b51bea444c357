// Web mode's file routes over real HTTP: an upload (the page opening a capture) needs the
// token, the page's Host and Origin, a plain file name and a size under the limit, and lands
// only in the engine's uploads folder; an export downloads by its id, nothing else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ExportProgress } from '../../electron/api/contract';
import { Workbench } from '../../electron/engine/workbench/workbench';
import { uploadName } from '../../electron/web/file-routes';
import { startWebServer, type WebServer } from '../../electron/web/server';
import { generateRealisticStream, randomChunks } from '../support/kd-gen';
import { writeCapture } from '../support/pcap-fixtures';
import { untilWithin } from '../support/until';

const until = untilWithin(15_000);
const LIMIT = 256 * 1024;

let dir: string;
let uploadsBase: string;
let workbench: Workbench;
let server: WebServer;
let capture: Uint8Array;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-web-files-'));
  uploadsBase = join(dir, 'base');
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>kdscope</title>');
  const source = join(dir, 'source.pcap');
  const a = randomChunks(generateRealisticStream(30_000, 1).bytes, 2, 1, 700);
  writeCapture(
    source,
    a.map((bytes, i) => ({ dir: 'debugger->target' as const, timeUs: 1e15 + i, bytes })),
  );
  capture = readFileSync(source);
  workbench = new Workbench({ capturesDir: join(dir, 'captures'), exportsDir: dir });
  server = await startWebServer({
    workbench,
    staticDir: dir,
    uploadLimitBytes: LIMIT,
    uploadsBase,
  });
});

afterAll(async () => {
  await server.close();
  await workbench.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function send(
  method: string,
  path: string,
  options: {
    body?: Uint8Array | 'stream';
    headers?: Record<string, string>;
    chunked?: boolean;
  } = {},
): Promise<Answer | { error: string }> {
  return new Promise((resolve) => {
    const origin = `http://127.0.0.1:${server.port}`;
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        method,
        path,
        headers: {
          host: `127.0.0.1:${server.port}`,
          origin,
          'content-type': 'application/octet-stream',
          ...options.headers,
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(parts),
          }),
        );
        res.on('error', (e) => resolve({ error: e.message }));
      },
    );
    req.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
    if (options.body === 'stream') {
      // A body with no announced size that never ends by itself: 1 MiB in 64 KiB writes.
      let sent = 0;
      const pump = (): void => {
        while (sent < 1 << 20) {
          sent += 65536;
          if (!req.write(Buffer.alloc(65536, 0x41))) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    } else req.end(options.body);
  });
}

const answer = (a: Answer | { error: string }): Answer => {
  if ('error' in a) throw new Error(`no answer: ${a.error}`);
  return a;
};

const uploads = (): string[] =>
  existsSync(uploadsBase) ? readdirSync(uploadsBase, { recursive: true }).map(String) : [];
const uploadedFiles = (): string[] => uploads().filter((f) => /\.\w+$/.test(f));

const up = (name: string): string => `/t/${server.token}/upload?name=${encodeURIComponent(name)}`;

describe('upload', () => {
  it('streams the file into a fresh folder of its own and answers its path', async () => {
    const a = answer(await send('POST', up('seed session.pcap'), { body: capture }));
    expect(a.status).toBe(201);
    const json = JSON.parse(a.body.toString()) as { path: string; name: string; bytes: number };
    expect(json).toMatchObject({ name: 'seed session.pcap', bytes: capture.length });
    expect(dirname(dirname(json.path)).startsWith(join(uploadsBase, 'kdscope-uploads-'))).toBe(
      true,
    );
    expect(readFileSync(json.path)).toEqual(Buffer.from(capture));
    // The page opens it next, like any capture; the list of recent captures shows its name.
    const info = await workbench.open({ path: json.path });
    expect(info.opened).toMatchObject({ name: 'seed session.pcap', format: 'pcap' });
    await until(() => workbench.status().state === 'stopped', 'read');
  });

  it('needs the token, the page Host and Origin, POST and octet-stream', async () => {
    const before = uploads().length;
    const cases: [string, Parameters<typeof send>[2], string | number, number][] = [
      [`/t/wrong-token/upload?name=a.pcap`, { body: capture }, 'POST', 403],
      [`/upload?name=a.pcap`, { body: capture }, 'POST', 403],
      [up('a.pcap'), { body: capture, headers: { host: `localhost:1` } }, 'POST', 403],
      [up('a.pcap'), { body: capture, headers: { origin: 'http://evil.example' } }, 'POST', 403],
      [up('a.pcap'), { body: capture, headers: { origin: '' } }, 'POST', 403],
      [up('a.pcap'), { body: capture, headers: { 'content-type': 'text/plain' } }, 'POST', 415],
      [up('a.pcap'), {}, 'GET', 405],
      [up('a.pcap'), { body: capture }, 'PUT', 405],
    ];
    for (const [path, options, method, status] of cases) {
      const a = answer(await send(String(method), path, options));
      expect([path, method, a.status]).toEqual([path, method, status]);
    }
    expect(uploads().length).toBe(before);
  });

  it('refuses names that are not one plain file name, writing nothing anywhere', async () => {
    const before = uploadedFiles();
    const outside = join(uploadsBase, 'escaped.pcap');
    for (const name of [
      '../escaped.pcap',
      '../../escaped.pcap',
      '..',
      '.',
      '',
      '   ',
      'a/b.pcap',
      'a\\b.pcap',
      'nul\0.pcap',
      'line\nbreak.pcap',
      'x'.repeat(201),
    ]) {
      const a = answer(await send('POST', up(name), { body: capture }));
      expect([name, a.status]).toEqual([name, 400]);
    }
    const raw = answer(await send('POST', `/t/${server.token}/upload`, { body: capture }));
    expect(raw.status).toBe(400);
    expect(existsSync(outside)).toBe(false);
    expect(existsSync(join(dirname(uploadsBase), 'escaped.pcap'))).toBe(false);
    expect(uploadedFiles()).toEqual(before);
    // Whatever the URL path holds, only /upload under the token uploads.
    for (const path of [
      `/t/${server.token}/upload/../upload?name=a.pcap`,
      `/t/${server.token}/../${server.token}/upload?name=a.pcap`,
      `/t/${server.token}/%2e%2e/upload?name=a.pcap`,
    ]) {
      const a = answer(await send('POST', path, { body: capture }));
      expect([path, a.status >= 400]).toEqual([path, true]);
    }
    expect(uploadedFiles()).toEqual(before);
    expect(uploadName('ok name (2).pcapng.gz')).toBe('ok name (2).pcapng.gz');
  });

  it('refuses a file over the limit, announced or streamed, and keeps nothing of it', async () => {
    const before = uploadedFiles();
    const big = new Uint8Array(LIMIT + 1);
    const announced = answer(await send('POST', up('big.pcap'), { body: big }));
    expect(announced.status).toBe(413);
    expect(announced.body.toString()).toMatch(/too large: uploads are limited to 262144 bytes/);
    // No size announced: refused once the limit is passed (the answer, or the connection
    // closed while the client still sends).
    const streamed = await send('POST', up('stream.pcap'), { body: 'stream' });
    if ('error' in streamed) expect(streamed.error).toMatch(/ECONNRESET|EPIPE/);
    else expect(streamed.status).toBe(413);
    await until(() => uploadedFiles().length === before.length, 'the partial upload removed');
    expect(uploadedFiles()).toEqual(before);
    // The server goes on.
    expect(answer(await send('POST', up('after.pcap'), { body: capture })).status).toBe(201);
  });
});

describe('export download', () => {
  it('downloads a finished export by its id, and nothing else', async () => {
    const progress: ExportProgress[] = [];
    const handlers = workbench.connect((name, data) => {
      if (name === 'export') progress.push(data as ExportProgress);
    });
    try {
      const job = await handlers['export.start']({ packets: 'all', format: 'pcapng' });
      await until(() => progress.some((p) => p.state === 'done'), 'the export');
      const done = progress.find((p) => p.state === 'done')!;
      expect(done.file?.download).toBe(`exports/${job.id}`);
      const file = workbench.exportFile(job.id)!;
      const a = answer(await send('GET', `/t/${server.token}/${done.file!.download!}`));
      expect(a.status).toBe(200);
      expect(a.headers['content-disposition']).toBe(
        `attachment; filename="seed_session-export.pcapng"; filename*=UTF-8''seed_session-export.pcapng`,
      );
      expect(a.headers['content-type']).toBe('application/x-pcapng');
      expect(a.body).toEqual(readFileSync(file.path));
      const head = answer(await send('HEAD', `/t/${server.token}/exports/${job.id}`));
      expect([head.status, head.headers['content-length'], head.body.length]).toEqual([
        200,
        String(a.body.length),
        0,
      ]);
      for (const [method, path, status] of [
        ['GET', `/exports/${job.id}`, 403],
        ['GET', `/t/nope/exports/${job.id}`, 403],
        ['POST', `/t/${server.token}/exports/${job.id}`, 405],
        ['GET', `/t/${server.token}/exports/00000000-0000-0000-0000-000000000000`, 404],
        ['GET', `/t/${server.token}/exports/..%2F..%2Fsource.pcap`, 404],
        ['GET', `/t/${server.token}/exports/../source.pcap`, 404],
        ['GET', `/t/${server.token}/exports/`, 404],
      ] as const) {
        const r = answer(await send(method, path));
        expect([method, path, r.status]).toEqual([method, path, status]);
      }
    } finally {
      handlers.dispose();
    }
  });
});
