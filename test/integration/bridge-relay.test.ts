// The bridge between a fake debugger and a fake target on real unix sockets.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Bridge, type BridgeEvent } from '../../electron/engine/bridge/bridge';
import type { StreamChunk } from '../../electron/capture/chunk';
import { parseEndpoint } from '../../electron/engine/endpoint';
import { PacketType } from '../../protocol/kd/constants';
import {
  concatBytes,
  encodeAck,
  encodeBreakin,
  encodeDataPacket,
  encodeReset,
} from '../../protocol/kd/encoder';
import { untilWithin } from '../support/until';

// A full collection on demand, for what a bridge holds (gc is exposed to new contexts only).
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

let dir: string;
const cleanups: (() => Promise<void> | void)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-bridge-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** A target that listens on a unix socket and hands each connection to the test. */
async function fakeTarget(path: string): Promise<{ server: Server; next(): Promise<Socket> }> {
  const server = createServer();
  const waiting: ((s: Socket) => void)[] = [];
  const ready: Socket[] = [];
  const all = new Set<Socket>();
  server.on('connection', (socket) => {
    all.add(socket);
    socket.once('close', () => all.delete(socket));
    const taker = waiting.shift();
    if (taker) taker(socket);
    else ready.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of all) s.destroy();
        server.close(() => resolve());
      }),
  );
  return {
    server,
    next: () =>
      new Promise<Socket>((resolve) => {
        const socket = ready.shift();
        if (socket) resolve(socket);
        else waiting.push(resolve);
      }),
  };
}

async function fakeDebugger(path: string): Promise<Socket> {
  const socket = connect({ path });
  await once(socket, 'connect');
  cleanups.push(() => void socket.destroy());
  return socket;
}

/** Who relays in the tests of a describe block (both run the same tests). */
let relayMode: 'thread' | 'node' = 'thread';

async function startBridge(
  taps?: StreamChunk[][],
  events: BridgeEvent[] = [],
): Promise<{ bridge: Bridge; dbgPath: string; tgtPath: string }> {
  const dbgPath = join(dir, 'dbg.sock');
  const tgtPath = join(dir, 'tgt.sock');
  const bridge = await Bridge.start({
    debugger: parseEndpoint(`unix:${dbgPath}`),
    target: parseEndpoint(`unix:${tgtPath}`),
    backoff: { initialMs: 20, maxMs: 200 },
    relay: relayMode,
    taps: [
      {
        name: 'test tap',
        write: (batch) => void taps?.push([...batch]),
        close: () => undefined,
      },
    ],
  });
  bridge.subscribe((e) => events.push(e));
  cleanups.push(() => bridge.close());
  return { bridge, dbgPath, tgtPath };
}

/** Collects everything a socket receives until it has `count` bytes. */
function receive(socket: Socket, count: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let total = 0;
    const timer = setTimeout(
      () => reject(new Error(`received ${total} of ${count} bytes`)),
      20_000,
    );
    const onData = (chunk: Buffer): void => {
      parts.push(chunk);
      total += chunk.length;
      if (total >= count) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(Buffer.concat(parts));
      }
    };
    socket.on('data', onData);
  });
}

/** KD packets mixed with random garbage, in random-sized writes. */
function kdStream(seedPackets: number): Uint8Array {
  const parts: Uint8Array[] = [encodeReset()];
  for (let i = 0; i < seedPackets; i++) {
    parts.push(
      encodeDataPacket(PacketType.STATE_MANIPULATE, 0x80800000 + (i & 1), randomBytes(i % 700)),
    );
    parts.push(encodeAck(0x80800000 + (i & 1)));
    if (i % 13 === 0) parts.push(randomBytes(1 + (i % 50)));
    if (i % 29 === 0) parts.push(encodeBreakin());
  }
  return concatBytes(parts);
}

async function writeInPieces(socket: Socket, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) {
    const n = Math.min(bytes.length - at, 1 + Math.floor(Math.random() * 9000));
    if (!socket.write(bytes.subarray(at, at + n))) await once(socket, 'drain');
    at += n;
  }
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const until = untilWithin(10_000, 5);

describe.each(['thread', 'node'] as const)('Bridge relay (%s)', (relay) => {
  beforeEach(() => {
    relayMode = relay;
  });

  it('relays both ways at once, byte-exact (sha256), garbage included, and taps every chunk', async () => {
    const taps: StreamChunk[][] = [];
    const events: BridgeEvent[] = [];
    const target = await fakeTarget(join(dir, 'tgt.sock'));
    const { bridge, dbgPath } = await startBridge(taps, events);
    const tgt = await target.next();
    const dbg = await fakeDebugger(dbgPath);
    await until(() => bridge.connected('debugger') && bridge.connected('target'), 'both sides');
    // The writes start at once: the relay thread, while it loads, takes the sockets mid-stream.

    const toTarget = concatBytes([kdStream(800), randomBytes(300_000)]);
    const toDebugger = concatBytes([randomBytes(200_000), kdStream(1200)]);
    const gotByTarget = receive(tgt, toTarget.length);
    const gotByDebugger = receive(dbg, toDebugger.length);
    await Promise.all([writeInPieces(dbg, toTarget), writeInPieces(tgt, toDebugger)]);
    expect(sha(await gotByTarget)).toBe(sha(toTarget));
    expect(sha(await gotByDebugger)).toBe(sha(toDebugger));
    await until(() => bridge.relayedBy() === relay, `relayed by ${relay}`);

    // The relay thread hands its chunks over a moment after it wrote them.
    await until(
      () =>
        bridge.counters()['debugger->target'].bytes === toTarget.length &&
        bridge.counters()['target->debugger'].bytes === toDebugger.length,
      'the counters caught up',
    );
    const counters = bridge.counters();
    expect(counters['debugger->target'].bytes).toBe(toTarget.length);
    expect(counters['target->debugger'].bytes).toBe(toDebugger.length);
    expect(counters['debugger->target'].droppedBytes).toBe(0);
    // The tap saw exactly the relayed bytes, in order, per direction (a last small chunk
    // reaches the taps a moment after it was relayed).
    const tapped = (dir: string): Uint8Array =>
      concatBytes(
        taps
          .flat()
          .filter((c) => c.dir === dir)
          .map((c) => c.bytes),
      );
    const tappedBytes = (): number => taps.flat().reduce((n, c) => n + c.bytes.length, 0);
    await until(() => tappedBytes() >= toTarget.length + toDebugger.length, 'every chunk tapped');
    expect(sha(tapped('debugger->target'))).toBe(sha(toTarget));
    expect(sha(tapped('target->debugger'))).toBe(sha(toDebugger));
    const times = taps.flat().map((c) => c.timeUs);
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    expect(Math.abs(times[0]! / 1000 - Date.now())).toBeLessThan(60_000);
    expect(events.filter((e) => e.kind === 'error')).toEqual([]);
  });

  it('keeps the target when the debugger restarts, and counters survive', async () => {
    const events: BridgeEvent[] = [];
    const target = await fakeTarget(join(dir, 'tgt.sock'));
    const { bridge, dbgPath } = await startBridge(undefined, events);
    const tgt = await target.next();
    const first = await fakeDebugger(dbgPath);
    await until(() => bridge.connected('debugger'), 'first debugger');
    first.write(encodeReset());
    await receive(tgt, 16);
    first.destroy();
    await until(() => !bridge.connected('debugger'), 'debugger gone');
    expect(bridge.connected('target')).toBe(true);
    expect(bridge.health.status('debugger').line).toMatch(/debugger: gone for \d+ s, waiting/);

    // Bytes from the target with nobody to receive them are recorded and counted as dropped.
    tgt.write(Buffer.from('iiii'));
    await until(() => bridge.counters()['target->debugger'].droppedBytes === 4, 'drop count');

    const second = await fakeDebugger(dbgPath);
    await until(() => bridge.connected('debugger'), 'second debugger');
    const got = receive(tgt, 16);
    second.write(encodeReset());
    expect(Buffer.compare(await got, Buffer.from(encodeReset()))).toBe(0);
    const back = receive(second, 5);
    tgt.write(Buffer.from('hello'));
    expect((await back).toString()).toBe('hello');
    await until(() => bridge.counters()['debugger->target'].bytes === 32, '32 bytes counted');
    const counters = bridge.counters();
    expect(counters.debuggerConnections).toBe(2);
    expect(counters.targetConnections).toBe(1);
    const sides = events.flatMap((e) => (e.kind === 'side' ? [`${e.side}:${e.state}`] : []));
    expect(sides).toEqual([
      'target:connected',
      'debugger:connected',
      'debugger:gone',
      'debugger:connected',
    ]);
  });

  it('a debugger that leaves while the target floods it is gone, not an error', async () => {
    const events: BridgeEvent[] = [];
    const target = await fakeTarget(join(dir, 'tgt.sock'));
    const { bridge, dbgPath } = await startBridge(undefined, events);
    const tgt = await target.next();
    // The bridge closes this end with our flood unread when the test ends: a reset, expected.
    tgt.on('error', () => undefined);
    const dbg = await fakeDebugger(dbgPath);
    await until(() => bridge.connected('debugger'), 'the debugger');
    // The target writes without pause, so the bridge is writing when the debugger goes.
    const block = Buffer.alloc(64 * 1024, 0x69);
    let flooding = true;
    const flood = (): void => {
      while (flooding && tgt.write(block));
      if (flooding) tgt.once('drain', flood);
    };
    flood();
    await until(() => bridge.counters()['target->debugger'].bytes > 4 * block.length, 'flood');
    dbg.destroy();
    await until(() => !bridge.connected('debugger'), 'the debugger gone');
    await until(
      () => bridge.counters()['target->debugger'].droppedBytes > 0,
      'bytes dropped after it left',
    );
    flooding = false;
    expect(events.filter((e) => e.kind === 'error')).toEqual([]);
    expect(bridge.counters().errors).toBe(0);
    expect(bridge.health.status('debugger').line).toMatch(/debugger: gone/);
  });

  it('bytes flowing both ways while the relay changes hands arrive whole and in order', async () => {
    const taps: StreamChunk[][] = [];
    const target = await fakeTarget(join(dir, 'tgt.sock'));
    const { bridge, dbgPath } = await startBridge(taps);
    const tgt = await target.next();
    const dbg = await fakeDebugger(dbgPath);
    await until(() => bridge.connected('debugger') && bridge.connected('target'), 'both sides');
    const sent: Buffer[][] = [[], []];
    const got: Buffer[][] = [[], []];
    tgt.on('data', (chunk: Buffer) => got[0]!.push(chunk));
    dbg.on('data', (chunk: Buffer) => got[1]!.push(chunk));
    // Small pieces from both peers, each turn, until the relay is in its final hands and a
    // few hundred more pieces went through them.
    let after = 0;
    for (let i = 0; after < 200; i++) {
      if (bridge.relayedBy() === relay) after++;
      for (const [n, socket] of [dbg, tgt].entries()) {
        const piece = randomBytes(1 + ((i * 131 + n * 17) % 700));
        sent[n]!.push(piece);
        socket.write(piece);
      }
      await new Promise((resolve) => setImmediate(resolve));
      if (i > 20_000) throw new Error(`the relay never became ${relay}'s`);
    }
    const whole = (parts: Buffer[]): Buffer => Buffer.concat(parts);
    await until(
      () =>
        whole(got[0]!).length === whole(sent[0]!).length &&
        whole(got[1]!).length === whole(sent[1]!).length,
      'everything through',
    );
    expect(sha(whole(got[0]!))).toBe(sha(whole(sent[0]!)));
    expect(sha(whole(got[1]!))).toBe(sha(whole(sent[1]!)));
    const tapped = (d: string): Buffer =>
      whole(
        taps
          .flat()
          .filter((c) => c.dir === d)
          .map((c) => Buffer.from(c.bytes)),
      );
    await until(
      () =>
        tapped('debugger->target').length + tapped('target->debugger').length ===
        whole(sent[0]!).length + whole(sent[1]!).length,
      'everything tapped',
    );
    expect(sha(tapped('debugger->target'))).toBe(sha(whole(sent[0]!)));
    expect(sha(tapped('target->debugger'))).toBe(sha(whole(sent[1]!)));
  });

  it('a debugger that leaves at once (the thread still loading) is gone; the next one is relayed', async () => {
    const events: BridgeEvent[] = [];
    const target = await fakeTarget(join(dir, 'tgt.sock'));
    const { bridge, dbgPath } = await startBridge(undefined, events);
    const tgt = await target.next();
    await until(() => bridge.connected('target'), 'the target');
    const first = await fakeDebugger(dbgPath);
    await until(() => bridge.connected('debugger'), 'the first debugger');
    first.destroy();
    await until(() => !bridge.connected('debugger'), 'the first debugger gone');
    // A thread loading for the gone socket is stopped, not handed a closed socket when ready.
    await until(
      () => (bridge as unknown as { offload?: unknown }).offload === undefined,
      'no relay thread for a gone debugger',
    );
    const second = await fakeDebugger(dbgPath);
    await until(() => bridge.relayedBy() === relay && bridge.connected('debugger'), 'relaying');
    const got = receive(tgt, 4);
    second.write(Buffer.from('kd!!'));
    expect((await got).toString()).toBe('kd!!');
    expect(events.filter((e) => e.kind === 'error')).toEqual([]);
  });

  it('a second debugger replaces the first while bytes flow, and the relay goes on with it', async () => {
    const taps: StreamChunk[][] = [];
    const events: BridgeEvent[] = [];
    const target = await fakeTarget(join(dir, 'tgt.sock'));
    const { bridge, dbgPath } = await startBridge(taps, events);
    const tgt = await target.next();
    const first = await fakeDebugger(dbgPath);
    await until(() => bridge.connected('debugger') && bridge.relayedBy() === relay, 'relaying');
    const firstGot = receive(first, 3);
    tgt.write(Buffer.from('one'));
    expect((await firstGot).toString()).toBe('one');
    const firstClosed = once(first, 'close');
    const second = await fakeDebugger(dbgPath);
    await firstClosed;
    await until(() => bridge.counters().debuggerConnections === 2, 'second debugger');
    await until(() => bridge.relayedBy() === relay, 'relaying again');
    const toTarget = randomBytes(200_000);
    const gotByTarget = receive(tgt, 3 + toTarget.length);
    second.write(Buffer.from('two'));
    await writeInPieces(second, toTarget);
    expect(sha(await gotByTarget)).toBe(sha(concatBytes([Buffer.from('two'), toTarget])));
    const back = receive(second, 5);
    tgt.write(Buffer.from('three'));
    expect((await back).toString()).toBe('three');
    await until(
      () => taps.flat().reduce((n, c) => n + c.bytes.length, 0) === 3 + 3 + toTarget.length + 5,
      'every byte tapped',
    );
    expect(events.filter((e) => e.kind === 'error')).toEqual([]);
    // Said once, between the first debugger's connection and the second's.
    const said = events.filter((e) => e.kind === 'notice' || e.kind === 'side');
    expect(said.filter((e) => e.kind === 'notice')).toEqual([
      {
        kind: 'notice',
        source: 'debugger',
        level: 'info',
        message: 'debugger: a new connection came; the earlier one was closed',
      },
    ]);
    const debuggerSaid = said.filter((e) => e.kind === 'notice' || e.side === 'debugger');
    expect(debuggerSaid.map((e) => (e.kind === 'side' ? e.state : e.kind))).toEqual([
      'connected',
      'notice',
      'connected',
    ]);
  });

  it('close() while a flood is relayed: the taps hold every byte a peer received', async () => {
    const taps: StreamChunk[][] = [];
    const target = await fakeTarget(join(dir, 'tgt.sock'));
    const { bridge, dbgPath } = await startBridge(taps);
    const tgt = await target.next();
    tgt.on('error', () => undefined);
    const dbg = await fakeDebugger(dbgPath);
    dbg.on('error', () => undefined);
    await until(() => bridge.relayedBy() === relay && bridge.connected('target'), 'relaying');
    let received = 0;
    tgt.on('data', (chunk: Buffer) => (received += chunk.length));
    const block = randomBytes(64 * 1024);
    let flooding = true;
    const flood = (): void => {
      while (flooding && dbg.write(block));
      if (flooding) dbg.once('drain', flood);
    };
    flood();
    await until(() => received > 1 << 20, 'a megabyte through');
    await bridge.close();
    flooding = false;
    await until(() => tgt.destroyed || tgt.readableEnded, 'the target side closed');
    const tapped = taps.flat().reduce((n, c) => n + c.bytes.length, 0);
    expect(tapped).toBe(bridge.counters()['debugger->target'].bytes);
    expect(tapped).toBeGreaterThanOrEqual(received);
  });

  it('reconnects to a target that went away, with backoff, and says why once', async () => {
    const events: BridgeEvent[] = [];
    const { bridge, dbgPath, tgtPath } = await startBridge(undefined, events);
    const dbg = await fakeDebugger(dbgPath);
    // No target yet: the bridge retries and reports the failure once. Node publishes each
    // client socket it creates: each is a retry (the debugger has connected already).
    await until(() => events.some((e) => e.kind === 'unreachable'), 'a target failure');
    let retries = 0;
    const onSocket = (): void => void retries++;
    subscribe('net.client.socket', onSocket);
    try {
      await until(() => retries >= 3, 'three more attempts to reach the target');
    } finally {
      unsubscribe('net.client.socket', onSocket);
    }
    // The expected wait for a target, said once; not counted as an error.
    const failures = events.filter((e) => e.kind === 'unreachable');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ side: 'target' });
    expect((failures[0] as { message: string }).message).toMatch(/tgt\.sock: nobody listens there/);
    expect(events.filter((e) => e.kind === 'error')).toEqual([]);
    expect(bridge.counters().errors).toBe(0);

    let target = await fakeTarget(tgtPath);
    let tgt = await target.next();
    await until(() => bridge.connected('target'), 'target connected');
    const got = receive(tgt, 3);
    dbg.write(Buffer.from('abc'));
    expect((await got).toString()).toBe('abc');

    // The target goes away (the VM restarts) and comes back on the same path.
    tgt.destroy();
    await new Promise<void>((resolve) => target.server.close(() => resolve()));
    await until(() => !bridge.connected('target'), 'target gone');
    expect(bridge.connected('debugger')).toBe(true);
    target = await fakeTarget(tgtPath);
    tgt = await target.next();
    await until(() => bridge.connected('target'), 'target back');
    const again = receive(tgt, 3);
    dbg.write(Buffer.from('xyz'));
    expect((await again).toString()).toBe('xyz');
    expect(bridge.counters().targetConnections).toBe(2);
    await until(() => bridge.counters()['debugger->target'].bytes === 6, 'six bytes counted');
  });

  it('applies backpressure: a slow reader bounds memory while a fast writer pushes 100 MB', async () => {
    const { bridge, dbgPath, tgtPath } = await startBridge();
    const target = await fakeTarget(tgtPath);
    const tgt = await target.next();
    const dbg = await fakeDebugger(dbgPath);
    await until(() => bridge.connected('debugger'), 'debugger');
    const total = 100 * 1024 * 1024;
    const block = randomBytes(64 * 1024);
    const hash = createHash('sha256');
    const expected = createHash('sha256');
    let received = 0;
    let peakBuffered = 0;
    const bridgeSinks: Socket[] = [];
    // The target reads slowly: pause 2 ms after every 1 MB.
    let nextPause = 1 << 20;
    tgt.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      received += chunk.length;
      if (received >= nextPause) {
        nextPause += 1 << 20;
        tgt.pause();
        setTimeout(() => tgt.resume(), 2);
      }
    });
    // What the bridge holds, not when V8 frees the garbage of 100 MB of reads: heap and
    // buffers after a full collection. Taken once bytes flow, so the relay thread's own start
    // (its isolate, its ring) is not counted.
    const held = (): number => {
      collectGarbage();
      collectGarbage();
      const usage = process.memoryUsage();
      return usage.heapUsed + usage.arrayBuffers;
    };
    let sent = 0;
    while (sent < 4 * block.length) {
      expected.update(block);
      sent += block.length;
      dbg.write(block);
    }
    await until(() => received >= sent, 'the first blocks through');
    const baseline = held();
    let peakHeld = baseline;
    const sampler = setInterval(() => {
      peakBuffered = Math.max(peakBuffered, bridge.queues()['debugger->target'].queuedBytes);
    }, 5);
    const heldSampler = setInterval(() => (peakHeld = Math.max(peakHeld, held())), 100);
    while (sent < total) {
      expected.update(block);
      sent += block.length;
      if (!dbg.write(block)) await once(dbg, 'drain');
    }
    await until(() => received >= total, '100 MB through', 60_000);
    clearInterval(sampler);
    clearInterval(heldSampler);
    void bridgeSinks;
    expect(hash.digest('hex')).toBe(expected.digest('hex'));
    // The bridge's socket to the target never holds more than a few of its high-water marks.
    expect(peakBuffered).toBeLessThan(4 * 1024 * 1024);
    expect(peakHeld - baseline).toBeLessThan(16 * 1024 * 1024);
  }, 60_000);

  it('close() is idempotent, closes both sides and the taps once', async () => {
    let closedTaps = 0;
    const dbgPath = join(dir, 'd.sock');
    const tgtPath = join(dir, 't.sock');
    const target = await fakeTarget(tgtPath);
    const bridge = await Bridge.start({
      debugger: parseEndpoint(`unix:${dbgPath}`),
      target: parseEndpoint(`unix:${tgtPath}`),
      taps: [{ name: 't', write: () => undefined, close: () => void closedTaps++ }],
    });
    const tgt = await target.next();
    const dbg = await fakeDebugger(dbgPath);
    await until(() => bridge.connected('debugger'), 'debugger');
    const closed = [once(tgt, 'close'), once(dbg, 'close')];
    await Promise.all([bridge.close(), bridge.close()]);
    await Promise.all(closed);
    expect(closedTaps).toBe(1);
  });
});

describe('Bridge taps', () => {
  it('a tap that throws is reported once, stopped and closed; the other taps and the relay go on', async () => {
    const dbgPath = join(dir, 'd.sock');
    const tgtPath = join(dir, 't.sock');
    const target = await fakeTarget(tgtPath);
    let badClosed = 0;
    const good: StreamChunk[] = [];
    const bridge = await Bridge.start({
      debugger: parseEndpoint(`unix:${dbgPath}`),
      target: parseEndpoint(`unix:${tgtPath}`),
      taps: [
        {
          name: 'broken',
          write: () => {
            throw new Error('boom');
          },
          close: () => void badClosed++,
        },
        { name: 'good', write: (batch) => void good.push(...batch), close: () => undefined },
      ],
    });
    cleanups.push(() => bridge.close());
    const errors: string[] = [];
    bridge.subscribe((e) => {
      if (e.kind === 'error') errors.push(e.message);
    });
    const tgt = await target.next();
    const dbg = await fakeDebugger(dbgPath);
    await until(() => bridge.connected('debugger'), 'debugger');
    for (let i = 0; i < 3; i++) {
      const got = receive(tgt, 16);
      dbg.write(encodeReset());
      await got;
    }
    await until(() => good.length === 3, 'the good tap');
    expect(errors).toEqual(['broken failed and was stopped: boom']);
    expect(badClosed).toBe(1);
  });
});
