import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { qemuProvider } from '../../electron/engine/vms/qemu';
import { kdBootSector, startQemuGuest } from '../support/qemu-kd-guest';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'kdscope-vms-'));
const kdscope = join(__dirname, '../../bin/kdscope.mjs');

describe('VM providers against a real QEMU', () => {
  const socket = join(dir, 'com1.sock');
  const name = `kdscope-vms-${process.pid}`;
  const guest = startQemuGuest(
    join(dir, 'boot.img'),
    kdBootSector(Uint8Array.of(0x62), 1),
    socket,
    name,
  );
  beforeAll(() => guest.ready);
  afterAll(() => {
    guest.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the running VM by name with its COM1 socket as a target endpoint', async () => {
    const { vms } = await qemuProvider().list();
    const vm = vms.find((v) => v.name === name);
    expect(vm).toBeDefined();
    expect(vm!.state).toBe('running');
    expect(vm!.channels).toEqual([
      expect.objectContaining({ port: 'COM1', kind: 'unix', endpoint: `unix:${socket}` }),
    ]);
  });

  it('kdscope vms prints it, and --json gives the same as data', async () => {
    const text = await run(process.execPath, [kdscope, 'vms'], { timeout: 30_000 });
    expect(text.stdout).toContain(`qemu       ${name}  [running]`);
    expect(text.stdout).toContain(`--target unix:${socket}`);
    expect(text.stdout).toContain('kdscope    simulated  [running]');
    const json = await run(process.execPath, [kdscope, 'vms', '--json'], { timeout: 30_000 });
    const parsed = JSON.parse(json.stdout) as { vms: { name: string; provider: string }[] };
    expect(parsed.vms.filter((v) => v.name === name)).toEqual([
      expect.objectContaining({ provider: 'qemu', name }),
    ]);
  });

  it('refuses stray arguments with exit code 2', async () => {
    await expect(run(process.execPath, [kdscope, 'vms', 'extra'])).rejects.toMatchObject({
      code: 2,
      stderr: "kdscope vms: unexpected 'extra'\n",
    });
  });
});
