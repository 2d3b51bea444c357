// KDNET relay bench: datagrams per second through `kdscope bridge --mode kdnet` (every datagram
// authenticated, decrypted and decoded; with and without recording) against a plain Node UDP
// forwarder and socat (UDP-LISTEN <-> UDP, one process relaying both ways), in the same run.
// The driver here plays both ends: the "target" sends a window of real KDNET datagrams (a key
// exchange first, then a KD-like mix under the data key) and the "debugger" counts them; a
// window keeps the relay busy without flooding it past what UDP would drop.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PacketType } from '../../protocol/kd/constants';
import { encodeAck, encodeDataPacket } from '../../protocol/kd/encoder';
import { KdnetEncoder } from '../../protocol/kdnet/encoder';
import { buildPokeBody, buildReplyBody } from '../../protocol/kdnet/handshake';
import { deriveDataKey, parseKdnetKey } from '../../protocol/kdnet/key';
import { fromSerialFraming } from '../../protocol/kdnet/serial-framing';
import { nodeKdnetCrypto as crypto } from '../../electron/capture/kdnet-node-crypto';

const KEY = 'b3nch.kd.net.1';
const DATAGRAMS = 20_000;
const WINDOW = 32;
const ROUNDS = 3;

type RelayKind = 'node-forwarder' | 'socat' | 'bridge' | 'bridge-no-pcap';

/** A forwarder as small as UDP relaying gets in Node: bound port <-> fixed peer. */
const FORWARDER = `
const dgram = require('node:dgram');
const [listenPort, toPort] = process.argv.slice(2).map(Number);
const outside = dgram.createSocket('udp4');
const inside = dgram.createSocket('udp4');
let peer;
outside.on('message', (m, from) => { peer = from; inside.send(m); });
inside.on('message', (m) => { if (peer) outside.send(m, peer.port, peer.address); });
inside.connect(toPort, '127.0.0.1');
outside.bind(listenPort, '127.0.0.1', () => process.stdout.write('ready\\n'));
process.on('SIGINT', () => process.exit(0));
`;

async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  const port = s.address().port;
  s.close();
  return port;
}

interface Traffic {
  readonly poke: Uint8Array;
  readonly reply: Uint8Array;
  /** The target's datagrams under the data key: memory-read replies and ACKs. */
  readonly data: readonly Uint8Array[];
}

/** A key exchange and a KD-like mix: a 1 KiB memory reply, then the ACK of a request. */
function traffic(): Traffic {
  const startKey = parseKdnetKey(KEY);
  const target = new KdnetEncoder(crypto, startKey, false);
  const windbg = new KdnetEncoder(crypto, startKey, true);
  const clientKey = new Uint8Array(32).fill(1);
  const replyBody = buildReplyBody(clientKey, new Uint8Array(32).fill(2));
  const poke = target.control(buildPokeBody(clientKey));
  const reply = windbg.control(replyBody, 1);
  target.dataKey = deriveDataKey(crypto, startKey, replyBody);
  const data: Uint8Array[] = [];
  for (let i = 0; data.length < 2000; i++) {
    const id = 2 * i;
    const packet = encodeDataPacket(PacketType.STATE_MANIPULATE, id, new Uint8Array(1080).fill(i));
    data.push(target.data(fromSerialFraming(packet)));
    data.push(target.data(encodeAck(0x80000000 + id)));
  }
  return { poke, reply, data };
}

async function startRelay(
  kind: RelayKind,
  debuggerPort: number,
  dir: string,
): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const forwarder = join(dir, 'forwarder.cjs');
  writeFileSync(forwarder, FORWARDER);
  const child =
    kind === 'socat'
      ? spawn('socat', [`UDP-LISTEN:${port},bind=127.0.0.1`, `UDP:127.0.0.1:${debuggerPort}`], {
          stdio: 'ignore',
        })
      : kind === 'node-forwarder'
        ? spawn(process.execPath, [forwarder, String(port), String(debuggerPort)], {
            stdio: ['ignore', 'pipe', 'ignore'],
          })
        : spawn(
            process.execPath,
            [
              join(process.cwd(), 'bin/kdscope.mjs'),
              'bridge',
              '--mode',
              'kdnet',
              '--key',
              KEY,
              '--target',
              `udp:127.0.0.1:${port}`,
              '--debugger',
              `udp:127.0.0.1:${debuggerPort}`,
              ...(kind === 'bridge'
                ? ['--pcapng', '--pcap', join(dir, `bench-${port}.pcapng`)]
                : ['--no-pcap']),
            ],
            { stdio: ['ignore', 'pipe', 'ignore'] },
          );
  if (child.stdout) {
    // The forwarder and the bridge say when they listen.
    await new Promise<void>((resolve) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/^(ready|bridge: debugger on)/m.test(out)) resolve();
      });
    });
  } else {
    await new Promise((r) => setTimeout(r, 300));
  }
  return { child, port };
}

/** Sends `count` datagrams through the relay with at most WINDOW in flight; datagrams/s. */
async function measure(kind: RelayKind, t: Traffic, dir: string): Promise<number> {
  const windbg = createSocket('udp4');
  windbg.bind(0, '127.0.0.1');
  await once(windbg, 'listening');
  windbg.setRecvBufferSize(8 << 20);
  const relay = await startRelay(kind, windbg.address().port, dir);
  const target: Socket = createSocket('udp4');
  // A relay not yet (or no longer) there is an ICMP error on a connected socket: not fatal.
  target.on('error', () => undefined);
  windbg.on('error', () => undefined);
  target.connect(relay.port, '127.0.0.1');
  await once(target, 'connect');
  let received = 0;
  let wake: () => void = () => undefined;
  windbg.on('message', (m, from) => {
    // The poke: answer it, so the bridge learns the data key as it would live.
    if (m.length > 300 && m[5] === 1) windbg.send(t.reply, from.port, from.address);
    else received++;
    wake();
  });
  target.send(t.poke);
  await new Promise((r) => setTimeout(r, 200));
  received = 0;
  const start = performance.now();
  let sent = 0;
  let lost = 0;
  while (sent < DATAGRAMS) {
    while (sent - received - lost < WINDOW && sent < DATAGRAMS) {
      target.send(t.data[sent % t.data.length]!);
      sent++;
    }
    const progressed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 100);
      wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    // A datagram the relay dropped never comes: stop waiting for what is in flight.
    if (!progressed) lost = sent - received;
  }
  while (received + lost < DATAGRAMS) {
    const progressed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 100);
      wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    if (!progressed) lost = DATAGRAMS - received;
  }
  const seconds = (performance.now() - start) / 1000;
  target.close();
  windbg.close();
  const exited = once(relay.child, 'exit');
  relay.child.kill('SIGINT');
  await exited;
  if (lost > DATAGRAMS / 100) console.log(`  (${kind}: ${lost} datagrams lost)`);
  return received / seconds;
}

export async function run(): Promise<void> {
  if (spawnSync('socat', ['-V']).status !== 0)
    throw new Error('socat is not installed (apt-get install socat): it is a relay baseline');
  const dir = mkdtempSync(join(tmpdir(), 'kdscope-bench-kdnet-'));
  try {
    const t = traffic();
    const kinds: RelayKind[] = ['node-forwarder', 'socat', 'bridge', 'bridge-no-pcap'];
    const runs = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<
      RelayKind,
      number[]
    >;
    // Interleaved rounds, median of each: the machine is shared and its load swings.
    for (let round = 0; round < ROUNDS; round++)
      for (const kind of kinds) runs[kind].push(await measure(kind, t, dir));
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const rate = Object.fromEntries(kinds.map((k) => [k, median(runs[k])])) as Record<
      RelayKind,
      number
    >;
    const k = (n: number): string => `${(n / 1000).toFixed(1)} k/s`;
    console.log(
      `KDNET relay, ${DATAGRAMS} datagrams (1.1 KiB replies and ACKs, window ${WINDOW}), median of ${ROUNDS}: ` +
        `node forwarder ${k(rate['node-forwarder'])}, socat ${k(rate.socat)}, ` +
        `bridge decrypting + decoding + recording ${k(rate.bridge)} ` +
        `(${(rate.bridge / rate['node-forwarder']).toFixed(2)}x the node forwarder, ` +
        `${(rate.bridge / rate.socat).toFixed(2)}x socat), ` +
        `without recording ${k(rate['bridge-no-pcap'])} ` +
        `(${(rate['bridge-no-pcap'] / rate['node-forwarder']).toFixed(2)}x)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
