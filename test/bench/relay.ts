// Bridge relay bench: throughput of `kdscope bridge` (recording + decoding) against socat
// relaying the same TCP loopback pair, and the latency a small packet round trip gains through
// the bridge against a direct connection. Both relays run as separate processes; the same
// driver (writer, reader, echo) runs here.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { PacketType } from '../../protocol/kd/constants';
import { concatBytes, encodeAck, encodeDataPacket } from '../../protocol/kd/encoder';

// KDSCOPE_BENCH_RELAY_MIB shortens a run (diagnosis on a busy machine); the default is the figure's.
const TOTAL = Number(process.env.KDSCOPE_BENCH_RELAY_MIB ?? 256) * 1024 * 1024;
/** Round trips through each relay, in blocks of ROUND_TRIP_BLOCK taken in turn across them. */
const ROUND_TRIPS = 40_000;
const ROUND_TRIP_BLOCK = 500;
const ROUNDS = 5;
/** Another build's bin/kdscope.mjs measured beside this one (KDSCOPE_BENCH_RELAY_OTHER=path). */
const OTHER = process.env.KDSCOPE_BENCH_RELAY_OTHER;

/**
 * The plainest relay Node does: two sockets piped into each other. What the bridge's relay
 * costs above Node's own socket handling is the bridge's; what this one costs above socat is
 * Node's.
 */
const NODE_RELAY = `
const net = require('node:net');
const [port, targetPort] = process.argv.slice(1).map(Number);
const server = net.createServer((dbg) => {
  dbg.setNoDelay(true);
  const tgt = net.connect({ port: targetPort, host: '127.0.0.1' });
  tgt.setNoDelay(true);
  dbg.pipe(tgt).on('error', () => {});
  tgt.pipe(dbg).on('error', () => {});
  dbg.on('error', () => tgt.destroy());
  tgt.on('error', () => dbg.destroy());
});
server.listen(port, '127.0.0.1');
process.on('SIGINT', () => process.exit(0));
`;

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
  /** Resolves once it exited and its output pipe closed (watched from its start on). */
  readonly closed: Promise<unknown>;
  readonly port: number;
  /** What the relay printed (bridges). */
  readonly output: string[];
  /** The capture a recording bridge writes. */
  readonly pcap?: string;
}

/** MiB the bridge's closing line says it did not decode ("; 3.2 MiB not decoded (behind)"). */
function undecodedMiB(output: readonly string[]): number {
  const match = /([\d.]+) (B|KiB|MiB) not decoded/.exec(output.join(''));
  if (!match) return 0;
  const scale = { B: 1 / 1024 / 1024, KiB: 1 / 1024, MiB: 1 }[match[2] as 'B' | 'KiB' | 'MiB'];
  return Number(match[1]) * scale;
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

type RelayKind =
  'bridge' | 'bridge-no-pcap' | 'bridge-thread' | 'socat' | 'node' | 'other' | 'other-no-pcap';

const bridgeArgs = (bin: string, port: number, targetPort: number, pcap: string | undefined) => [
  bin,
  'bridge',
  '--debugger',
  `tcp:127.0.0.1:${port}`,
  '--target',
  `tcp:127.0.0.1:${targetPort}`,
  ...(pcap ? ['--pcap', pcap] : ['--no-pcap']),
];

async function startRelay(kind: RelayKind, targetPort: number, dir: string): Promise<Relay> {
  const port = await freePort();
  const pcap = join(dir, `bench-${port}.pcap`);
  const ours = join(process.cwd(), 'bin/kdscope.mjs');
  const child =
    kind === 'socat'
      ? spawn(
          'socat',
          [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`, `TCP:127.0.0.1:${targetPort}`],
          { stdio: 'ignore' },
        )
      : kind === 'node'
        ? spawn(process.execPath, ['-e', NODE_RELAY, String(port), String(targetPort)], {
            stdio: 'ignore',
          })
        : spawn(
            process.execPath,
            bridgeArgs(
              kind.startsWith('other') ? OTHER! : ours,
              port,
              targetPort,
              kind.endsWith('no-pcap') ? undefined : pcap,
            ),
            // Its closing line says how much it did not decode (the worker fell behind).
            {
              stdio: ['ignore', 'pipe', 'ignore'],
              // The relay thread (opt-in) instead of the event loop.
              env: { ...process.env, KDSCOPE_RELAY: kind === 'bridge-thread' ? 'thread' : '' },
            },
          );
  // A child that cannot start emits 'error' before 'close': waitForPort or the first connection
  // to it then fails with its own message.
  const closed = once(child, 'close').catch(() => undefined);
  // Probing the socat listener would consume its one connection: give it a moment instead.
  if (kind === 'socat') await new Promise((r) => setTimeout(r, 300));
  else await waitForPort(port, child);
  const output: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (text: string) => output.push(text));
  const records = kind === 'bridge' || kind === 'bridge-thread' || kind === 'other';
  return { name: kind, child, closed, port, output, ...(records ? { pcap } : {}) };
}

/** CPU seconds (user + system, every thread) a process has used so far; NaN off Linux. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 (1-based), in clock ticks of 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

async function stopRelay(relay: Relay): Promise<void> {
  if (relay.child.exitCode === null && relay.child.signalCode === null) relay.child.kill('SIGINT');
  await relay.closed;
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

interface Run {
  readonly mibPerS: number;
  /** The relay process's CPU milliseconds per MiB relayed. */
  readonly cpuMsPerMiB: number;
  /** The driver's (this process) CPU milliseconds per MiB. */
  readonly driverMsPerMiB: number;
  /** The share of the relayed bytes the bridge decoded (1 for the plain relays). */
  readonly decoded: number;
}

async function throughput(kind: RelayKind, traffic: Buffer, dir: string): Promise<Run> {
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
  const cpuStart = cpuSeconds(relay.child.pid);
  const driverStart = process.cpuUsage();
  let sent = 0;
  while (sent < TOTAL) {
    const n = Math.min(traffic.length, TOTAL - sent);
    if (!dbg.write(n === traffic.length ? traffic : traffic.subarray(0, n)))
      await once(dbg, 'drain');
    sent += n;
  }
  await finished;
  const seconds = (performance.now() - start) / 1000;
  const cpu = cpuSeconds(relay.child.pid) - cpuStart;
  const driver = process.cpuUsage(driverStart);
  dbg.destroy();
  await stopRelay(relay);
  await new Promise((r) => tgt.server.close(r));
  // Each run starts with no earlier capture's dirty pages being written back behind it.
  if (relay.pcap) rmSync(relay.pcap, { force: true });
  const mib = TOTAL / 1024 / 1024;
  return {
    decoded: Math.max(0, 1 - undecodedMiB(relay.output) / mib),
    mibPerS: mib / seconds,
    cpuMsPerMiB: (cpu * 1000) / mib,
    driverMsPerMiB: (driver.user + driver.system) / 1000 / mib,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/**
 * Round trips of a 16-byte ACK through each port to an echoing target, taken in blocks of
 * ROUND_TRIP_BLOCK per port in turn (A, B, ..., then back from the last), so the swings of a
 * shared machine's load weigh on all alike. Blocks, not one round trip each: what a relay
 * leaves to do after its reply (the bridge's taps) would otherwise land on the next relay's
 * round trip. One at a time in a fixed order, the bridge's added p99 was 1.22-1.25x socat's
 * after the plain Node relay and 1.90-2.04x once the order alternated. Returns each port's
 * sorted microseconds.
 */
async function roundTripsInTurn(ports: number[]): Promise<number[][]> {
  const sockets = [];
  for (const port of ports) {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setNoDelay(true);
    await once(socket, 'connect');
    sockets.push(socket);
  }
  const packet = Buffer.from(encodeAck(0x80800000));
  const roundTrip = async (socket: Socket): Promise<number> => {
    const start = process.hrtime.bigint();
    const back = once(socket, 'data');
    socket.write(packet);
    await back;
    return Number(process.hrtime.bigint() - start) / 1000;
  };
  for (const socket of sockets) for (let i = 0; i < 200; i++) await roundTrip(socket);
  const times: number[][] = ports.map(() => []);
  for (let turn = 0; turn * ROUND_TRIP_BLOCK < ROUND_TRIPS; turn++) {
    for (let j = 0; j < sockets.length; j++) {
      const k = turn % 2 === 0 ? j : sockets.length - 1 - j;
      for (let i = 0; i < ROUND_TRIP_BLOCK; i++) times[k]!.push(await roundTrip(sockets[k]!));
    }
  }
  for (const socket of sockets) socket.destroy();
  return times.map((xs) => xs.sort((x, y) => x - y));
}

export async function run(): Promise<void> {
  if (spawnSync('socat', ['-V']).status !== 0) {
    throw new Error('socat is not installed (apt-get install socat): it is the relay baseline');
  }
  const dir = mkdtempSync(join(tmpdir(), 'kdscope-bench-relay-'));
  try {
    const traffic = kdTraffic();
    const kinds: RelayKind[] = ['socat', 'node', 'bridge', 'bridge-no-pcap', 'bridge-thread'];
    if (OTHER) kinds.push('other', 'other-no-pcap');
    // Interleaved rounds, median of each: the machine is shared and its load swings.
    const runs = new Map<RelayKind, Run[]>(kinds.map((k) => [k, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of kinds) runs.get(kind)!.push(await throughput(kind, traffic, dir));
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const mbs = (kind: RelayKind): number => median(runs.get(kind)!.map((r) => r.mibPerS));
    const cpu = (kind: RelayKind): string =>
      `${median(runs.get(kind)!.map((r) => r.cpuMsPerMiB)).toFixed(2)} ms`;
    const socatMBs = mbs('socat');
    const row = (label: string, kind: RelayKind): string =>
      `${label} ${mbs(kind).toFixed(0)} MiB/s (${(mbs(kind) / socatMBs).toFixed(2)}` +
      (kind === 'socat' || kind === 'node' ? ')' : `, ${decoded(kind)} of it decoded live)`);
    // On 2 cores the driver, the relay's thread and its worker compete: CPU per MiB says what
    // each relay costs whatever the load.
    const cpuLine = kinds.map((k) => `${k} ${cpu(k)}`).join(', ');
    const decoded = (kind: RelayKind): string =>
      `${(median(runs.get(kind)!.map((r) => r.decoded)) * 100).toFixed(0)}%`;
    const driverMs = median([...runs.values()].flat().map((r) => r.driverMsPerMiB));
    console.log(
      `throughput ${TOTAL >> 20} MiB KD traffic one way (median of ${ROUNDS}; ratio to socat): ` +
        `socat ${socatMBs.toFixed(0)} MiB/s; ${row('plain Node relay (two piped sockets)', 'node')}; ` +
        `${row('bridge (recording + decoding)', 'bridge')} (target >= 0.9); ` +
        `${row('without recording', 'bridge-no-pcap')}; ` +
        row('recording + decoding with the relay thread (KDSCOPE_RELAY=thread)', 'bridge-thread') +
        (OTHER
          ? `; ${OTHER}: ${row('recording + decoding', 'other')}, ${row('without recording', 'other-no-pcap')}`
          : ''),
    );
    console.log(
      `relay process CPU per MiB relayed (all threads, median): ${cpuLine}; ` +
        `the bench driver (writer and reader) ${driverMs.toFixed(2)} ms per MiB`,
    );

    const echo = await target((socket) => socket.on('data', (chunk) => socket.write(chunk)));
    // socat through the same hops: on a VM whose idle vCPUs are slow to wake, every
    // cross-process hop costs ~100 us whatever the relay; this shows what is the bridge's own.
    const latencyKinds: RelayKind[] = [
      'socat',
      'node',
      'bridge',
      'bridge-thread',
      ...(OTHER ? (['other'] as const) : []),
    ];
    const relays: Relay[] = [];
    const samples = new Map<RelayKind | 'direct', number[]>();
    try {
      for (const kind of latencyKinds) relays.push(await startRelay(kind, echo.port, dir));
      const times = await roundTripsInTurn([echo.port, ...relays.map((r) => r.port)]);
      samples.set('direct', times[0]!);
      latencyKinds.forEach((kind, k) => samples.set(kind, times[k + 1]!));
    } finally {
      for (const relay of relays) await stopRelay(relay);
    }
    const sorted = (kind: RelayKind | 'direct'): number[] => samples.get(kind)!;
    const direct = sorted('direct');
    const bridged = sorted('bridge');
    const viaSocat = sorted('socat');
    const viaNode = sorted('node');
    const viaThread = sorted('bridge-thread');
    const viaOther = OTHER ? sorted('other') : undefined;
    await new Promise((r) => echo.server.close(r));
    const p = (xs: number[], q: number): string => percentile(xs, q).toFixed(1);
    const ratio = (xs: number[], peer: number[], base: number[], q: number): string =>
      (
        (percentile(xs, q) - percentile(base, q)) /
        Math.max(1, percentile(peer, q) - percentile(base, q))
      ).toFixed(2);
    const added = (xs: number[], base: number[], q: number): string =>
      (percentile(xs, q) - percentile(base, q)).toFixed(1);
    const via = (label: string, xs: number[]): string =>
      `${label} p50 ${p(xs, 0.5)} us p99 ${p(xs, 0.99)} us (added over direct, ratio to socat's: ` +
      `p50 ${ratio(xs, viaSocat, direct, 0.5)} p99 ${ratio(xs, viaSocat, direct, 0.99)})`;
    console.log(
      `round trip of a 16-byte packet (${ROUND_TRIPS} through each, taken in turn): direct p50 ${p(direct, 0.5)} us p99 ${p(direct, 0.99)} us; ` +
        `through socat p50 ${p(viaSocat, 0.5)} us p99 ${p(viaSocat, 0.99)} us; ` +
        `${via('through the plain Node relay', viaNode)}; ` +
        `${via('through the bridge (recording + decoding)', bridged)} (target <= 1); ` +
        `${via('the same with the relay thread (KDSCOPE_RELAY=thread)', viaThread)}; ` +
        `bridge vs socat p50 ${added(bridged, viaSocat, 0.5)} us p99 ${added(bridged, viaSocat, 0.99)} us` +
        (viaOther ? `; ${via(`through ${OTHER}`, viaOther)}` : ''),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
