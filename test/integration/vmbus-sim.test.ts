// The whole VMBus path in process and as real processes: the scripted debugger, the bridge,
// the host-side pipe adapter, two simulated VMBus rings, the guest's pipe adapter and the
// simulated KD target; and `--mode vmbus` over a unix socket carrying length-prefixed messages.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bridge } from '../../electron/engine/bridge/bridge';
import type { Endpoint } from '../../electron/engine/endpoint';
import { runScriptedDebugger, SimTarget } from '../../electron/engine/simulators';
import {
  createSimVmbusTarget,
  simVmbusTargetFactory,
  type SimVmbusTarget,
} from '../../electron/engine/simulators/vmbus-target';
import type { RingStats } from '../../electron/engine/simulators/vmbus-rings';
import { PipeChannel } from '../../electron/engine/vmbus/pipe-channel';
import {
  lengthPrefixedTransport,
  type PipeTransport,
} from '../../electron/engine/vmbus/pipe-transport';
import { SimVmbusRings } from '../../electron/engine/simulators/vmbus-rings';
import { untilWithin } from '../support/until';

const bin = join(__dirname, '../../bin/kdscope.mjs');
let dir: string;
const cleanups: (() => unknown)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-vmbus-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function scriptedSession(path: string): Promise<void> {
  const socket = connect({ path });
  await once(socket, 'connect');
  try {
    const report = await runScriptedDebugger(socket, { replyTimeoutMs: 5000 });
    expect(report.error).toBeUndefined();
    expect(report.ok).toBe(true);
  } finally {
    socket.destroy();
  }
}

const until = untilWithin(20_000);

describe('sim:vmbus in process', () => {
  it.each([false, true])(
    'the scripted debugger completes through the bridge and both rings (feedback %s)',
    async (feedback) => {
      const sims: SimVmbusTarget[] = [];
      const history: (readonly RingStats[])[] = [];
      const debuggerEp: Endpoint = { kind: 'unix', path: join(dir, 'dbg.sock') };
      const lines: string[] = [];
      const bridge = await Bridge.start({
        debugger: debuggerEp,
        target: { kind: 'sim', flavour: 'vmbus' },
        deps: {
          simTarget: simVmbusTargetFactory(
            { target: { runMs: 2 }, pipe: { feedback, report: (l) => lines.push(l) } },
            (sim) => {
              sims.push(sim);
              sim.rings.subscribe((stats) => history.push(stats));
            },
          ),
        },
      });
      cleanups.push(() => bridge.close());
      await until(() => bridge.connected('target'), 'the target');
      await scriptedSession(debuggerEp.path);
      expect(sims).toHaveLength(1);
      const sim = sims[0]!;
      const stats = sim.rings.stats();
      for (const ring of stats) {
        expect(ring.size).toBe(0x2000);
        expect(ring.packets).toBeGreaterThan(10);
        expect(ring.highWater).toBeGreaterThan(0);
        expect(ring.dropped + ring.corrupt).toBe(0);
      }
      // The subscription saw the rings fill and empty.
      expect(history.some((s) => s.some((r) => r.occupancy > 0))).toBe(true);
      await until(() => history.at(-1)!.every((r) => r.occupancy === 0), 'the rings to empty');
      const host = sim.stream.stats;
      expect(host.badMessages + host.badChecksums + host.strayFeedback).toBe(0);
      // The target may still be resending its last packet: wait for the pipe to settle.
      await until(() => host.messagesIn === sim.guest.stats.messagesOut, 'the pipe to settle');
      if (feedback) {
        await until(
          () =>
            host.feedbackReceived === host.messagesOut &&
            sim.guest.stats.feedbackReceived === sim.guest.stats.messagesOut,
          'every message acknowledged',
        );
        expect(host.resends).toBe(0);
      } else {
        expect(host.feedbackSent + host.feedbackReceived).toBe(0);
      }
      expect(lines).toEqual([]);
      expect(bridge.counters().errors).toBe(0);
    },
  );

  it('a full ring makes the writer wait, and nothing is lost', async () => {
    // A 1 KiB ring holds one 4 KiB write in no piece: maxPayload 512 keeps messages small.
    const sim = createSimVmbusTarget({ ringSize: 1024, pipe: { maxPayload: 512 } });
    cleanups.push(() => sim.stream.destroy());
    const got: Buffer[] = [];
    sim.guest.removeAllListeners('data'); // the test plays the guest's reader
    sim.guest.on('data', (c: Buffer) => got.push(c));
    const data = Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 7) & 0xff));
    sim.stream.write(data);
    await until(() => Buffer.concat(got).length >= data.length, 'all bytes through the ring');
    expect(Buffer.concat(got)).toEqual(data);
    const [hostToGuest] = sim.rings.stats();
    expect(hostToGuest!.refused).toBeGreaterThan(0);
    expect(hostToGuest!.highWater).toBeLessThan(1024);
    expect(hostToGuest!.dropped).toBe(0);
  });
});

/** Loses every `drop`th message and damages every `corrupt`th one (its seqnum: bad checksum). */
function lossy(inner: PipeTransport, drop: number, corrupt: number) {
  let n = 0;
  const counts = { dropped: 0, corrupted: 0 };
  const transport: PipeTransport = {
    description: inner.description,
    boundaries: inner.boundaries,
    start: (h) => inner.start(h),
    pause: () => inner.pause(),
    resume: () => inner.resume(),
    close: () => inner.close(),
    write(message) {
      n++;
      if (n % drop === 0) {
        counts.dropped++;
        return true;
      }
      if (n % corrupt === 0) {
        counts.corrupted++;
        const damaged = message.slice();
        damaged[12] = damaged[12]! ^ 0x40;
        return inner.write(damaged);
      }
      return inner.write(message);
    },
  };
  return { transport, counts };
}

describe('feedback mode over lossy rings', () => {
  it('resends what was lost or damaged; the scripted session completes, each byte delivered once', async () => {
    const rings = new SimVmbusRings();
    const hostSide = lossy(rings.host, 7, 11);
    const guestSide = lossy(rings.guest, 9, 13);
    const options = { feedback: true, resendMs: 30 };
    const host = new PipeChannel(hostSide.transport, options);
    const guest = new PipeChannel(guestSide.transport, { ...options, role: 'vm' });
    const target = new SimTarget({ runMs: 2 });
    target.attach(guest);
    cleanups.push(() => host.destroy());
    const report = await runScriptedDebugger(host, { replyTimeoutMs: 10_000 });
    expect(report.error).toBeUndefined();
    expect(report.ok).toBe(true);
    expect(hostSide.counts.dropped + guestSide.counts.dropped).toBeGreaterThan(5);
    expect(hostSide.counts.corrupted + guestSide.counts.corrupted).toBeGreaterThan(5);
    expect(host.stats.resends + guest.stats.resends).toBeGreaterThan(5);
    expect(host.stats.badChecksums + guest.stats.badChecksums).toBe(
      hostSide.counts.corrupted + guestSide.counts.corrupted,
    );
    // A lost feedback reply makes the peer resend: answered again, delivered once.
    expect(host.stats.duplicates + guest.stats.duplicates).toBeGreaterThan(0);
    // The KD conversation itself saw no damage: the pipe layer hid it.
    expect(target.stats.link).toMatchObject({
      badChecksums: 0,
      badPackets: 0,
      garbageBytes: 0,
      resendsSent: 0,
    });
  });
});

function kdscope(args: string[]): { child: ChildProcess; out: () => string; err: () => string } {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return { child, out: () => out, err: () => err };
}

describe('kdscope bridge --target sim:vmbus (processes)', () => {
  it('kdscope simulate debugger completes its session; the ring stats moved', async () => {
    const sock = join(dir, 'dbg.sock');
    const bridge = kdscope([
      'bridge',
      '--debugger',
      `unix:${sock}`,
      '--target',
      'sim:vmbus',
      '--feedback',
      '--no-pcap',
    ]);
    await until(
      () => existsSync(sock) && /target: connected/.test(bridge.out()),
      'the bridge to listen',
    );
    const debuggerRun = kdscope(['simulate', 'debugger', '--connect', `unix:${sock}`]);
    const [code] = (await once(debuggerRun.child, 'exit')) as [number];
    expect(debuggerRun.err()).toBe('');
    expect(code).toBe(0);
    bridge.child.kill('SIGINT');
    const [bridgeCode] = (await once(bridge.child, 'exit')) as [number];
    expect(bridge.err()).toBe('');
    expect(bridgeCode).toBe(0);
    const closed =
      /bridge closed: (\d+) packets.*; ring h->g ([\d.]+)\/8\.0 KiB \(max ([\d.]+)\) \| ring g->h ([\d.]+)\/8\.0 KiB \(max ([\d.]+)\)/.exec(
        bridge.out(),
      );
    expect(closed, bridge.out()).not.toBeNull();
    expect(Number(closed![1])).toBeGreaterThan(10);
    expect(Number(closed![3])).toBeGreaterThan(0);
    expect(Number(closed![5])).toBeGreaterThan(0);
    // The host pipe's counters: every message answered, none resent, none bad.
    const pipe = /; vmbus (\d+) out\/(\d+) in;/.exec(bridge.out());
    expect(pipe, bridge.out()).not.toBeNull();
    expect(Number(pipe![1])).toBeGreaterThan(10);
    expect(Number(pipe![2])).toBeGreaterThan(10);
  });

  it('vm:simulated with --mode vmbus picks the VMBus channel of the simulated VM', async () => {
    const sock = join(dir, 'dbg.sock');
    const bridge = kdscope([
      'bridge',
      '--debugger',
      `unix:${sock}`,
      '--target',
      'vm:simulated',
      '--mode',
      'vmbus',
      '--no-pcap',
    ]);
    await until(
      () => existsSync(sock) && /target: connected/.test(bridge.out()),
      'the bridge to connect',
    );
    await scriptedSession(sock);
    bridge.child.kill('SIGINT');
    const [code] = (await once(bridge.child, 'exit')) as [number];
    expect(bridge.err()).toBe('');
    expect(code).toBe(0);
    expect(bridge.out()).toMatch(/bridge closed: .*; vmbus \d+ out\/\d+ in; ring h->g .*max [1-9]/);
  });

  it('refuses mismatched modes with one line and exit 2', async () => {
    for (const [args, pattern] of [
      [['--target', 'sim:vmbus', '--mode', 'com'], /speaks VMBus pipe messages, not --mode com/],
      [['--target', 'sim', '--mode', 'vmbus'], /use --target sim:vmbus/],
      [['--target', 'sim', '--feedback'], /--feedback applies to --mode vmbus only/],
      [['--target', 'serial:/dev/null', '--mode', 'vmbus'], /--mode vmbus needs/],
    ] as const) {
      const run = kdscope(['bridge', '--debugger', `unix:${join(dir, 'x.sock')}`, ...args]);
      const [code] = (await once(run.child, 'exit')) as [number];
      expect(code).toBe(2);
      expect(run.err()).toMatch(pattern);
      expect(run.err().trim().split('\n')).toHaveLength(1);
    }
  });

  it('vmbus:NAME off Windows fails at once with one line', async () => {
    const run = kdscope([
      'bridge',
      '--debugger',
      `unix:${join(dir, 'y.sock')}`,
      '--target',
      'vmbus:Win11',
      '--no-pcap',
    ]);
    const [code] = (await once(run.child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(run.err()).toMatch(/vmbus:Win11: the VMBus channel needs Hyper-V on Windows/);
    expect(run.err().trim().split('\n')).toHaveLength(1);
  });
});

describe('kdscope bridge --mode vmbus over a unix socket', () => {
  it('the VM side speaks length-prefixed pipe messages with feedback; the session completes', async () => {
    const vmSock = join(dir, 'vm.sock');
    const server = createServer();
    const guests: PipeChannel[] = [];
    server.on('connection', (socket: Socket) => {
      const guest = new PipeChannel(lengthPrefixedTransport(socket, 'vm'), {
        role: 'vm',
        feedback: true,
      });
      guests.push(guest);
      const target = new SimTarget({ runMs: 2 });
      target.attach(guest);
    });
    await new Promise<void>((r) => server.listen(vmSock, r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    cleanups.push(() => guests.forEach((g) => g.destroy()));
    const sock = join(dir, 'dbg.sock');
    const bridge = kdscope([
      'bridge',
      '--debugger',
      `unix:${sock}`,
      '--target',
      `unix:${vmSock}`,
      '--mode',
      'vmbus',
      '--feedback',
      '--no-pcap',
    ]);
    await until(
      () => existsSync(sock) && /target: connected/.test(bridge.out()),
      'the bridge to connect',
    );
    await scriptedSession(sock);
    expect(guests).toHaveLength(1);
    // The feedback for the guest's last messages may still be on its way (a busy machine).
    const settled = (): boolean => {
      const g = guests[0]!.stats;
      return g.feedbackReceived === g.messagesOut && g.feedbackSent === g.messagesIn + g.duplicates;
    };
    await until(settled, 'feedback for every pipe message each way');
    const guest = { ...guests[0]!.stats };
    expect(guest.messagesIn).toBeGreaterThan(10);
    expect(guest.feedbackReceived).toBe(guest.messagesOut);
    expect(guest.feedbackSent).toBe(guest.messagesIn + guest.duplicates);
    expect(guest.badMessages + guest.badChecksums + guest.strayFeedback).toBe(0);
    bridge.child.kill('SIGINT');
    const [code] = (await once(bridge.child, 'exit')) as [number];
    expect(bridge.err()).toBe('');
    expect(code).toBe(0);
    // The host's counters agree with the guest's (the target may still resend its last
    // packet after the debugger left: counted between the snapshot and the end).
    const counts = /; vmbus (\d+) out\/(\d+) in$/m.exec(bridge.out());
    expect(counts, bridge.out()).not.toBeNull();
    const final = guests[0]!.stats;
    expect(Number(counts![1])).toBeGreaterThanOrEqual(guest.messagesIn + guest.duplicates);
    expect(Number(counts![1])).toBeLessThanOrEqual(final.messagesIn + final.duplicates);
    expect(Number(counts![2])).toBeGreaterThanOrEqual(guest.messagesOut);
    expect(Number(counts![2])).toBeLessThanOrEqual(final.messagesOut);
  });
});
