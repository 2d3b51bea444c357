// The relay thread on its own, over real TCP sockets: it moves bytes both ways, hands copies
// over in order, gives the sockets back to Node when stopped, and says when it could not run.
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import {
  errnoName,
  FdRelay,
  loadFdRelay,
  socketFd,
  startReading,
  stopReading,
  type FdRelayEnd,
} from '../../electron/engine/bridge/fd-relay';
import type { RingRecord } from '../../electron/engine/bridge/fd-ring';
import { concatBytes } from '../../protocol/kd/encoder';
import { untilWithin } from '../support/until';

const until = untilWithin(10_000, 5);
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A connected TCP pair on loopback: [the end the relay holds, the peer's end]. */
async function tcpPair(): Promise<[Socket, Socket]> {
  const server: Server = createServer({ pauseOnConnect: true });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const peer = connect({ port: (server.address() as { port: number }).port, host: '127.0.0.1' });
  await once(peer, 'connect');
  const [held] = await accepted;
  server.close();
  cleanups.push(() => {
    held.destroy();
    peer.destroy();
  });
  return [held, peer];
}

function collect(socket: Socket): { bytes(): Buffer } {
  const parts: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => parts.push(chunk));
  return { bytes: () => Buffer.concat(parts) };
}

describe('relay thread', () => {
  it('relays both ways, hands over every byte in order, and gives the sockets back', async () => {
    const runtime = await loadFdRelay();
    expect(runtime, 'koffi and libc load on Linux').toBeDefined();
    const [dbgHeld, dbgPeer] = await tcpPair();
    const [tgtHeld, tgtPeer] = await tcpPair();
    stopReading(dbgHeld);
    stopReading(tgtHeld);
    const records: RingRecord[] = [];
    const ends: FdRelayEnd[] = [];
    const relay = new FdRelay(
      runtime!,
      { debugger: socketFd(dbgHeld)!, target: socketFd(tgtHeld)! },
      {
        ready: () => relay.go(),
        records: (r) => records.push(...r),
        ended: (e) => ends.push(e),
      },
    );
    const atTarget = collect(tgtPeer);
    const atDebugger = collect(dbgPeer);
    const toTarget = randomBytes(3_000_000);
    const toDebugger = randomBytes(500_000);
    dbgPeer.write(toTarget);
    tgtPeer.write(toDebugger);
    await until(() => atTarget.bytes().length === toTarget.length, 'the target got it all');
    await until(() => atDebugger.bytes().length === toDebugger.length, 'the debugger got it all');
    expect(atTarget.bytes().equals(toTarget)).toBe(true);
    expect(atDebugger.bytes().equals(toDebugger)).toBe(true);
    const handed = (dir: 0 | 1): Buffer =>
      Buffer.from(concatBytes(records.filter((r) => r.dir === dir).map((r) => r.bytes)));
    await until(
      () => handed(0).length === toTarget.length && handed(1).length === toDebugger.length,
      'every byte handed over',
    );
    expect(handed(0).equals(toTarget)).toBe(true);
    expect(handed(1).equals(toDebugger)).toBe(true);
    expect(relay.pendingBytes(0)).toBe(0);

    const end = await relay.stop();
    expect(end.side).toBeUndefined();
    expect(ends).toEqual([end]);
    // Node reads the sockets again.
    const again = once(dbgHeld, 'data') as Promise<[Buffer]>;
    startReading(dbgHeld);
    dbgPeer.write('back to node');
    expect((await again)[0].toString()).toBe('back to node');
  });

  it('ends when a side closes, and says which', async () => {
    const runtime = (await loadFdRelay())!;
    const [dbgHeld, dbgPeer] = await tcpPair();
    const [tgtHeld] = await tcpPair();
    stopReading(dbgHeld);
    stopReading(tgtHeld);
    const ended = new Promise<FdRelayEnd>((resolve) => {
      const relay: FdRelay = new FdRelay(
        runtime,
        { debugger: socketFd(dbgHeld)!, target: socketFd(tgtHeld)! },
        { ready: () => relay.go(), records: () => undefined, ended: resolve },
      );
    });
    dbgPeer.end();
    expect(await ended).toMatchObject({ side: 'debugger', code: 'EOF' });
  });

  it('a thread that cannot start says so, and touched nothing', async () => {
    const runtime = (await loadFdRelay())!;
    const [dbgHeld] = await tcpPair();
    const [tgtHeld] = await tcpPair();
    const end = await new Promise<FdRelayEnd>((resolve) => {
      new FdRelay(
        { ...runtime, koffiPath: '/nonexistent/koffi' },
        { debugger: socketFd(dbgHeld)!, target: socketFd(tgtHeld)! },
        { ready: () => expect.fail('it never loaded'), records: () => undefined, ended: resolve },
      );
    });
    expect(end).toEqual({ code: 'the relay thread failed', pending: {} });
  });

  it('takes only sockets with descriptors, on Linux', async () => {
    expect(socketFd(new PassThrough())).toBeUndefined();
    const [held] = await tcpPair();
    expect(socketFd(held)).toBeGreaterThan(2);
    held.destroy();
    expect(socketFd(held)).toBeUndefined();
    expect(await loadFdRelay('darwin')).toBeUndefined();
    expect(await loadFdRelay('win32')).toBeUndefined();
    expect(errnoName(0)).toBe('EOF');
    expect(errnoName(104)).toBe('ECONNRESET');
    expect(errnoName(99999)).toBe('errno 99999');
  });
});
