// `kdscope serve` as a real process: prints the URL with its token, serves the built UI only
// with it, stops cleanly on SIGINT; bad arguments give one line and exit 2.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ensureRendererBuilt, root } from '../e2e/harness';

const bin = join(root, 'bin/kdscope.mjs');

describe('kdscope serve', () => {
  it('prints the URL, serves with the token only, exits 0 on SIGINT', async () => {
    await ensureRendererBuilt();
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0'], { cwd: root });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 60_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /open (http:\/\/127\.0\.0\.1:\d+\/t\/[A-Za-z0-9_-]+\/)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const ok = await fetch(url);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('<div id="root">');
      const origin = new URL(url).origin;
      expect((await fetch(`${origin}/`)).status).toBe(403);
      expect((await fetch(`${origin}/t/not-the-token/`)).status).toBe(403);
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);

  it('refuses bad arguments with one line', () => {
    const bad = spawnSync(process.execPath, [bin, 'serve', '--port', 'abc'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([
      "kdscope serve: --port: not a port number: 'abc'",
    ]);
    const noUi = spawnSync(process.execPath, [bin, 'serve', '--ui', '/nonexistent'], {
      encoding: 'utf8',
    });
    expect(noUi.status).toBe(1);
    expect(noUi.stderr).toMatch(/^kdscope serve: the UI is not built .*npm run build\n$/);
    // A folder no one can make: Node's recursive mkdir spun on /proc for ever.
    const noDir = spawnSync(process.execPath, [bin, 'serve', '--captures', '/proc/kdscope-x/y'], {
      encoding: 'utf8',
      timeout: 30_000,
      // The spin was deaf to SIGTERM.
      killSignal: 'SIGKILL',
    });
    expect(noDir.status).toBe(1);
    expect(noDir.stderr).toMatch(
      /^kdscope serve: cannot create captures folder \/proc\/kdscope-x\/y: ENOENT.*\n$/,
    );
  }, 60_000);

  it('says which port is taken, in one line', async () => {
    await ensureRendererBuilt();
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const port = (squatter.address() as AddressInfo).port;
    try {
      const taken = spawnSync(process.execPath, [bin, 'serve', '--port', String(port)], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(taken.status).toBe(1);
      expect(taken.stderr).toMatch(
        new RegExp(`^kdscope serve: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*\\n$`),
      );
    } finally {
      squatter.close();
    }
  }, 60_000);
});
