// `--target vm:NAME` against a real VM: QEMU runs a guest named NAME whose COM1 is a unix
// socket; the bridge finds it by name through the providers (the QEMU one reads /proc), dials
// its channel, and relays the debugger's RESET and the guest's answer.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PacketType } from '../../protocol/kd/constants';
import { concatBytes, encodeDataPacket, encodeReset } from '../../protocol/kd/encoder';
import { buildPrintString } from '../../protocol/kd/payloads';
import {
  exchangeWithGuest,
  kdBootSector,
  startQemuGuest,
  type QemuGuest,
} from '../support/qemu-kd-guest';
import { untilWithin } from '../support/until';

const kdscope = join(__dirname, '../../bin/kdscope.mjs');
/** What the guest repeats until the debugger answers (it also shows the guest is past its BIOS). */
const greeting = encodeDataPacket(PacketType.DEBUG_IO, 0x80800800, buildPrintString('up\n'));
const guestStream = concatBytes([
  encodeReset(),
  encodeDataPacket(PacketType.DEBUG_IO, 0x80800800, buildPrintString('found by name\n')),
]);

describe('kdscope bridge --target vm:NAME (a real QEMU)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kdscope-vm-name-'));
  const name = `kdscope-vmname-${process.pid}`;
  let guest: QemuGuest;

  beforeAll(async () => {
    guest = startQemuGuest(
      join(dir, 'boot.img'),
      kdBootSector(guestStream, 16, greeting),
      join(dir, 'com1.sock'),
      name,
    );
    await guest.ready;
  });
  afterAll(() => {
    guest?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolves the VM by name to its COM1 socket and relays both ways', async () => {
    const debuggerSocket = join(dir, 'dbg.sock');
    const bridge = spawn(
      process.execPath,
      [
        kdscope,
        'bridge',
        '--debugger',
        `unix:${debuggerSocket}`,
        '--target',
        `vm:${name}`,
        '--no-pcap',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    bridge.stdout.on('data', (d: Buffer) => (out += d.toString()));
    bridge.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await untilWithin(20_000, 25)(
        () => {
          if (bridge.exitCode !== null) throw new Error(`the bridge exited: ${out} ${err}`);
          return existsSync(debuggerSocket) && /target: connected/.test(out);
        },
        () => `the bridge to reach the VM: ${out} ${err}`,
      );
      expect(out).toContain(`target vm:${name}`);
      const socket = net.connect(debuggerSocket);
      await once(socket, 'connect');
      await exchangeWithGuest(
        socket,
        { greeting, answer: guestStream },
        encodeReset(),
        () => `no answer; bridge said: ${err}`,
      );
      socket.destroy();
    } finally {
      bridge.kill('SIGINT');
      if (bridge.exitCode === null) await once(bridge, 'exit');
    }
    expect(err).toBe('');
    expect(bridge.exitCode).toBe(0);
    expect(out).toMatch(/bridge closed: \d+ packets/);
  });

  it('an unknown name: the bridge says so in one line and keeps waiting for it', async () => {
    const bridge = spawn(
      process.execPath,
      [
        kdscope,
        'bridge',
        '--debugger',
        `unix:${join(dir, 'dbg2.sock')}`,
        '--target',
        `vm:${name}-missing`,
        '--no-pcap',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    bridge.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await untilWithin(20_000, 25)(() => err.includes('\n'), 'the error line');
      expect(err).toMatch(
        new RegExp(
          `^kdscope bridge: vm:${name}-missing: no VM named '${name}-missing' \\(kdscope vms lists them`,
        ),
      );
    } finally {
      bridge.kill('SIGINT');
      if (bridge.exitCode === null) await once(bridge, 'exit');
    }
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(bridge.exitCode).toBe(0);
  });
});
