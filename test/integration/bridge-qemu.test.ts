// The bridge attached to a real VM: QEMU boots a guest whose COM1 is a unix socket; the guest
// waits for the debugger's RESET, then answers with a RESET, a DbgPrint and a LoadSymbols state
// change. `kdscope bridge` relays both ways, records, and the capture decodes to exactly that.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PacketType, StateChange } from '../../protocol/kd/constants';
import { concatBytes, encodeDataPacket, encodeReset } from '../../protocol/kd/encoder';
import { buildPrintString, buildStateChange64, ansiBytes } from '../../protocol/kd/payloads';
import {
  exchangeWithGuest,
  kdBootSector,
  startQemuGuest,
  type QemuGuest,
} from '../support/qemu-kd-guest';
import { requireTool } from '../support/tools';
import { untilWithin } from '../support/until';

const run = promisify(execFile);
const kdscope = join(__dirname, '../../bin/kdscope.mjs');
const lua = join(__dirname, '../../resources/wireshark/kdscope.lua');

/** What the guest repeats until the debugger answers: a DbgPrint nobody acknowledged yet. */
const greeting = encodeDataPacket(
  PacketType.DEBUG_IO,
  0x80800800,
  buildPrintString('guest up, waiting for a debugger\n'),
);
const guestStream = concatBytes([
  encodeReset(),
  encodeDataPacket(PacketType.DEBUG_IO, 0x80800800, buildPrintString('Hello from a real VM\n')),
  encodeDataPacket(
    PacketType.STATE_CHANGE64,
    0x80800801,
    buildStateChange64(
      {
        newState: StateChange.LoadSymbols,
        numberProcessors: 1,
        fields: { baseOfDll: 0xfffff80000000000n, sizeOfImage: 0x10000 },
      },
      ansiBytes('qemu.efi\0'),
    ),
  ),
]);

/** Connects once the path is listened on (the bridge process is starting). */
async function connectWithRetry(path: string): Promise<net.Socket> {
  let connected: net.Socket | undefined;
  const attempt = (): Promise<boolean> =>
    new Promise((resolve) => {
      const socket = net.connect(path, () => {
        connected = socket;
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  await untilWithin(20_000, 25)(attempt, `something to listen on ${path}`);
  return connected!;
}

describe('bridge <-> a real QEMU VM', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kdscope-bridge-qemu-'));
  const vmSocket = join(dir, 'com1.sock');
  const debuggerSocket = join(dir, 'debugger.sock');
  const pcap = join(dir, 'session.pcap');
  let guest: QemuGuest;

  beforeAll(async () => {
    // The guest greets until the debugger's RESET arrives, and answers after its 16 bytes.
    guest = startQemuGuest(
      join(dir, 'boot.img'),
      kdBootSector(guestStream, 16, greeting),
      vmSocket,
    );
    await guest.ready;
  });
  afterAll(() => {
    guest.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('relays the debugger RESET to the VM and the VM answer back, byte-exact, and records it', async () => {
    const bridge = spawn(
      process.execPath,
      [
        kdscope,
        'bridge',
        '--debugger',
        `unix:${debuggerSocket}`,
        '--target',
        `unix:${vmSocket}`,
        '--pcap',
        pcap,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let bridgeErr = '';
    let bridgeOut = '';
    bridge.stderr.on('data', (d: Buffer) => (bridgeErr += d.toString()));
    bridge.stdout.on('data', (d: Buffer) => (bridgeOut += d.toString()));
    try {
      const debuggerSide = await connectWithRetry(debuggerSocket);
      // The guest repeats its greeting until a byte comes back: once one has crossed the bridge,
      // the guest is past its BIOS and the bridge carries both ways.
      await exchangeWithGuest(
        debuggerSide,
        { greeting, answer: guestStream },
        encodeReset(),
        () => `no greeting/answer from the VM; bridge said: ${bridgeOut} ${bridgeErr}`,
      );
      debuggerSide.destroy();
    } finally {
      const exited = new Promise((r) => bridge.once('exit', r));
      bridge.kill('SIGINT');
      await exited;
    }
    expect(bridge.exitCode).toBe(0);

    const { stdout } = await run(process.execPath, [kdscope, 'decode', pcap, '--format', 'ndjson']);
    const events = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // The greeting (once or more, repeated by the guest; a copy may still be in flight when the
    // debugger's RESET goes out), then the RESET exchange and the answer.
    const all = events.filter((e) => e.kind === 'packet');
    const isGreeting = (e: Record<string, unknown>): boolean =>
      e.type === 'DEBUG_IO' && e.text === 'guest up, waiting for a debugger\n';
    const greetings = all.filter(isGreeting);
    expect(greetings.length).toBeGreaterThan(0);
    for (const g of greetings)
      expect(g).toMatchObject({ dir: 'target->debugger', checksumOk: true });
    const fromTarget = all.filter((e) => e.dir === 'target->debugger');
    expect(fromTarget.slice(0, greetings.length)).toEqual(greetings);
    const packets = all.filter((e) => !isGreeting(e));
    expect(packets.map((p) => [p.dir, p.type])).toEqual([
      ['debugger->target', 'RESET'],
      ['target->debugger', 'RESET'],
      ['target->debugger', 'DEBUG_IO'],
      ['target->debugger', 'STATE_CHANGE64'],
    ]);
    expect(packets[2]).toMatchObject({ text: 'Hello from a real VM\n', checksumOk: true });
    expect(packets[3]).toMatchObject({
      newState: StateChange.LoadSymbols,
      text: 'qemu.efi',
      checksumOk: true,
    });
    expect(events.at(-1)).toMatchObject({ kind: 'summary' });

    // Wireshark with our dissector reads the same capture the same way.
    const tshark = requireTool('tshark');
    const fields = await run(tshark, [
      '-X',
      `lua_script:${lua}`,
      '-r',
      pcap,
      '-T',
      'fields',
      '-e',
      'kd.type_name',
      '-e',
      'kd.text',
    ]);
    const lines = fields.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(lines.flatMap(([names]) => (names ? names.split(',') : []))).toEqual(
      all.map((e) => e.type),
    );
  });
});
