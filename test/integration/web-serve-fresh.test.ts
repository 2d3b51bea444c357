// `kdscope serve` in a fresh checkout (sources and installed packages, nothing built): like the
// CLI, it builds what it needs on first use and serves the UI, instead of saying it is not built.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const fresh = mkdtempSync(join(tmpdir(), 'kdscope-fresh-'));
afterAll(() => rmSync(fresh, { recursive: true, force: true }));

describe('kdscope serve right after npm install', () => {
  it('builds the UI on first use, then serves it', async () => {
    // What a clone holds after `npm install`: the sources and node_modules, no dist/.
    for (const entry of [
      'bin',
      'scripts',
      'electron',
      'protocol',
      'renderer',
      'package.json',
      'vite.config.ts',
      'tsconfig.json',
      'tsconfig.base.json',
    ])
      cpSync(join(ROOT, entry), join(fresh, entry), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(fresh, 'node_modules'), 'dir');
    expect(existsSync(join(fresh, 'dist'))).toBe(false);

    const child = spawn(
      process.execPath,
      [join(fresh, 'bin/kdscope.mjs'), 'serve', '--port', '0'],
      {
        cwd: fresh,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /open (http:\/\/127\.0\.0\.1:\d+\/t\/[A-Za-z0-9_-]+\/)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}${err}`)));
      });
      expect(err).toMatch(/^kdscope serve: building the UI/);
      expect(existsSync(join(fresh, 'dist/renderer/index.html'))).toBe(true);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 240_000);
});
