// `kdscope serve --captures DIR` as a real process: a session started from a client records to
// DIR; with the file size limited (prlimit, a real EFBIG like a full disk) recording stops with
// one line in the status, the session streams on and the capture stays whole up to its last
// frame; a folder that cannot be created is one line and exit 1.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import WebSocket from 'ws';
import { createClient } from '../../electron/api/contract-client';
import { decodeFrame, encodeFrame } from '../../electron/api/contract-wire';
import type { SessionStatus, WorkbenchClient } from '../../electron/api/contract';
import { openCapture } from '../../electron/capture';
import { ensureRendererBuilt, root } from '../e2e/harness';

const bin = join(root, 'bin/kdscope.mjs');
let dir: string;
const cleanups: (() => void)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-serve-capture-'));
});
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Builds the UI and the CLI bundle up front, so a limited child never has to write them. */
async function prepare(): Promise<void> {
  await ensureRendererBuilt();
  const warm = spawnSync(process.execPath, [bin, 'serve', '--port', 'x'], { encoding: 'utf8' });
  if (warm.status !== 2) throw new Error(`kdscope did not start: ${warm.stderr}`);
}

async function serve(
  args: string[],
  prefix: string[] = [],
): Promise<{ child: ChildProcessWithoutNullStreams; url: string; out: () => string }> {
  const [cmd, ...rest] = [...prefix, process.execPath, bin, 'serve', '--port', '0', ...args];
  const child = spawn(cmd!, rest, { cwd: root });
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 60_000);
    const look = (): void => {
      const m = /open (http:\/\/127\.0\.0\.1:\d+\/t\/[A-Za-z0-9_-]+\/)\n[^\n]*\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout.on('data', look);
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  return { child, url, out: () => out };
}

async function clientFor(url: string): Promise<WorkbenchClient> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}ws`, { origin: new URL(url).origin });
  ws.binaryType = 'nodebuffer';
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
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
  cleanups.push(() => client.dispose());
  return client;
}

async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const end = Date.now() + 20_000;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await sleep(50);
  }
}

async function stopServe(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  return exited;
}

describe('kdscope serve --captures', () => {
  it('records the sessions a client starts into the folder it names', async () => {
    await prepare();
    const captures = join(dir, 'new', 'captures');
    const { child, url, out } = await serve(['--captures', captures]);
    expect(out()).toContain(`sessions are recorded to ${captures} (at most 1 GiB each)\n`);
    const client = await clientFor(url);
    const info = await client.invoke('session.start', {
      debugger: 'sim',
      target: 'sim',
      rate: 5000,
    });
    expect(dirname(info.capture!)).toBe(captures);
    const status = await until(
      () => client.invoke('session.status'),
      (s) => s.counters.frames >= 500,
      '500 frames',
    );
    expect(status.captureError).toBeUndefined();
    await client.invoke('session.stop');
    const final = await client.invoke('session.status');
    const source = openCapture(info.capture!);
    expect(source.forEach(() => undefined).frames).toBe(final.counters.frames);
    expect(await stopServe(child)).toBe(0);
  }, 90_000);

  it('a file size limit (EFBIG) stops recording with one line; the session streams on', async () => {
    if (spawnSync('prlimit', ['--version']).status !== 0)
      throw new Error('prlimit (util-linux) is not installed: needed to limit the capture size');
    await prepare();
    const limit = 64 * 1024;
    const { child, url } = await serve(['--captures', dir], ['prlimit', `--fsize=${limit}`]);
    const client = await clientFor(url);
    const states: SessionStatus[] = [];
    client.on('session.state', (s) => states.push(s));
    const info = await client.invoke('session.start', {
      debugger: 'sim',
      target: 'sim',
      rate: 5000,
    });
    const failed = await until(
      () => client.invoke('session.status'),
      (s) => s.captureError !== undefined,
      'the capture to fill up',
    );
    expect(failed.state).toBe('running');
    expect(failed.captureError).toMatch(
      /^recording stopped after \d+ frames \(the session goes on\): cannot write capture .*EFBIG/,
    );
    expect(failed.captureError).not.toContain('\n');
    expect(states.some((s) => s.captureError === failed.captureError)).toBe(true);
    const frames = Number(/after (\d+) frames/.exec(failed.captureError!)![1]);
    // Rows keep coming after the capture stopped growing.
    await until(
      () => client.invoke('session.status'),
      (s) => s.counters.packets > failed.counters.packets + 500,
      '500 more packets',
    );
    await client.invoke('session.stop');
    const final = await client.invoke('session.status');
    expect(final.counters.frames).toBe(frames);
    // The file holds every frame counted, whole (the cut frame was rolled back).
    expect(statSync(info.capture!).size).toBeLessThanOrEqual(limit);
    expect(openCapture(info.capture!).forEach(() => undefined).frames).toBe(frames);
    expect(await stopServe(child)).toBe(0);
  }, 90_000);

  it('--capture-limit stops recording at that size with one line; the session streams on', async () => {
    await prepare();
    const { child, url, out } = await serve(['--captures', dir, '--capture-limit', '96K']);
    expect(out()).toContain(`sessions are recorded to ${dir} (at most 96 KiB each)\n`);
    const client = await clientFor(url);
    const info = await client.invoke('session.start', {
      debugger: 'sim',
      target: 'sim',
      rate: 5000,
    });
    expect(info.captureLimitBytes).toBe(96 * 1024);
    const full = await until(
      () => client.invoke('session.status'),
      (s) => s.captureError !== undefined,
      'the capture to reach its limit',
    );
    expect(full.state).toBe('running');
    expect(full.captureError).toMatch(
      /^recording stopped after \d+ frames \(the session goes on\): the capture reached its size limit/,
    );
    await until(
      () => client.invoke('session.status'),
      (s) => s.counters.packets > full.counters.packets + 200,
      '200 more packets',
    );
    await client.invoke('session.stop');
    expect(statSync(info.capture!).size).toBeLessThanOrEqual(96 * 1024);
    expect(statSync(info.capture!).size).toBeGreaterThan(80 * 1024);
    expect(await stopServe(child)).toBe(0);
  }, 90_000);

  it('--capture-limit that is not a size is one line and exit 2', () => {
    for (const [arg, line] of [
      [
        '12Q',
        "kdscope serve: --capture-limit: not a size: '12Q' (bytes, or with K, M, G: 512M, 2G)\n",
      ],
      ['1K', 'kdscope serve: --capture-limit: 1K is too small (at least 64K)\n'],
    ] as const) {
      const bad = spawnSync(process.execPath, [bin, 'serve', '--capture-limit', arg], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toBe(line);
    }
  }, 60_000);

  it('a folder that cannot be created is one line and exit 1', () => {
    const aFile = join(dir, 'file');
    writeFileSync(aFile, 'x');
    const bad = spawnSync(process.execPath, [bin, 'serve', '--captures', join(aFile, 'c')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^kdscope serve: cannot create captures folder .*file\/c: .*\n$/);
    const empty = spawnSync(process.execPath, [bin, 'serve', '--captures='], { encoding: 'utf8' });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toBe('kdscope serve: --captures: empty path\n');
  }, 60_000);
});
