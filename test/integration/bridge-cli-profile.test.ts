// `kdscope bridge --profile NAME` as a real process, with a profile saved where the attach page
// saves it ($KDSCOPE_CONFIG_DIR): its endpoints, capture folder/format and debugger command run
// the session; an unknown profile is one line and exit 2; keys never reach the output.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Profile } from '../../electron/api/contract';
import { openCapture } from '../../electron/capture';
import { ProfileStore } from '../../electron/engine/profiles/profile-store';
import { Processes, type Run } from '../support/kdscope-process';
import { untilWithin } from '../support/until';

const until = untilWithin(30_000);
let dir: string;
const processes = new Processes();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-cli-profile-'));
});
afterEach(() => {
  processes.killAll();
  rmSync(dir, { recursive: true, force: true });
});

const bridge = (args: string[]): Run =>
  processes.kdscope(['bridge', ...args], dir, {
    ...process.env,
    KDSCOPE_CONFIG_DIR: join(dir, 'config'),
  });

const save = (profile: Profile): void =>
  new ProfileStore(join(dir, 'config', 'profiles.json')).save(profile);

describe('kdscope bridge --profile', () => {
  it('an unknown profile is one line and exit code 2', async () => {
    const run = bridge(['--profile', 'nope']);
    const [code] = (await once(run.child, 'exit')) as [number];
    expect(code).toBe(2);
    expect(run.stderr).toBe(
      `kdscope bridge: no profile named 'nope' in ${join(dir, 'config', 'profiles.json')} (save one from the attach page)\n`,
    );
  });

  it("runs the profile's session: endpoints, capture folder and format, its debugger command", async () => {
    const sock = join(dir, 'd.sock');
    save({
      name: 'lab',
      debugger: `unix:${sock}`,
      target: 'sim',
      launch: `kdscope simulate debugger --connect unix:${sock}`,
      captureDir: join(dir, 'caps'),
      captureFormat: 'pcapng',
    });
    const run = bridge(['--profile', 'lab']);
    await until(
      () => /the debugger process ended: exit code 0/.test(run.stdout),
      `the scripted debugger to finish: ${run.stdout} ${run.stderr}`,
    );
    expect(run.stdout).toMatch(
      new RegExp(`started the debugger \\(pid \\d+\\): kdscope simulate debugger --connect unix:`),
    );
    run.child.kill('SIGINT');
    const [code] = (await once(run.child, 'exit')) as [number];
    expect(code).toBe(0);
    const captures = readdirSync(join(dir, 'caps'));
    expect(captures).toHaveLength(1);
    expect(captures[0]).toMatch(/^kdscope-.*\.pcapng$/);
    let frames = 0;
    openCapture(join(dir, 'caps', captures[0]!)).forEach(() => frames++);
    expect(frames).toBeGreaterThan(10);
  });

  it('flags win over the profile, and a key in the debugger command never reaches the output', async () => {
    const sock = join(dir, 'd.sock');
    save({
      name: 'lab',
      debugger: 'tcp:127.0.0.1:1',
      target: 'sim:vmbus',
      captureFormat: 'pcapng',
    });
    const pcap = join(dir, 'flag.pcap');
    const run = bridge([
      '--profile',
      'LAB',
      '--debugger',
      `unix:${sock}`,
      '--target',
      'sim',
      '--pcap',
      pcap,
      '--launch',
      `kdscope simulate debugger --connect unix:${sock} --key 1.2.3.4`,
    ]);
    await until(() => /the debugger process ended/.test(run.stdout), 'the debugger to end');
    run.child.kill('SIGINT');
    await once(run.child, 'exit');
    const all = run.stdout + run.stderr;
    expect(all).toContain(`bridge: debugger on unix:${sock}, target sim`);
    expect(all).toContain('--key ***');
    expect(all).toContain('the debugger process ended: exit code 2');
    expect(all).not.toContain('1.2.3.4');
    expect(existsSync(pcap)).toBe(true);
  });
});
