// The KDNET bridge's two UDP sides against strangers and silence (in process, real loopback
// sockets, real tshark): a datagram from a third address neither takes WinDbg's replies away
// from the target nor reaches WinDbg, yet is recorded with its own sender; a rebooted target
// from a new port is followed; WinDbg's port with nothing listening is said, once, and what
// went there counts as not delivered.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Bridge, type BridgeEvent } from '../../electron/engine/bridge/bridge';
import { nodeKdnetCrypto } from '../../electron/capture/kdnet-node-crypto';
import { kdnetAdmission } from '../../electron/engine/kdnet/admission';
import { DatagramRecorder } from '../../electron/engine/kdnet/recorder';
import { KdnetChannel } from '../../protocol/kdnet/datagram';
import { encodeKdnetDatagram } from '../../protocol/kdnet/encoder';
import { buildPokeBody } from '../../protocol/kdnet/handshake';
import { parseKdnetKey } from '../../protocol/kdnet/key';
import { makeTempDir, type TempDir } from '../support/pcap-fixtures';
import { collectUdp, freeUdpPort, type Collector } from '../support/udp';
import { untilWithin } from '../support/until';

const KEY = 'str4y.kd.net.9';
const startKey = parseKdnetKey(KEY);
const until = untilWithin(10_000, 5);
let tmp: TempDir;
const open: { close(): unknown }[] = [];
beforeEach(() => {
  tmp = makeTempDir('kdscope-kdnet-peers-');
});
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
  tmp.cleanup();
});

/** A target's poke, as a real one authenticates under the session's key. */
function poke(seq: number): Uint8Array {
  return encodeKdnetDatagram(nodeKdnetCrypto, {
    key: startKey,
    startKey,
    channel: KdnetChannel.CONTROL,
    seq,
    fromDebugger: false,
    body: buildPokeBody(randomBytes(32)),
  });
}

/** MDBG, version, data channel, two AES blocks and a trailer: KDNET by its look, no key. */
function lookalike(): Uint8Array {
  const bytes = randomBytes(6 + 32 + 16);
  bytes.set([0x4d, 0x44, 0x42, 0x47, 4, KdnetChannel.DATA]);
  return bytes;
}

async function socket(port = 0): Promise<Collector> {
  const s = await collectUdp(port);
  open.push(s);
  return s;
}

function send(from: Collector, bytes: Uint8Array, port: number): void {
  from.socket.send(bytes, port, '127.0.0.1');
}

async function startBridge(debuggerPort: number, targetPort: number, capture?: string) {
  const recorder = capture ? DatagramRecorder.open(capture, 'pcap') : undefined;
  const bridge = await Bridge.start({
    debugger: { kind: 'udp', host: '127.0.0.1', port: debuggerPort },
    target: { kind: 'udp', host: '127.0.0.1', port: targetPort },
    deps: {
      udpAdmission: () => kdnetAdmission(startKey),
      onUdpFlow: (flow, s) => s === 'bound' && recorder?.setTargetFlow(flow),
    },
    taps: recorder ? [recorder] : [],
    tickMs: 20,
  });
  open.push(bridge);
  const events: BridgeEvent[] = [];
  bridge.subscribe((e) => events.push(e));
  const notices = (): string[] =>
    events.flatMap((e) => (e.kind === 'notice' || e.kind === 'error' ? [e.message] : []));
  return { bridge, notices };
}

/** Source and destination port of every frame, as tshark reads the capture. */
function framePorts(path: string): string[] {
  const run = spawnSync(
    'tshark',
    ['-r', path, '-T', 'fields', '-e', 'udp.srcport', '-e', 'udp.dstport'],
    { encoding: 'utf8', timeout: 20_000 },
  );
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.trim().split('\n');
}

describe('the KDNET bridge and a stray sender', () => {
  it('answers the target, not the stray; follows a rebooted target; records each datagram with its own sender', async () => {
    const windbg = await socket();
    const targetPort = await freeUdpPort();
    const capture = tmp.file('strays.pcap');
    const { bridge, notices } = await startBridge(windbg.port, targetPort, capture);
    const target = await socket();
    const stray = await socket();

    send(target, poke(1), targetPort);
    await until(() => windbg.received.length === 1, "the target's poke at WinDbg");
    const bridgePort = windbg.received[0]!.from.port;
    send(windbg, Buffer.from('reply-1'), bridgePort);
    await until(() => target.received.length === 1, 'the first reply');

    // Garbage, and a datagram that only looks like KDNET (the key has proved right meanwhile).
    send(stray, Buffer.from('stray'), targetPort);
    send(stray, lookalike(), targetPort);
    await until(() => bridge.counters().strayDatagrams === 2, 'two strays counted');
    for (let i = 2; i <= 4; i++) send(windbg, Buffer.from(`reply-${i}`), bridgePort);
    await until(() => target.received.length === 4, "WinDbg's replies at the target");
    expect(target.received.map((r) => r.bytes.toString())).toEqual([
      'reply-1',
      'reply-2',
      'reply-3',
      'reply-4',
    ]);
    // Nothing of the stray's went to WinDbg, nothing of WinDbg's to the stray.
    expect(windbg.received).toHaveLength(1);
    expect(stray.received).toHaveLength(0);
    expect(notices()).toEqual([
      `target: datagrams from 127.0.0.1:${stray.port}, not the target (127.0.0.1:${target.port}): not relayed, recorded`,
    ]);

    // The target reboots: a new port, and a poke under the key. It is the target now.
    const rebooted = await socket();
    send(rebooted, poke(1), targetPort);
    await until(() => windbg.received.length === 2, "the rebooted target's poke at WinDbg");
    send(windbg, Buffer.from('reply-5'), bridgePort);
    await until(() => rebooted.received.length === 1, 'the reply at the rebooted target');
    expect(target.received).toHaveLength(4);
    expect(notices()).toHaveLength(1);

    await bridge.close();
    const t = String(targetPort);
    const into = (p: number) => `${p}\t${t}`;
    const out = (p: number) => `${t}\t${p}`;
    expect(framePorts(capture)).toEqual([
      into(target.port),
      out(target.port),
      into(stray.port),
      into(stray.port),
      out(target.port),
      out(target.port),
      out(target.port),
      into(rebooted.port),
      out(rebooted.port),
    ]);
  });
});

describe("the KDNET bridge and WinDbg's port with nothing listening", () => {
  it('says so once, counts what went there as not delivered, and talks once WinDbg speaks', async () => {
    const debuggerPort = await freeUdpPort();
    const targetPort = await freeUdpPort();
    const { bridge, notices } = await startBridge(debuggerPort, targetPort);
    const target = await socket();
    const refused = `debugger: nothing listens at udp:127.0.0.1:${debuggerPort} (is WinDbg started with port=${debuggerPort}?)`;

    // A socket that sends to WinDbg's port is no WinDbg: not "talking" before it is heard.
    await until(() => bridge.connected('debugger'), "the socket to WinDbg's port");
    expect(bridge.health.status('debugger')).toMatchObject({
      condition: 'waiting',
      line: `debugger: sending to udp:127.0.0.1:${debuggerPort}, nothing heard from it yet`,
    });
    let seq = 1;
    await until(() => {
      if (bridge.health.status('debugger').condition === 'refused') return true;
      send(target, poke(seq++), targetPort);
      return false;
    }, 'the refusal');
    expect(bridge.health.status('debugger').line).toBe(refused);
    // The poke ICMP answered is not delivered (refusals that come together are told as one).
    await until(() => bridge.counters()['target->debugger'].droppedBytes > 0, 'a poke dropped');
    const before = bridge.counters()['target->debugger'].droppedBytes;
    const size = poke(0).length;
    for (let i = 0; i < 3; i++) send(target, poke(seq++), targetPort);
    await until(() => bridge.counters()['target->debugger'].chunks === seq - 1, 'all relayed');
    // Written while refused: none delivered.
    expect(bridge.counters()['target->debugger'].droppedBytes - before).toBe(3 * size);
    expect(notices()).toEqual([refused]);

    // WinDbg starts: it hears the next poke and answers; the side talks.
    const windbg = await socket(debuggerPort);
    await until(() => {
      if (windbg.received.length > 0) return true;
      send(target, poke(seq++), targetPort);
      return false;
    }, 'a poke at WinDbg');
    send(windbg, Buffer.from('reply'), windbg.received[0]!.from.port);
    await until(() => target.received.length === 1, 'the reply at the target');
    await until(
      () => bridge.health.status('debugger').condition === 'talking',
      'the debugger talking',
    );
    expect(notices()).toEqual([refused]);
  });
});
