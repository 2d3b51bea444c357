// A peer that vanishes mid-packet and comes back, through the real bridge on unix sockets:
// the live records and `kdscope decode` of the capture show every packet sent after the
// reconnect (the vanished peer's half packet is 'truncated' garbage), and a 0x62 from the
// target is garbage, not a break-in.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Bridge } from '../../electron/engine/bridge/bridge';
import { Recorder } from '../../electron/engine/bridge/recorder';
import { parseEndpoint } from '../../electron/engine/endpoint';
import { sessionBridgeDecoder } from '../../electron/engine/session/decoder';
import { KD_RECEIVE_TIMEOUT_MS, PacketType } from '../../protocol/kd/constants';
import { concatBytes, encodeDataPacket, encodeReset } from '../../protocol/kd/encoder';
import { buildPrintString } from '../../protocol/kd/payloads';
import type { PacketRecord } from '../../protocol/session/record';
import { Processes } from '../support/kdscope-process';
import { untilWithin } from '../support/until';

let dir: string;
const processes = new Processes();
const cleanups: (() => Promise<void> | void)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-reconnect-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  processes.killAll();
  rmSync(dir, { recursive: true, force: true });
});

const until = untilWithin(15_000, 5);
const print = (id: number, text: string): Uint8Array =>
  encodeDataPacket(PacketType.DEBUG_IO, id, buildPrintString(text));

/** What a record says, as `kdscope decode` says it too: direction, kind, offset, detail. */
interface Row {
  readonly dir: string;
  readonly kind: string;
  readonly offset: number;
  readonly what: string;
}
const liveRow = (r: PacketRecord): Row => ({
  dir: r.dir,
  kind: r.kind,
  offset: r.offset,
  what: r.kind === 'garbage' ? `${r.garbageReason} ${r.length}` : `${r.length}`,
});

async function startBridge(withPause: boolean) {
  const targetPath = join(dir, 't.sock');
  const debuggerPath = join(dir, 'd.sock');
  const capture = join(dir, 'r.pcap');
  const targets: Socket[] = [];
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.resume();
    targets.push(socket);
  });
  server.listen(targetPath);
  await once(server, 'listening');
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const bridge = await Bridge.start({
    debugger: parseEndpoint(`unix:${debuggerPath}`),
    target: parseEndpoint(`unix:${targetPath}`),
    taps: [Recorder.open(capture)],
    decoder: sessionBridgeDecoder(),
  });
  cleanups.push(() => bridge.close());
  const records: PacketRecord[] = [];
  bridge.subscribe((e) => {
    if (e.kind === 'packets') records.push(...e.records.map((r) => ({ ...r })));
  });
  /** Waits until the bridge read `bytes` of `dir`, then (withPause) over the receive timeout. */
  const relayed = async (direction: keyof ReturnType<Bridge['counters']>, bytes: number) => {
    await until(
      () => (bridge.counters()[direction] as { bytes: number }).bytes >= bytes,
      `${bytes} bytes ${direction}`,
    );
    return Date.now();
  };
  const pausedSince = async (since: number) => {
    // The pause is the scenario itself: a capture read later knows of the reconnect only by it.
    if (withPause) await until(() => Date.now() - since > KD_RECEIVE_TIMEOUT_MS * 1.5, 'a pause');
  };
  return { bridge, records, targets, debuggerPath, capture, relayed, pausedSince };
}

describe('a peer reconnecting mid-packet', () => {
  it('target, then debugger: live and `kdscope decode` show every packet after each reconnect', async () => {
    const { bridge, records, targets, debuggerPath, capture, relayed, pausedSince } =
      await startBridge(true);
    await until(() => targets.length === 1 && bridge.connected('target'), 'the target');
    const first = connect({ path: debuggerPath });
    first.on('error', () => undefined);
    await once(first, 'connect');
    await until(() => bridge.connected('debugger'), 'the first debugger');

    // The target sends a whole DbgPrint and half of another, and vanishes.
    const whole = print(0x80800000, 'first whole\n');
    const cut = print(0x80800001, 'second cut in half by the vanishing target\n').subarray(0, 30);
    targets[0]!.end(concatBytes([whole, cut]));
    const targetGone = await relayed('target->debugger', whole.length + cut.length);
    await until(() => targets.length === 2 && bridge.connected('target'), 'the target back');
    await pausedSince(targetGone);
    // Back: two DbgPrints, and a 0x62 between them (noise from a target, not a break-in).
    const one = print(0x80800000, 'after reconnect one\n');
    const two = print(0x80800001, 'after reconnect two\n');
    targets[1]!.write(concatBytes([one, Uint8Array.of(0x62), two]));
    const t2d = whole.length + cut.length + one.length + 1 + two.length;
    await relayed('target->debugger', t2d);

    // The debugger sends a RESET and half a data packet, and vanishes; a new one sends 2 RESETs.
    const reset = encodeReset();
    const half = print(0x80800800, 'cut by a debugger restart, here comes the rest').subarray(
      0,
      30,
    );
    first.end(concatBytes([reset, half]));
    const debuggerGone = await relayed('debugger->target', reset.length + half.length);
    await until(() => !bridge.connected('debugger'), 'the first debugger to go');
    await pausedSince(debuggerGone);
    const second = connect({ path: debuggerPath });
    second.on('error', () => undefined);
    await once(second, 'connect');
    await until(() => bridge.counters().debuggerConnections === 2, 'the second debugger');
    second.write(concatBytes([reset, reset]));
    await relayed('debugger->target', 2 * reset.length + half.length + reset.length);
    second.destroy();
    await bridge.close();

    const expected: Row[] = [
      { dir: 'target->debugger', kind: 'packet', offset: 0, what: `${whole.length}` },
      { dir: 'target->debugger', kind: 'garbage', offset: whole.length, what: 'truncated 30' },
      { dir: 'target->debugger', kind: 'packet', offset: whole.length + 30, what: `${one.length}` },
      {
        dir: 'target->debugger',
        kind: 'garbage',
        offset: whole.length + 30 + one.length,
        what: 'noise 1',
      },
      {
        dir: 'target->debugger',
        kind: 'packet',
        offset: whole.length + 30 + one.length + 1,
        what: `${two.length}`,
      },
      { dir: 'debugger->target', kind: 'packet', offset: 0, what: '16' },
      { dir: 'debugger->target', kind: 'garbage', offset: 16, what: 'truncated 30' },
      { dir: 'debugger->target', kind: 'packet', offset: 46, what: '16' },
      { dir: 'debugger->target', kind: 'packet', offset: 62, what: '16' },
    ];
    const byDir = (rows: Row[]) =>
      [...rows].sort((a, b) => a.dir.localeCompare(b.dir) || a.offset - b.offset);
    expect(byDir(records.map(liveRow))).toEqual(byDir(expected));

    const run = processes.kdscope(['decode', capture]);
    expect(await run.exit).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = lines.pop()!;
    const offline = lines.map((l): Row => ({
      dir: String(l.dir),
      kind: String(l.kind),
      offset: Number(l.offset),
      what:
        l.kind === 'garbage'
          ? `${String(l.reason)} ${Number(l.length)}`
          : l.leader === 'control'
            ? '16'
            : `${16 + Number(l.byteCount) + 1}`,
    }));
    expect(byDir(offline)).toEqual(byDir(expected));
    expect(summary).toMatchObject({ kind: 'summary', breakins: 0, byApi: { PrintString: 3 } });
  });

  it('live decoding restarts at once, with no pause between the connections', async () => {
    const { bridge, records, targets, relayed } = await startBridge(false);
    await until(() => targets.length === 1 && bridge.connected('target'), 'the target');
    const cut = print(0x80800001, 'cut\n').subarray(0, 20);
    targets[0]!.end(cut);
    await relayed('target->debugger', cut.length);
    await until(() => targets.length === 2 && bridge.connected('target'), 'the target back');
    const reset = encodeReset();
    targets[1]!.write(reset);
    await relayed('target->debugger', cut.length + reset.length);
    await until(() => records.length === 2, 'two records');
    expect(records.map(liveRow)).toEqual([
      { dir: 'target->debugger', kind: 'garbage', offset: 0, what: 'truncated 20' },
      { dir: 'target->debugger', kind: 'packet', offset: 20, what: '16' },
    ]);
  });
});
