// Web mode's download route for recorded sessions: /t/TOKEN/captures/NAME serves a plain file
// name of the captures folder as an attachment, and nothing else (no token, no path, no file
// outside the folder, no file that is not a capture). A running session's capture is listed as
// live and downloads as far as it is written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Workbench } from '../../electron/engine/workbench/workbench';
import { startWebServer, type WebServer } from '../../electron/web/server';
import { openCapture } from '../../electron/capture';
import { untilWithin } from '../support/until';

let dir: string;
let captures: string;
let workbench: Workbench;
let server: WebServer;
const until = untilWithin(20_000);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-web-dl-'));
  captures = join(dir, 'captures');
  mkdirSync(captures);
  mkdirSync(join(captures, 'sub.pcap'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>kdscope</title>');
  writeFileSync(join(dir, 'outside.pcap'), 'outside');
  writeFileSync(join(captures, 'old-session.pcap'), Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 1, 2]));
  writeFileSync(join(captures, 'notes.txt'), 'not a capture');
  writeFileSync(join(captures, '.hidden.pcap'), 'hidden');
  symlinkSync(join(dir, 'outside.pcap'), join(captures, 'link.pcap'));
  workbench = new Workbench({ capturesDir: captures });
  server = await startWebServer({ workbench, staticDir: dir });
});

afterAll(async () => {
  await server.close();
  await workbench.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        method,
        headers: { host: `127.0.0.1:${server.port}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const under = (rest: string): string => `/t/${server.token}${rest}`;

describe('the captures download route', () => {
  it('serves a capture of the folder as an attachment', async () => {
    const res = await get(under('/captures/old-session.pcap'));
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toBe('attachment; filename="old-session.pcap"');
    expect(res.headers['content-type']).toBe('application/vnd.tcpdump.pcap');
    expect(res.headers['content-length']).toBe('6');
    expect(res.body).toEqual(readFileSync(join(captures, 'old-session.pcap')));
    const head = await get(under('/captures/old-session.pcap'), 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('needs the token', async () => {
    expect((await get('/captures/old-session.pcap')).status).toBe(403);
    expect((await get('/t/wrong/captures/old-session.pcap')).status).toBe(403);
  });

  it('serves nothing outside the folder, no folder part, no other file', async () => {
    const refused = [
      '/captures/../outside.pcap',
      '/captures/..%2foutside.pcap',
      '/captures/%2e%2e%2foutside.pcap',
      '/captures/%2e%2e%5coutside.pcap',
      `/captures/${encodeURIComponent(join(dir, 'outside.pcap'))}`,
      '/captures/sub.pcap',
      '/captures/sub.pcap/x.pcap',
      '/captures/notes.txt',
      '/captures/.hidden.pcap',
      '/captures/old-session.pcap%00.txt',
      '/captures/missing.pcap',
      '/captures/',
      '/captures/%E0%A4%A',
      // A link in the folder may point anywhere: only plain files are served.
      '/captures/link.pcap',
    ];
    for (const path of refused) {
      const res = await get(under(path));
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.body.toString(), path).not.toContain('outside');
      expect(res.body.toString(), path).not.toContain('not a capture');
      expect(res.headers['content-disposition'], path).toBeUndefined();
    }
  });

  it("lists the running session's capture as live, newest first, and serves what is written", async () => {
    const info = await workbench.start({ debugger: 'sim', target: 'sim', rate: 5000 });
    await until(() => workbench.status().counters.packets > 100, '100 packets');
    const list = (await new Promise((resolve) => {
      const handlers = workbench.connect(() => undefined);
      void handlers['captures.list']().then((l) => {
        handlers.dispose();
        resolve(l);
      });
    })) as { name: string; live?: boolean }[];
    expect(list[0]).toMatchObject({ name: basename(info.capture!), live: true });
    expect(list.filter((c) => c.live)).toHaveLength(1);
    const mid = await get(under(`/captures/${basename(info.capture!)}`));
    expect(mid.status).toBe(200);
    expect(mid.body.length).toBeGreaterThan(24);
    await workbench.stop();
    const handlers = workbench.connect(() => undefined);
    const after = await handlers['captures.list']();
    handlers.dispose();
    expect(after[0]).toMatchObject({ name: basename(info.capture!) });
    expect(after.filter((c) => c.live)).toEqual([]);
    const done = await get(under(`/captures/${basename(info.capture!)}`));
    expect(done.body).toEqual(readFileSync(info.capture!));
    let frames = 0;
    const file = join(dir, 'downloaded.pcap');
    writeFileSync(file, done.body);
    openCapture(file).forEach(() => frames++);
    expect(frames).toBe(workbench.status().counters.frames);
  });
});
