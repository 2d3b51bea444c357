// The scripted debugger through the real bridge to the simulated target: in-process (`sim`)
// and over a unix socket served by the target server. The session tracker, fed what the
// bridge relayed, must see a clean conversation.

import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PacketFlag, type PacketRecord } from '../../protocol/session/record';
import { SessionDecoder } from '../../protocol/session/pipeline';
import { Bridge } from '../../electron/engine/bridge/bridge';
import type { StreamChunk } from '../../electron/capture/chunk';
import type { Endpoint } from '../../electron/engine/endpoint';
import { createDialer } from '../../electron/engine/transports';
import {
  runScriptedDebugger,
  serveSimTarget,
  simTargetFactory,
} from '../../electron/engine/simulators';

let dir: string;
const cleanups: (() => Promise<void> | void)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-simbridge-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** A tap that runs the session pipeline over the relayed bytes. */
function trackerTap() {
  const records: PacketRecord[] = [];
  const decoder = new SessionDecoder({ onRecord: (r) => records.push(r) });
  return {
    records,
    tap: {
      name: 'test-tracker',
      write(batch: readonly StreamChunk[]) {
        for (const chunk of batch) decoder.push(chunk.dir, chunk.bytes, chunk.timeUs / 1000);
      },
      close() {
        decoder.end();
      },
    },
  };
}

async function bridge(target: Endpoint) {
  const debuggerEp: Endpoint = { kind: 'unix', path: join(dir, 'debugger.sock') };
  const tracker = trackerTap();
  const started = await Bridge.start({
    debugger: debuggerEp,
    target,
    deps: { simTarget: simTargetFactory({ runMs: 2 }) },
    taps: [tracker.tap],
  });
  cleanups.push(() => started.close());
  return { bridge: started, debuggerEp, records: tracker.records };
}

async function debugSession(ep: Endpoint, options = {}) {
  const socket = (await createDialer(ep).dial()) as Socket;
  try {
    return await runScriptedDebugger(socket, { replyTimeoutMs: 5000, ...options });
  } finally {
    socket.destroy();
  }
}

const BAD =
  PacketFlag.UNEXPECTED_ID |
  PacketFlag.STRAY_ACK |
  PacketFlag.CHECKSUM_ERROR |
  PacketFlag.GARBAGE |
  PacketFlag.RETRANSMIT |
  PacketFlag.ERROR_STATUS;

describe('scripted debugger -> bridge -> simulated target', () => {
  it('in-process target (sim): two debugger runs, the second finds the target running', async () => {
    const { bridge: b, debuggerEp, records } = await bridge({ kind: 'sim', flavour: 'com' });
    const first = await debugSession(debuggerEp);
    expect(first.error).toBeUndefined();
    // The target kept running after the first run's last Continue2; the bridge kept it.
    const second = await debugSession(debuggerEp, { stateChangeWaitMs: 200 });
    expect(second.error).toBeUndefined();
    expect(second.stateChanges).toBe(3);
    const counters = b.counters();
    expect(counters.targetConnections).toBe(1);
    expect(counters.debuggerConnections).toBe(2);
    await b.close();
    const packets = records.filter((r) => r.kind === 'packet');
    expect(packets.length).toBeGreaterThan(50);
    // The first run is clean. When the second debugger connects, the target may be
    // retransmitting a DbgPrint nobody acknowledged (the bridge had no debugger to give it
    // to): that print crossing the RESET is flagged, rightly, so only the first run is checked.
    const resets = records.filter((r) => r.dir === 'debugger->target' && r.typeName === 'RESET');
    expect(resets).toHaveLength(2);
    const firstRun = records.filter((r) => r.no < resets[1]!.no);
    expect(firstRun.filter((r) => r.flags & BAD).map((r) => r.no)).toEqual([]);
    const manipulates = packets.filter((r) => r.typeName === 'STATE_MANIPULATE');
    expect(manipulates.some((r) => r.apiName === 'GetVersion' && r.pair !== undefined)).toBe(true);
  });

  it('target served on a unix socket by the target server', async () => {
    const targetEp: Endpoint = { kind: 'unix', path: join(dir, 'target.sock') };
    const server = await serveSimTarget(targetEp, { runMs: 2 });
    cleanups.push(() => server.close());
    const { bridge: b, debuggerEp, records } = await bridge(targetEp);
    const report = await debugSession(debuggerEp, { loops: 3 });
    expect(report.error).toBeUndefined();
    expect(report.loopsCompleted).toBe(3);
    expect(server.targets.size).toBe(1);
    await b.close();
    expect(records.filter((r) => r.flags & BAD).map((r) => r.no)).toEqual([]);
  });
});
