// What `kdscope` and its commands' --help say matches what they accept: the benches that
// exist, the bridge's endpoints and flags; help for a usage error goes to stderr.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KDSCOPE_BIN } from '../support/kdscope-process';

const ROOT = join(import.meta.dirname, '../..');

function kdscope(...args: string[]) {
  const r = spawnSync(process.execPath, [KDSCOPE_BIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('kdscope help texts', () => {
  it('bare kdscope is a usage error: help on stderr, exit 2; --help: stdout, exit 0', () => {
    const bare = kdscope();
    expect(bare.status).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toMatch(/^usage: kdscope <command>/);
    const help = kdscope('--help');
    expect(help.status).toBe(0);
    expect(help.stderr).toBe('');
    expect(help.stdout).toBe(bare.stderr);
  });

  it('bench --help lists every bench test/bench holds', () => {
    const benches = readdirSync(join(ROOT, 'test/bench'))
      .filter((f) => /^[^._][^.]*\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(benches.length).toBeGreaterThan(10);
    const help = kdscope('bench', '--help');
    expect(help.status).toBe(0);
    const listed = help.stdout
      .slice(help.stdout.indexOf('The benches here:'))
      .split('\n')
      .slice(1)
      .join(' ')
      .split(',')
      .map((name) => name.trim());
    expect(listed).toEqual(benches);
  });

  it('bench refuses an option or an unknown bench with one kdscope bench: line, exit 2', () => {
    const option = kdscope('bench', '--bogus');
    expect(option.status).toBe(2);
    expect(option.stderr).toBe('kdscope bench: unknown option --bogus\n');
    const name = kdscope('bench', 'nosuch');
    expect(name.status).toBe(2);
    expect(name.stderr).toMatch(/^kdscope bench: no bench named 'nosuch' \(have: capture-io, /);
    expect(name.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('bridge --help: every endpoint --target takes, every option in the usage line', () => {
    const help = kdscope('bridge', '--help');
    expect(help.status).toBe(0);
    const [synopsis, ...rest] = help.stdout.split('\n\n');
    const options = rest.join('\n\n');
    const target = /^ {2}--target EP(.*\n)(?: {5,}.*\n)*/m.exec(options)?.[0] ?? '';
    for (const ep of [
      'pipe:',
      'unix:',
      'tcp:',
      'udp:',
      'serial:',
      'vmbus:',
      'vm:',
      'sim:vmbus',
      'sim:kdnet',
    ])
      expect(target, ep).toContain(ep);
    const flags = [...options.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]!);
    expect(flags).toContain('--rate');
    for (const flag of flags) expect(synopsis, flag).toContain(flag);
  });
});
