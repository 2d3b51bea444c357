// Bridge relay bench: throughput of `kdscope bridge` (recording + decoding) against socat
// relaying the same TCP loopback pair, and the latency a small packet round trip gains through
// the bridge against a direct connection. Both relays run as separate processes; the same
// driver (writer, reader, echo) runs here.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { PacketType } from '../../protocol/kd/constants';
import { concatBytes, encodeAck, encodeDataPacket } from '../../protocol/kd/encoder';

const TOTAL = 256 * 1024 * 1024;
const ROUND_TRIPS = 5000;
const ROUNDS = 3;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A KD-like stream: 4000-byte memory replies, small manipulations and ACKs. */
function kdTraffic(): Buffer {
  const parts: Uint8Array[] = [];
  let id = 0x80800000;
  while (parts.reduce((n, p) => n + p.length, 0) < 1 << 20) {
    parts.push(
      encodeDataPacket(PacketType.STATE_MANIPULATE, id, new Uint8Array(4000).fill(id & 0xff)),
    );
    parts.push(encodeAck(id));
    parts.push(encodeDataPacket(PacketType.STATE_MANIPULATE, id ^ 1, new Uint8Array(56)));
    parts.push(encodeAck(id ^ 1));
    id ^= 1;
  }
  return Buffer.from(concatBytes(parts));
}

interface Relay {
  readonly name: string;
  readonly child: ChildProcess;
  readonly port: number;
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`relay exited early (${child.exitCode})`);
    const ok = await new Promise<boolean>((resolve) => {
      const probe = connect({ port, host: '127.0.0.1' });
      probe.once('connect', () => {
        probe.destroy();
        resolve(true);
      });
      probe.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing listens on ${port}`);
}

type RelayKind = 'bridge' | 'bridge-no-pcap' | 'socat';

async function startRelay(kind: RelayKind, targetPort: number, dir: string): Promise<Relay> {
  const port = await freePort();
  const child =
    kind === 'socat'
      ? spawn(
          'socat',
          [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`, `TCP:127.0.0.1:${targetPort}`],
          {
            stdio: 'ignore',
          },
        )
      : spawn(
          process.execPath,
          [
            join(process.cwd(), 'bin/kdscope.mjs'),
            'bridge',
            '--debugger',
            `tcp:127.0.0.1:${port}`,
            '--target',
            `tcp:127.0.0.1:${targetPort}`,
            ...(kind === 'bridge' ? ['--pcap', join(dir, `bench-${port}.pcap`)] : ['--no-pcap']),
          ],
          { stdio: 'ignore' },
        );
  // Probing the socat listener would consume its one connection: give it a moment instead.
  if (kind === 'socat') await new Promise((r) => setTimeout(r, 300));
  else await waitForPort(port, child);
  return { name: kind, child, port };
}

async function stopRelay(relay: Relay): Promise<void> {
  if (relay.child.exitCode !== null) return;
  const exited = once(relay.child, 'exit');
  relay.child.kill('SIGINT');
  await exited;
}

/** A target that accepts one connection at a time and hands it to `use`. */
async function target(use: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    use(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

async function throughput(kind: RelayKind, traffic: Buffer, dir: string): Promise<number> {
  let received = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const tgt = await target((socket) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= TOTAL) done();
    });
  });
  const relay = await startRelay(kind, tgt.port, dir);
  const dbg = connect({ port: relay.port, host: '127.0.0.1' });
  await once(dbg, 'connect');
  const start = performance.now();
  let sent = 0;
  while (sent < TOTAL) {
    const n = Math.min(traffic.length, TOTAL - sent);
    if (!dbg.write(n === traffic.length ? traffic : traffic.subarray(0, n)))
      await once(dbg, 'drain');
    sent += n;
  }
  await finished;
  const seconds = (performance.now() - start) / 1000;
  dbg.destroy();
  await stopRelay(relay);
  tgt.server.close();
  return TOTAL / 1024 / 1024 / seconds;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** Round trips of a 16-byte ACK to an echoing target; returns sorted microseconds. */
async function roundTrips(port: number): Promise<number[]> {
  const socket = connect({ port, host: '127.0.0.1' });
  socket.setNoDelay(true);
  await once(socket, 'connect');
  const packet = Buffer.from(encodeAck(0x80800000));
  const times: number[] = [];
  for (let i = 0; i < ROUND_TRIPS + 200; i++) {
    const start = process.hrtime.bigint();
    const back = once(socket, 'data');
    socket.write(packet);
    await back;
    if (i >= 200) times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  socket.destroy();
  return times.sort((a, b) => a - b);
}

export async function run(): Promise<void> {
  if (spawnSync('socat', ['-V']).status !== 0) {
    throw new Error('socat is not installed (apt-get install socat): it is the relay baseline');
  }
  const dir = mkdtempSync(join(tmpdir(), 'kdscope-bench-relay-'));
  try {
    const traffic = kdTraffic();
    // Interleaved rounds, median of each: the machine is shared and its load swings.
    const runs: Record<RelayKind, number[]> = { socat: [], bridge: [], 'bridge-no-pcap': [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of ['socat', 'bridge', 'bridge-no-pcap'] as const) {
        runs[kind].push(await throughput(kind, traffic, dir));
      }
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const socatMBs = median(runs.socat);
    const bridgeMBs = median(runs.bridge);
    const decodeOnlyMBs = median(runs['bridge-no-pcap']);
    console.log(
      `throughput ${TOTAL >> 20} MiB KD traffic one way (median of ${ROUNDS}): socat ${socatMBs.toFixed(0)} MiB/s, ` +
        `bridge (recording + decoding) ${bridgeMBs.toFixed(0)} MiB/s, ratio ${(bridgeMBs / socatMBs).toFixed(2)} (target >= 0.9); ` +
        `without recording ${decodeOnlyMBs.toFixed(0)} MiB/s, ratio ${(decodeOnlyMBs / socatMBs).toFixed(2)}`,
    );

    const echo = await target((socket) => socket.on('data', (chunk) => socket.write(chunk)));
    const direct = await roundTrips(echo.port);
    const relay = await startRelay('bridge', echo.port, dir);
    const bridged = await roundTrips(relay.port);
    await stopRelay(relay);
    // socat through the same hops: on a VM whose idle vCPUs are slow to wake, every
    // cross-process hop costs ~100 us whatever the relay; this shows what is the bridge's own.
    const socat = await startRelay('socat', echo.port, dir);
    const viaSocat = await roundTrips(socat.port);
    await stopRelay(socat);
    echo.server.close();
    const p = (xs: number[], q: number): string => percentile(xs, q).toFixed(1);
    const added = (xs: number[], base: number[], q: number): string =>
      (percentile(xs, q) - percentile(base, q)).toFixed(1);
    console.log(
      `round trip of a 16-byte packet (${ROUND_TRIPS}): direct p50 ${p(direct, 0.5)} us p99 ${p(direct, 0.99)} us; ` +
        `through the bridge p50 ${p(bridged, 0.5)} us p99 ${p(bridged, 0.99)} us; ` +
        `added p50 ${added(bridged, direct, 0.5)} us p99 ${added(bridged, direct, 0.99)} us (two relay hops; target p50 < 50 us); ` +
        `through socat p50 ${p(viaSocat, 0.5)} us p99 ${p(viaSocat, 0.99)} us; ` +
        `bridge vs socat p50 ${added(bridged, viaSocat, 0.5)} us p99 ${added(bridged, viaSocat, 0.99)} us`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
