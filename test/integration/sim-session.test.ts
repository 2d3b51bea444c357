import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManipulateApi, PacketType, StateChange } from '../../protocol/kd/constants';
import { KdStreamDecoder } from '../../protocol/kd/decoder';
import type { KdEvent, KdPacketEvent } from '../../protocol/kd/events';
import { decodeManipulate } from '../../protocol/kd/payloads/manipulate';
import { decodeStateChange64 } from '../../protocol/kd/payloads/state-change';
import type { Endpoint } from '../../electron/engine/endpoint';
import { createDialer } from '../../electron/engine/transports';
import {
  createSimTargetChannel,
  runScriptedDebugger,
  serveSimTarget,
  type SimTargetServer,
} from '../../electron/engine/simulators';

let dir: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-sim-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** Connects as the CLI does (transports set TCP_NODELAY: KD is a ping-pong of small writes). */
async function dial(ep: Endpoint, port?: number): Promise<Socket> {
  const target = ep.kind === 'tcp' && port !== undefined ? { ...ep, port } : ep;
  return (await createDialer(target).dial()) as Socket;
}

/** Records both directions as the debugger's socket sees them. */
function tap(socket: Socket): { fromTarget: Buffer[]; toTarget: Buffer[] } {
  const fromTarget: Buffer[] = [];
  const toTarget: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => fromTarget.push(Buffer.from(chunk)));
  const write = socket.write.bind(socket) as (chunk: Uint8Array) => boolean;
  socket.write = ((chunk: Uint8Array) => {
    toTarget.push(Buffer.from(chunk));
    return write(chunk);
  }) as typeof socket.write;
  return { fromTarget, toTarget };
}

function decodeAll(chunks: Buffer[]): KdEvent[] {
  const events: KdEvent[] = [];
  const decoder = new KdStreamDecoder();
  for (const chunk of chunks) decoder.push(chunk, (e) => events.push(e));
  decoder.end((e) => events.push(e));
  return events;
}

const dataPackets = (events: KdEvent[]): KdPacketEvent[] =>
  events.filter((e): e is KdPacketEvent => e.kind === 'packet' && e.leader === 'data');

/** A plain server for misbehaving peers; closing it also drops its connections. */
async function rawServer(path: string, onSocket: (socket: Socket) => void): Promise<Server> {
  const open = new Set<Socket>();
  const server: Server = createServer((socket) => {
    open.add(socket);
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return server;
}

async function serve(ep: Endpoint, options = {}): Promise<SimTargetServer> {
  const server = await serveSimTarget(ep, options);
  cleanups.push(() => server.close());
  return server;
}

describe('scripted debugger <-> simulated target', () => {
  for (const kind of ['unix', 'tcp'] as const) {
    it(`completes a session over ${kind === 'unix' ? 'a unix socket' : 'TCP loopback'}`, async () => {
      const ep: Endpoint =
        kind === 'unix'
          ? { kind: 'unix', path: join(dir, 'target.sock') }
          : { kind: 'tcp', host: '127.0.0.1', port: 0 };
      const server = await serve(ep);
      const socket = await dial(ep, server.port);
      cleanups.push(() => void socket.destroy());
      const wire = tap(socket);
      const report = await runScriptedDebugger(socket, { replyTimeoutMs: 5000 });
      expect(report.error).toBeUndefined();
      expect(report.ok).toBe(true);
      expect(report.loopsCompleted).toBe(1);
      expect(report.stateChanges).toBe(3); // LoadSymbols, the breakpoint, the break-in
      expect(report.prints).toBeGreaterThanOrEqual(1);
      expect(report.link.badChecksums).toBe(0);
      expect(report.link.garbageBytes).toBe(0);

      // What the target sent, decoded on its own.
      const fromTarget = decodeAll(wire.fromTarget);
      expect(fromTarget.filter((e) => e.kind !== 'packet')).toEqual([]);
      const targetData = dataPackets(fromTarget);
      expect(targetData.every((p) => p.checksumOk)).toBe(true);
      const changes = targetData
        .filter((p) => p.type === PacketType.STATE_CHANGE64)
        .map((p) => decodeStateChange64(p.payload));
      expect(changes.map((c) => c.newState)).toEqual([
        StateChange.LoadSymbols,
        StateChange.Exception,
        StateChange.Exception,
      ]);
      expect(changes[0]!.path).toBe('\\SystemRoot\\system32\\ntoskrnl.exe');
      const replies = targetData
        .filter((p) => p.type === PacketType.STATE_MANIPULATE)
        .map((p) => decodeManipulate(p.payload));
      expect(replies.map((r) => r.api)).toEqual([
        ManipulateApi.GetVersion,
        ManipulateApi.ReadVirtualMemory,
        ManipulateApi.ReadPhysicalMemory,
        ManipulateApi.GetContext,
        ManipulateApi.ReadMachineSpecificRegister,
        ManipulateApi.WriteBreakPoint,
        ManipulateApi.ReadVirtualMemory,
        ManipulateApi.RestoreBreakPoint,
      ]);
      expect(replies.every((r) => r.returnStatus === 0)).toBe(true);
      const version = replies[0]!.fields;
      expect(version).toMatchObject({
        majorVersion: 0xf,
        minorVersion: 0x4a61,
        protocolVersion: 6,
        flags: 0x47,
        machineType: 0x8664,
        maxPacketType: 12,
        maxStateChange: 3,
        maxManipulate: 0x33,
      });
      // First packet after the RESET answer: ids start over (SYNC only at boot).
      const controls = fromTarget.filter(
        (e): e is KdPacketEvent => e.kind === 'packet' && e.leader === 'control',
      );
      expect(controls[0]!.type).toBe(PacketType.RESET);
      expect((targetData[0]!.id & ~0x800) >>> 0).toBe(0x80800000);

      // What the debugger sent: RESET, requests, Continue2 x3, two break-in bytes.
      const toTarget = decodeAll(wire.toTarget);
      expect(toTarget.filter((e) => e.kind === 'breakin')).toHaveLength(1 + 0);
      const requests = dataPackets(toTarget).map((p) => decodeManipulate(p.payload).api);
      expect(requests.filter((a) => a === ManipulateApi.Continue2)).toHaveLength(3);
      expect(requests[0]).toBe(ManipulateApi.GetVersion);
      // Every data packet each way was acknowledged with its own id.
      const acksFromDebugger = toTarget.filter(
        (e): e is KdPacketEvent => e.kind === 'packet' && e.type === PacketType.ACKNOWLEDGE,
      );
      expect(acksFromDebugger.map((a) => a.id)).toEqual(
        targetData.map((p) => (p.id & ~0x800) >>> 0),
      );
    });
  }

  it('runs several sessions back to back against one target (break-in starts the later ones)', async () => {
    const { stream, target } = createSimTargetChannel({ runMs: 1 });
    cleanups.push(() => void stream.destroy());
    const report = await runScriptedDebugger(stream, { loops: 5 });
    expect(report.error).toBeUndefined();
    expect(report.loopsCompleted).toBe(5);
    expect(report.stateChanges).toBe(1 + 5 * 2 + 4);
    expect(target.state).toBe('running');
    expect(target.stats.notImplemented).toBe(0);
  });

  it('recovers from a target that drops or corrupts some packets', async () => {
    for (const fault of [
      { kind: 'corrupt' as const, every: 3 },
      { kind: 'drop' as const, every: 4 },
    ]) {
      const { stream, target } = createSimTargetChannel({ fault, ackTimeoutMs: 100, runMs: 1 });
      cleanups.push(() => void stream.destroy());
      const report = await runScriptedDebugger(stream, { ackTimeoutMs: 100 });
      expect(report.error, fault.kind).toBeUndefined();
      expect(target.stats.faultsApplied).toBeGreaterThan(0);
      if (fault.kind === 'corrupt') expect(report.link.badChecksums).toBeGreaterThan(0);
      else expect(target.stats.link.retransmits).toBeGreaterThan(0);
    }
  });
});

describe('scripted debugger against a broken target', () => {
  it('names a reply with the wrong ApiNumber', async () => {
    const { stream } = createSimTargetChannel({ fault: { kind: 'garble', every: 2 } });
    cleanups.push(() => void stream.destroy());
    const report = await runScriptedDebugger(stream);
    expect(report.ok).toBe(false);
    expect(report.error).toBe(
      'ReadVirtualMemory 0xfffff80000000000: reply ApiNumber 0x3030 (Unknown(0x3030)), expected 0x3130',
    );
  });

  it('gives up on a target whose packets are always corrupt', async () => {
    const { stream } = createSimTargetChannel({ fault: { kind: 'corrupt', every: 1 } });
    cleanups.push(() => void stream.destroy());
    const report = await runScriptedDebugger(stream, {
      stateChangeWaitMs: 200,
      replyTimeoutMs: 300,
    });
    expect(report.ok).toBe(false);
    expect(report.error).toMatch(
      /^no state change within 300 ms after the break-in \(\d+ bad checksums/,
    );
  });

  it('says so when the peer sends only garbage', async () => {
    const path = join(dir, 'garbage.sock');
    await rawServer(path, (socket) => {
      const noise = Buffer.alloc(4096);
      for (let i = 0; i < noise.length; i++) noise[i] = (i * 7 + 3) & 0x5f; // no leader-byte runs
      socket.write(noise);
    });
    const socket = await dial({ kind: 'unix', path });
    cleanups.push(() => void socket.destroy());
    const report = await runScriptedDebugger(socket, { stateChangeWaitMs: 150, resetTries: 2 });
    expect(report.ok).toBe(false);
    expect(report.error).toMatch(
      /^the target did not answer RESET \(2 tries; received \d+ garbage bytes, 0 bad checksums, 0 packets\)$/,
    );
    expect(report.link.garbageBytes).toBeGreaterThan(4000);
  });

  it('says so when the target hangs up', async () => {
    const path = join(dir, 'hangup.sock');
    await rawServer(path, (socket) => socket.end());
    const socket = await dial({ kind: 'unix', path });
    cleanups.push(() => void socket.destroy());
    const report = await runScriptedDebugger(socket);
    expect(report.ok).toBe(false);
    expect(report.error).toBe('the target closed the connection');
  });
});
