import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Processes, untilOutput, type Run } from '../support/kdscope-process';

let dir: string;
const processes = new Processes();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-simcli-'));
});
afterEach(() => {
  processes.killAll();
  rmSync(dir, { recursive: true, force: true });
});

const kdscope = (args: string[]): Run => processes.kdscope(args);
const until = untilOutput;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

describe('kdscope simulate (real processes)', () => {
  it('a debugger process completes sessions against a target process on a unix socket', async () => {
    const sock = join(dir, 'target.sock');
    const target = kdscope(['simulate', 'target', '--listen', `unix:${sock}`]);
    await until(target, /listening on unix:/);
    const first = kdscope(['simulate', 'debugger', '--connect', `unix:${sock}`]);
    expect(await first.exit).toBe(0);
    expect(first.stdout).toMatch(
      /^session complete: 1 of 1 session\(s\), 11 requests, 3 state changes/,
    );
    expect(first.stderr).toBe('');
    const second = kdscope(['simulate', 'debugger', '--connect', `unix:${sock}`, '--loops', '3']);
    expect(await second.exit).toBe(0);
    expect(second.stdout).toMatch(/3 of 3 session\(s\), 33 requests, 9 state changes/);
    target.child.kill('SIGTERM');
    expect(await target.exit).toBe(0);
    expect(target.stdout).toMatch(/stopped after 2 connection\(s\)\n$/);
    expect(existsSync(sock)).toBe(false);
  });

  it('over TCP, and exit 1 with one line when the target misbehaves', async () => {
    const port = await freePort();
    const target = kdscope([
      'simulate',
      'target',
      '--listen',
      `tcp:127.0.0.1:${port}`,
      '--fault',
      'garble:3',
    ]);
    await until(target, /listening on tcp:127\.0\.0\.1:/);
    const run = kdscope(['simulate', 'debugger', '--connect', `tcp:127.0.0.1:${port}`]);
    expect(await run.exit).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'kdscope simulate debugger: ReadPhysicalMemory 0x200000: reply ApiNumber 0x303d (Unknown(0x303d)), expected 0x313d\n',
    );
    target.child.kill('SIGINT');
    expect(await target.exit).toBe(0);
  });

  it('exit 1 naming the endpoint when nobody listens; exit 2 for bad usage', async () => {
    const gone = kdscope(['simulate', 'debugger', '--connect', `unix:${join(dir, 'none.sock')}`]);
    expect(await gone.exit).toBe(1);
    expect(gone.stderr.trim().split('\n')).toHaveLength(1);
    expect(gone.stderr).toContain('none.sock');
    for (const args of [
      ['simulate'],
      ['simulate', 'debugger'],
      ['simulate', 'debugger', '--connect', 'bogus:1'],
      ['simulate', 'debugger', '--connect', 'sim', '--loops', '0'],
      ['simulate', 'target', '--listen', 'sim'],
      ['simulate', 'target', '--listen', `unix:${join(dir, 'x.sock')}`, '--fault', 'melt:1'],
    ]) {
      const run = kdscope(args);
      expect(await run.exit, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/^kdscope simulate: .+\n$/);
    }
  });
});
