// A whole KD session through the bridge in-process: the scripted debugger on a real unix
// socket in front, the simulated target (`sim`) behind; decoded packets and health come out.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Bridge, type BridgeEvent } from '../../electron/engine/bridge/bridge';
import { sessionBridgeDecoder } from '../../electron/engine/session/decoder';
import { parseEndpoint } from '../../electron/engine/endpoint';
import { runScriptedDebugger, simTargetFactory } from '../../electron/engine/simulators';
import type { PacketRecord } from '../../protocol/session/record';
import { PacketFlag } from '../../protocol/session/record';
import { encodeReset } from '../../protocol/kd/encoder';
import { untilWithin } from '../support/until';

let dir: string;
const cleanups: (() => Promise<void> | void)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-session-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const until = untilWithin(10_000, 5);

describe('a KD session through the bridge', () => {
  it('scripted debugger <-> simulated target: the session completes, twice, and every packet is decoded', async () => {
    const path = join(dir, 'dbg.sock');
    const bridge = await Bridge.start({
      debugger: parseEndpoint(`unix:${path}`),
      target: parseEndpoint('sim'),
      deps: { simTarget: simTargetFactory() },
      decoder: sessionBridgeDecoder(),
    });
    cleanups.push(() => bridge.close());
    const records: PacketRecord[] = [];
    const health: string[] = [];
    bridge.subscribe((e: BridgeEvent) => {
      if (e.kind === 'packets') records.push(...e.records);
      if (e.kind === 'health') health.push(e.status.line);
    });
    await until(() => bridge.connected('target'), 'the simulated target');
    for (let run = 0; run < 2; run++) {
      // The debugger restarts between the runs; the target connection and the session stay.
      const socket = connect({ path });
      await once(socket, 'connect');
      const report = await runScriptedDebugger(socket, { loops: 1 });
      socket.destroy();
      expect(report.error).toBeUndefined();
      expect(report.ok).toBe(true);
      await until(() => !bridge.connected('debugger'), 'the debugger to go');
    }
    // The decoder's records reach subscribers a little after the bytes are counted.
    await until(
      () => records.filter((r) => r.kind === 'packet').length >= bridge.counters().packets,
      'the records of every packet counted',
    );
    const counters = bridge.counters();
    expect(counters.targetConnections).toBe(1);
    expect(counters.debuggerConnections).toBe(2);
    expect(counters.errors).toBe(0);
    const packets = records.filter((r) => r.kind === 'packet');
    expect(packets.length).toBe(counters.packets);
    expect(packets.some((r) => r.apiName === 'GetVersion')).toBe(true);
    expect(packets.some((r) => r.typeName === 'STATE_CHANGE64')).toBe(true);
    expect(records.filter((r) => r.flags & PacketFlag.CHECKSUM_ERROR)).toEqual([]);
    expect(records.filter((r) => r.kind === 'garbage')).toEqual([]);
    expect(health).toContain('debugger: connected and talking');
    expect(
      health.some((l) =>
        /^debugger: gone for \d+ s, waiting for the debugger to reconnect$/.test(l),
      ),
    ).toBe(true);
  });

  it('says "RESET bounce" when stale RESETs ping-pong with no data', async () => {
    const tgtPath = join(dir, 'tgt.sock');
    const server = createServer((socket) => {
      // A target that answers every RESET with a RESET, as kdcom does.
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => {
        for (let i = 0; i + 16 <= chunk.length; i += 16) socket.write(encodeReset());
      });
    });
    await new Promise<void>((r) => server.listen(tgtPath, r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const bridge = await Bridge.start({
      debugger: parseEndpoint(`unix:${join(dir, 'dbg.sock')}`),
      target: parseEndpoint(`unix:${tgtPath}`),
      decoder: sessionBridgeDecoder(),
      health: { resetLoopCount: 6, resetWindowMs: 3000 },
      tickMs: 50,
    });
    cleanups.push(() => bridge.close());
    const lines: string[] = [];
    bridge.subscribe((e) => {
      if (e.kind === 'health') lines.push(e.status.line);
    });
    const dbg: Socket = connect({ path: join(dir, 'dbg.sock') });
    await once(dbg, 'connect');
    dbg.on('error', () => undefined);
    cleanups.push(() => void dbg.destroy());
    // A debugger answering each RESET with another (the stale-buffer loop).
    dbg.on('data', () => dbg.write(encodeReset()));
    dbg.write(encodeReset());
    await until(() => lines.some((l) => l.includes('RESET bounce')), 'the RESET bounce line');
    const line = lines.find((l) => l.includes('RESET bounce'))!;
    expect(line).toMatch(
      /^(debugger|target): RESET bounce: \d+ RESETs from the debugger and \d+ from the target within 3 s, no data/,
    );
    dbg.removeAllListeners('data');
  });
});
