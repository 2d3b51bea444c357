// Old rows read back from a live session's capture equal the rows it streamed live, field for
// field: a real bridge between two socket peers that play a long KD conversation with
// corrupted packets, RESENDs, retransmits, lost ACKs, unanswered requests, RESETs, break-ins
// and line noise, in bursts (so the bridge's idle-time flush reports pending break-in and
// noise runs between them), recorded to pcap and pcapng. Pages are read while the session
// runs (the file is being appended) and after it closed; a page's packet bytes equal the
// decoder's own; a capture that stopped at its size limit pages what it holds and says why
// not the rest.
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LiveSession } from '../../electron/engine/session/live-session';
import { resolveSession } from '../../electron/engine/session/plan';
import { INITIAL_PACKET_ID, PacketType } from '../../protocol/kd/constants';
import { encodeDataPacket } from '../../protocol/kd/encoder';
import { buildPrintString } from '../../protocol/kd/payloads';
import type { PacketRecord } from '../../protocol/session/record';
import { cutSteps, generateKdSession, type WireStep } from '../support/kd-session-gen';
import { untilWithin } from '../support/until';

const until = untilWithin(30_000, 2);
let dir: string;
const cleanups: (() => unknown)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-paging-'));
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  session: LiveSession;
  /** Every record the bridge reported, with its late updates applied (index no - 1). */
  live: PacketRecord[];
  play: (steps: readonly WireStep[], burst: number) => Promise<void>;
  /** `side` sends `bytes` (half a packet) and vanishes; a new connection takes its place. */
  reconnect: (side: 'debugger' | 'target', bytes: Uint8Array) => Promise<void>;
}

async function startRun(
  format: 'pcap' | 'pcapng',
  checkpointRecords: number,
  limitBytes?: number,
): Promise<Run> {
  const targetPath = join(dir, 'target.sock');
  const debuggerPath = join(dir, 'dbg.sock');
  let targetSocket: Socket | undefined;
  let targets = 0;
  let atTarget = 0;
  const server: Server = createServer((s) => {
    targetSocket = s;
    targets++;
    s.on('data', (d: Buffer) => (atTarget += d.length));
    s.on('error', () => undefined);
  });
  server.listen(targetPath);
  await once(server, 'listening');
  cleanups.push(() => new Promise((r) => server.close(r)));
  const session = await LiveSession.start({
    resolved: resolveSession({ debugger: `unix:${debuggerPath}`, target: `unix:${targetPath}` }),
    capture: {
      path: join(dir, `session.${format}`),
      format,
      ...(limitBytes ? { limitBytes } : {}),
    },
    keepBytes: true,
    checkpointRecords,
    // A short tick: pending break-in and noise runs are flushed between the bursts.
    bridge: { tickMs: 3 },
  });
  cleanups.push(() => session.close());
  const live: PacketRecord[] = [];
  session.bridge.subscribe((event) => {
    if (event.kind !== 'packets') return;
    for (const r of event.records) live[r.no - 1] = r;
    for (const r of event.updates) live[r.no - 1] = r;
  });
  await until(() => existsSync(debuggerPath), 'the bridge to listen');
  let atDebugger = 0;
  const connectDebugger = async (): Promise<Socket> => {
    const socket = connect({ path: debuggerPath });
    await once(socket, 'connect');
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => (atDebugger += d.length));
    cleanups.push(() => socket.destroy());
    return socket;
  };
  let dbg = await connectDebugger();
  await until(() => targetSocket !== undefined, 'the bridge to reach the target');
  let toTarget = 0;
  let toDebugger = 0;
  const play = async (steps: readonly WireStep[], burst: number): Promise<void> => {
    for (let i = 0; i < steps.length; i += burst) {
      for (const step of steps.slice(i, i + burst)) {
        if (step.dir === 'debugger->target') {
          toTarget += step.bytes.length;
          dbg.write(step.bytes);
        } else {
          toDebugger += step.bytes.length;
          targetSocket!.write(step.bytes);
        }
      }
      await until(
        () => atTarget === toTarget && atDebugger === toDebugger,
        `burst ${i / burst} across the bridge`,
      );
    }
  };
  const reconnect = async (side: 'debugger' | 'target', bytes: Uint8Array): Promise<void> => {
    const counters = () => session.bridge.counters();
    if (side === 'target') {
      const before = targets;
      toDebugger += bytes.length;
      targetSocket!.end(bytes);
      await until(() => targets > before && session.bridge.connected('target'), 'the target back');
    } else {
      const before = counters().debuggerConnections;
      toTarget += bytes.length;
      dbg.end(bytes);
      await until(() => atTarget === toTarget, 'the last bytes of the debugger');
      dbg = await connectDebugger();
      await until(() => counters().debuggerConnections > before, 'the new debugger');
    }
  };
  return { session, live, play, reconnect };
}

/** Every row, page by page (pages of `size` from `first`), against the live rows. */
function expectPagesEqualLive(run: Run, size: number, first = 1): number {
  const pager = run.session.pager!;
  const last = pager.index.nextNo;
  let compared = 0;
  for (let from = first; from < last; from += size) {
    const page = pager.read(from, size);
    const want = run.live.slice(from - 1, Math.min(from - 1 + size, last - 1));
    expect(page.records.length, `page at ${from}`).toBe(want.length);
    expect(page.records, `page at ${from}`).toEqual(want);
    compared += page.records.length;
  }
  return compared;
}

describe('paging a live session from its capture', () => {
  for (const format of ['pcap', 'pcapng'] as const) {
    it(`gives back every row exactly as streamed live (${format})`, async () => {
      const run = await startRun(format, 150);
      const steps = cutSteps(generateKdSession(2000, format === 'pcap' ? 11 : 12), 5);
      await run.play(steps.slice(0, 2000), 37);
      await until(() => run.session.pager!.index.nextNo > 1000, 'rows indexed');
      const index = run.session.pager!.index;
      expect(index.checkpoints.length).toBeGreaterThan(4);
      // While running: the capture is being appended; rows up to what was decoded.
      const whileRunning = expectPagesEqualLive(run, 211);
      expect(whileRunning).toBeGreaterThan(1000);
      await run.play(steps.slice(2000), 37);
      await run.session.close();
      // The conversation had every kind of trouble, and flushes between bursts.
      const flags = run.live.reduce((f, r) => f | r.flags, 0);
      expect(flags & 0b11_1111_1111).toBe(0b11_1111_1111);
      expect(index.stepsFrom(0).length).toBeGreaterThan(0);
      expect(index.stopped).toBeUndefined();
      expect(index.nextNo).toBe(run.live.length + 1);
      // After the end: every row, in pages that start anywhere in a checkpoint's span.
      expect(expectPagesEqualLive(run, 97, 3)).toBe(run.live.length - 2);
      expect(expectPagesEqualLive(run, 1000)).toBe(run.live.length);
      // A page past the end says why.
      expect(run.session.pager!.read(run.live.length + 1, 10).missing).toMatch(/not recorded/);
      // One row's bytes, read from the capture, equal the decoder's copy of the stream.
      for (let no = 1; no <= run.live.length; no += 41) {
        expect(run.session.pager!.bytes(no), `bytes of ${no}`).toEqual(
          run.session.decoder.recordBytes(no),
        );
      }
    });
  }

  it('gives back every row across reconnects mid-packet, as streamed live', async () => {
    const run = await startRun('pcap', 40);
    const steps = generateKdSession(400, 31);
    const half = encodeDataPacket(
      PacketType.DEBUG_IO,
      INITIAL_PACKET_ID,
      buildPrintString('cut by a reconnect, the rest never comes\n'),
    ).subarray(0, 20);
    await run.play(steps.slice(0, 150), 30);
    // No pause: only the bridge knows of the reconnects, and the index has to replay them.
    await run.reconnect('target', half);
    await run.play(steps.slice(150, 300), 30);
    await run.reconnect('debugger', half);
    await run.play(steps.slice(300), 30);
    await run.session.close();
    const truncated = run.live.filter((r) => r.garbageReason === 'truncated');
    expect(new Set(truncated.map((r) => r.dir))).toEqual(
      new Set(['target->debugger', 'debugger->target']),
    );
    const index = run.session.pager!.index;
    expect(index.stopped).toBeUndefined();
    expect(index.checkpoints.length).toBeGreaterThan(4);
    expect(expectPagesEqualLive(run, 37)).toBe(run.live.length);
  });

  it('pages what a capture that hit its size limit holds, and says why not the rest', async () => {
    const run = await startRun('pcap', 100, 64 * 1024);
    const steps = cutSteps(generateKdSession(2000, 21), 6);
    await run.play(steps, 50);
    await run.session.close();
    const index = run.session.pager!.index;
    expect(index.stopped).toMatch(/recording stopped: the capture reached its size limit/);
    const covered = index.nextNo - 1;
    expect(covered).toBeGreaterThan(300);
    expect(covered).toBeLessThan(run.live.length);
    expect(expectPagesEqualLive(run, 120)).toBe(covered);
    const past = run.session.pager!.read(covered - 5, 20);
    expect(past.records).toEqual(run.live.slice(covered - 6, covered));
    expect(past.missing).toMatch(/not in the capture \(recording stopped: the capture reached/);
    expect(run.session.pager!.bytes(covered + 1)).toBeNull();
  });
});
