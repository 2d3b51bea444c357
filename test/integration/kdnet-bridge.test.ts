// `kdscope bridge --mode kdnet` over loopback UDP: a simulated KDNET session relayed datagram
// for datagram (sha256 of each, on every side), decoded live as its capture decodes, through
// a restart of the debugger (a new key exchange); and the real capture's target side replayed
// through the bridge, whose capture then decodes to the original's 526 KD packets.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCapture } from '../../electron/capture/capture-source';
import { Bridge } from '../../electron/engine/bridge/bridge';
import type { PacketRecord } from '../../protocol/session/record';
import { SessionDecoder } from '../../protocol/session/pipeline';
import { kdnetBridgeDecoder } from '../../electron/engine/kdnet/bridge-decoder';
import { DatagramRecorder } from '../../electron/engine/kdnet/recorder';
import {
  acceptKdnetTarget,
  startKdnetSimTarget,
} from '../../electron/engine/simulators/kdnet-peers';
import { runScriptedDebugger } from '../../electron/engine/simulators';
import { planReplay } from '../../electron/engine/replay';
import { parseKdnetKey } from '../../protocol/kdnet/key';
import { makeTempDir, type TempDir } from '../support/pcap-fixtures';
import { decodeCapture, packetKey, sidesOf } from '../support/kdnet-captures';
import { Processes, interrupt, untilOutput } from '../support/kdscope-process';
import { collectUdp, freeUdpPort } from '../support/udp';
import { untilWithin } from '../support/until';

const KEY = 'br1dge.kd.net.2';
const REAL = join(import.meta.dirname, '../fixtures/windbg-uncut.pcapng.gz');
const p = new Processes();
const until = untilWithin(20_000);
let tmp: TempDir;
beforeEach(() => {
  tmp = makeTempDir('kdscope-kdnet-bridge-');
});
afterEach(() => {
  p.killAll();
  tmp.cleanup();
});

/** `list` is `whole` with some items left out, in the same order. */
function isSubsequence(list: readonly string[], whole: readonly string[]): boolean {
  let at = 0;
  for (const item of whole) if (at < list.length && list[at] === item) at++;
  return at === list.length;
}

function bridgeArgs(targetPort: number, debuggerPort: number, capture: string, key = KEY) {
  return [
    'bridge',
    '--mode',
    'kdnet',
    '--key',
    key,
    '--target',
    `udp:127.0.0.1:${targetPort}`,
    '--debugger',
    `udp:127.0.0.1:${debuggerPort}`,
    '--pcapng',
    '--pcap',
    capture,
  ];
}

function simDebugger(port: number, capture: string, ...more: string[]) {
  return p.kdscope([
    'simulate',
    'debugger',
    '--kdnet',
    '--key',
    KEY,
    '--listen',
    `udp:127.0.0.1:${port}`,
    '--pcap',
    capture,
    ...more,
  ]);
}

describe('kdscope bridge --mode kdnet (processes, loopback UDP)', () => {
  it(
    'relays every datagram unchanged both ways, decodes as its capture does, and follows a restarted debugger to its new key',
    { timeout: 60_000 },
    async () => {
      const debuggerPort = await freeUdpPort();
      const targetPort = await freeUdpPort();
      const files = {
        bridge: tmp.file('bridge.pcapng'),
        target: tmp.file('target.pcapng'),
        first: tmp.file('debugger-1.pcapng'),
        second: tmp.file('debugger-2.pcapng'),
      };
      const first = simDebugger(debuggerPort, files.first, '--loops', '1000', '--verbose');
      await untilOutput(first, /waiting for a KDNET target's poke/);
      const bridge = p.kdscope(bridgeArgs(targetPort, debuggerPort, files.bridge));
      await untilOutput(bridge, /^bridge: debugger on udp:127\.0\.0\.1:\d+/m);
      const target = p.kdscope([
        'simulate',
        'target',
        '--kdnet',
        '--key',
        KEY,
        '--connect',
        `udp:127.0.0.1:${targetPort}`,
        '--poke-ms',
        '100',
        '--session-timeout',
        '1500',
        '--pcap',
        files.target,
      ]);
      // The first debugger gets through a session or two, then dies mid-way.
      await untilOutput(first, /session complete[\s\S]*GetVersion/);
      first.child.kill('SIGKILL');
      await first.exit;
      // A new one: the target pokes again once it has heard nothing for a while.
      const second = simDebugger(debuggerPort, files.second);
      expect(await second.exit).toBe(0);
      expect(second.stdout).toMatch(/session complete: 1 of 1 session\(s\)/);
      expect(await interrupt(target)).toBe(0);
      expect(await interrupt(bridge)).toBe(0);
      // The only news: WinDbg's port refused the target's datagrams while no debugger ran.
      const refused = `kdscope bridge: debugger: nothing listens at udp:127.0.0.1:${debuggerPort} (is WinDbg started with port=${debuggerPort}?)`;
      expect(bridge.stderr.split('\n').filter((l) => l !== '' && l !== refused)).toEqual([]);

      // Datagram for datagram: what the target sent is what the bridge relayed; what reached
      // the target is what the two debuggers sent (the first may have logged one it died
      // sending); each debugger received a part of what the target sent, in order.
      const b = sidesOf(files.bridge);
      const t = sidesOf(files.target);
      const d1 = sidesOf(files.first);
      const d2 = sidesOf(files.second);
      expect(b.fromTarget).toEqual(t.fromTarget);
      expect(b.fromDebugger).toEqual(t.fromDebugger);
      const fromFirst = b.fromDebugger.slice(0, b.fromDebugger.length - d2.fromDebugger.length);
      expect(b.fromDebugger.slice(fromFirst.length)).toEqual(d2.fromDebugger);
      expect(d1.fromDebugger.slice(0, fromFirst.length)).toEqual(fromFirst);
      expect(d1.fromDebugger.length - fromFirst.length).toBeLessThanOrEqual(1);
      expect(isSubsequence(d1.fromTarget, b.fromTarget)).toBe(true);
      expect(isSubsequence(d2.fromTarget, b.fromTarget)).toBe(true);

      // The capture decodes whole, across both key exchanges, to what the target's own
      // capture decodes to, and to as many packets as the bridge decoded live.
      const bd = decodeCapture(files.bridge, KEY);
      const td = decodeCapture(files.target, KEY);
      expect(bd.status).toBe(0);
      expect(bd.summary.capture).toMatchObject({
        kdnet: { unauthenticated: 0, malformed: 0, held: 0 },
      });
      const kdnet = (bd.summary.capture as { kdnet: { dataKeyChanges: number } }).kdnet;
      expect(kdnet.dataKeyChanges).toBeGreaterThanOrEqual(2);
      expect(bd.packets.map(packetKey)).toEqual(td.packets.map(packetKey));
      const live = Number(/bridge closed: (\d+) packets/.exec(bridge.stdout)?.[1]);
      expect(live).toBe(bd.packets.length);
      // The second debugger's whole session is in it, after the new key.
      const second2 = decodeCapture(files.second, KEY);
      const secondRequests = second2.packets.filter(
        (l) => l.dir === 'debugger->target' && l.type === 'STATE_MANIPULATE',
      );
      expect(secondRequests).toHaveLength(11);
      const bridgeKeys = new Set(bd.packets.map((l) => JSON.stringify([l.dir, l.id, l.api])));
      for (const l of secondRequests)
        expect(bridgeKeys.has(JSON.stringify([l.dir, l.id, l.api]))).toBe(true);
    },
  );

  /**
   * The real capture's target side replayed through the bridge to WinDbg's stand-in, which
   * answers with the debugger side of the capture, in order: at the first datagram, or only
   * once every target datagram is in (a slow debugger: each of them reaches the bridge before
   * the key exchange that opens it).
   */
  async function replayReal(answerAfter: 'the first datagram' | 'every datagram'): Promise<void> {
    const debuggerPort = await freeUdpPort();
    const targetPort = await freeUdpPort();
    const capture = tmp.file('replayed.pcapng');
    const answers = planReplay(REAL, { side: 'debugger', toUdp: true, key: '8.8.8.8' }).items;
    const windbg = await collectUdp(debuggerPort);
    const answered = new Promise<void>((resolve) => {
      windbg.socket.once('message', (_bytes, from) => {
        const answer = (): void => {
          for (const a of answers) windbg.socket.send(a.bytes, from.port, from.address);
          resolve();
        };
        if (answerAfter === 'the first datagram') answer();
        else void until(() => windbg.received.length === 692, 'every target datagram').then(answer);
      });
    });
    try {
      const bridge = p.kdscope(bridgeArgs(targetPort, debuggerPort, capture, '8.8.8.8'));
      await untilOutput(bridge, /^bridge: debugger on/m);
      const replay = p.kdscope([
        'replay',
        REAL,
        '--to',
        `udp:127.0.0.1:${targetPort}`,
        '--side',
        'target',
        '--speed',
        'max',
      ]);
      expect(await replay.exit).toBe(0);
      expect(replay.stdout).toMatch(/replayed 692 KDNET datagrams .* of the target side/);
      await until(() => windbg.received.length === 692, 'the bridge to relay all 692');
      await answered;
      // Every answer has come back through the bridge once its capture holds them all.
      await until(
        () => sidesOf(capture).fromDebugger.length === answers.length,
        'the bridge to record the answers',
      );
      const original = decodeCapture(REAL, '8.8.8.8');
      expect(await interrupt(bridge)).toBe(0);
      expect(bridge.stdout).toMatch(/bridge closed: 526 packets/);
      const replayed = decodeCapture(capture, '8.8.8.8');
      expect(replayed.status).toBe(0);
      expect(replayed.packets).toHaveLength(526);
      for (const dir of ['target->debugger', 'debugger->target'])
        expect(replayed.packets.filter((l) => l.dir === dir).map(packetKey)).toEqual(
          original.packets.filter((l) => l.dir === dir).map(packetKey),
        );
    } finally {
      windbg.close();
    }
  }

  it('the real capture, its target side replayed through the bridge: the same 526 KD packets', async () => {
    await replayReal('the first datagram');
  });

  it('the same when WinDbg answers late: every target datagram waits for the key exchange', async () => {
    await replayReal('every datagram');
  });
});

describe('kdscope bridge --mode kdnet with the wrong key', () => {
  it('relays the session all the same and says, once, that the key is wrong', async () => {
    const debuggerPort = await freeUdpPort();
    const targetPort = await freeUdpPort();
    const capture = tmp.file('wrong-key.pcapng');
    const windbg = simDebugger(debuggerPort, tmp.file('d.pcapng'));
    await untilOutput(windbg, /waiting for a KDNET target's poke/);
    const bridge = p.kdscope(bridgeArgs(targetPort, debuggerPort, capture, 'not.the.right.key'));
    await untilOutput(bridge, /^bridge: debugger on/m);
    const target = p.kdscope([
      'simulate',
      'target',
      '--kdnet',
      '--key',
      KEY,
      '--connect',
      `udp:127.0.0.1:${targetPort}`,
      '--poke-ms',
      '100',
    ]);
    expect(await windbg.exit).toBe(0);
    await interrupt(target);
    expect(await interrupt(bridge)).toBe(0);
    // Once; then, as the target pokes on after the simulated WinDbg ended, its port refuses.
    expect(bridge.stderr).toMatch(
      /^kdscope bridge: \d+ KDNET datagrams failed authentication: wrong key\?\n(kdscope bridge: debugger: nothing listens at udp:127\.0\.0\.1:\d+ \(is WinDbg started with port=\d+\?\)\n)?$/,
    );
    expect(bridge.stdout).toMatch(/bridge closed: 0 packets/);
    // With the right key, its capture decodes to the whole session.
    expect(decodeCapture(capture, KEY).summary.capture).toMatchObject({
      kdnet: { unauthenticated: 0 },
    });
  });
});

describe('kdscope bridge --mode kdnet when the key changes mid-session', () => {
  it('says the failures when they start and at the end, and counts them as the capture does', async () => {
    const OTHER = '5.6.7.8';
    const debuggerPort = await freeUdpPort();
    const targetPort = await freeUdpPort();
    const capture = tmp.file('key-changed.pcapng');
    const peers = (key: string) => {
      const windbg = p.kdscope([
        ...['simulate', 'debugger', '--kdnet', '--key', key],
        ...['--listen', `udp:127.0.0.1:${debuggerPort}`, '--loops', '1000', '--verbose'],
      ]);
      const start = async () => {
        await untilOutput(windbg, /waiting for a KDNET target's poke/);
        return p.kdscope([
          ...['simulate', 'target', '--kdnet', '--key', key],
          ...['--connect', `udp:127.0.0.1:${targetPort}`, '--poke-ms', '100'],
        ]);
      };
      return { windbg, start };
    };
    const first = peers(KEY);
    const bridge = p.kdscope(bridgeArgs(targetPort, debuggerPort, capture));
    await untilOutput(bridge, /^bridge: debugger on/m);
    const firstTarget = await first.start();
    await untilOutput(first.windbg, /session complete[\s\S]*GetVersion/);
    first.windbg.child.kill('SIGKILL');
    await first.windbg.exit;
    await interrupt(firstTarget);
    // WinDbg went first: the target's last pokes may have found nobody at its port.
    expect(bridge.stderr.replace(/^kdscope bridge: debugger: nothing listens at .*\n/m, '')).toBe(
      '',
    );
    // Both restarted under another key: the bridge still holds the first.
    const second = peers(OTHER);
    const secondTarget = await second.start();
    const LINE =
      /^kdscope bridge: KDNET: (\d+) datagrams failed authentication since \d\d:\d\d:\d\d \(the key changed\? a restarted target with another key\?\)$/;
    // The second target may come before the first has been quiet 2 s (PEER_QUIET_MS): its first
    // datagrams are then strays, said once; and WinDbg's port may be found closed meanwhile.
    const said = (): string[] =>
      bridge.stderr
        .trim()
        .split('\n')
        .filter((l) => !/: datagrams from .*, not the target|: nothing listens at /.test(l));
    await until(
      () => LINE.test(said()[0] ?? ''),
      () => `the failures said: ${bridge.stdout}${bridge.stderr}`,
    );
    // Say the second session has got going: its debugger talks to its target.
    await untilOutput(second.windbg, /session complete/);
    await interrupt(secondTarget);
    second.windbg.child.kill('SIGKILL');
    await second.windbg.exit;
    expect(await interrupt(bridge)).toBe(0);

    const counts = said().map((line) => {
      expect(line).toMatch(LINE);
      return Number(LINE.exec(line)![1]);
    });
    expect(counts[0]).toBe(3);
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThan(counts[i - 1]!);
    const rejected = Number(
      /^bridge closed: .*, 0 errors, (\d+) KDNET datagrams rejected[,;]/m.exec(bridge.stdout)?.[1],
    );
    expect(rejected).toBeGreaterThan(3);
    // The last line said them all, and the capture read with the first key rejects as many.
    expect(counts.at(-1)).toBe(rejected);
    const decoded = decodeCapture(capture, KEY);
    expect(decoded.packets.length).toBeGreaterThan(0);
    // The capture also holds the strays (recorded, never relayed nor decoded live).
    const strays = Number(/, (\d+) stray datagrams? \(not relayed\)/.exec(bridge.stdout)?.[1] ?? 0);
    expect(decoded.summary.capture).toMatchObject({
      kdnet: { unauthenticated: rejected + strays },
    });
  }, 60_000);
});

describe('kdscope bridge --mode kdnet: bad usage', () => {
  it('says what is missing in one line, exit 2', async () => {
    const udp = ['--target', 'udp:127.0.0.1:9', '--debugger', 'udp:127.0.0.1:9'];
    const cases: [string[], RegExp][] = [
      [['bridge', '--mode', 'kdnet', ...udp], /--mode kdnet needs the KDNET key: --key W\.X\.Y\.Z/],
      [['bridge', ...udp], /--mode kdnet needs the KDNET key/],
      [['bridge', '--mode', 'kdnet', '--key', '1.2', ...udp], /--key: bad KDNET key/],
      [
        ['bridge', '--mode', 'com', '--debugger', 'udp:127.0.0.1:9', '--target', 'sim'],
        /udp is KDNET: --mode kdnet --key W\.X\.Y\.Z/,
      ],
      [
        [
          'bridge',
          '--mode',
          'kdnet',
          '--key',
          '1.2.3.4',
          '--debugger',
          'tcp:127.0.0.1:9',
          '--target',
          'udp:9',
        ],
        /--mode kdnet relays UDP/,
      ],
    ];
    for (const [args, message] of cases) {
      const run = p.kdscope([...args, '--no-pcap']);
      expect(await run.exit, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('the KDNET bridge in process: live records equal the capture decoded', () => {
  it('record for record', async () => {
    const startKey = parseKdnetKey(KEY);
    const debuggerPort = await freeUdpPort();
    const targetPort = await freeUdpPort();
    const path = tmp.file('inproc.pcap');
    const recorder = DatagramRecorder.open(path, 'pcap');
    const bridge = await Bridge.start({
      debugger: { kind: 'udp', host: '127.0.0.1', port: debuggerPort },
      target: { kind: 'udp', host: '127.0.0.1', port: targetPort },
      deps: { onUdpFlow: (flow, socket) => socket === 'bound' && recorder.setTargetFlow(flow) },
      taps: [recorder],
      decoder: kdnetBridgeDecoder(startKey),
    });
    const live: PacketRecord[] = [];
    bridge.subscribe((event) => {
      if (event.kind === 'packets') live.push(...event.records);
    });
    const accepted = acceptKdnetTarget(
      { kind: 'udp', host: '127.0.0.1', port: debuggerPort },
      {
        startKey,
      },
    );
    const sim = await startKdnetSimTarget(
      { kind: 'udp', host: '127.0.0.1', port: targetPort },
      { startKey, pokeIntervalMs: 50 },
    );
    const link = await accepted;
    const report = await runScriptedDebugger(link.serial);
    expect(report.error).toBeUndefined();
    link.close();
    sim.close();
    await bridge.close();

    const decoded: PacketRecord[] = [];
    const session = new SessionDecoder({ onRecord: (r) => decoded.push(r) });
    openCapture(path, { key: KEY }).forEach((chunk) =>
      session.push(chunk.dir, chunk.bytes, chunk.timeUs / 1000, chunk.frame),
    );
    session.end();
    const stable = (r: PacketRecord) => ({
      dir: r.dir,
      kind: r.kind,
      offset: r.offset,
      length: r.length,
      type: r.type,
      id: r.id,
      byteCount: r.byteCount,
      checksumOk: r.checksumOk,
      time: r.time,
    });
    expect(live.length).toBeGreaterThan(40);
    expect(live.map(stable)).toEqual(decoded.map(stable));
    expect(recorder.frames).toBe(
      bridge.counters()['debugger->target'].chunks + bridge.counters()['target->debugger'].chunks,
    );
  });
});
