// KDNET in a UI session: the sim:kdnet preset (the simulated target and the scripted debugger
// over KDNET on loopback UDP, through the real UDP relay): packets stream decrypted, the capture
// holds the datagrams with their real ports and decodes with the key to the rows streamed; a
// wrong key is said in the session's status, and so is a key changed after a session decoded.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture } from '../../electron/capture';
import { Workbench } from '../../electron/engine/workbench/workbench';
import { SessionDecoder } from '../../protocol/session/pipeline';
import type { PacketRecord } from '../../protocol/session/record';
import { untilWithin } from '../support/until';
import { connectView } from '../support/workbench-view';
import { freeUdpPort } from '../support/udp';
import { parseKdnetKey } from '../../protocol/kdnet/key';
import { runScriptedDebugger } from '../../electron/engine/simulators';
import {
  acceptKdnetTarget,
  startKdnetSimTarget,
} from '../../electron/engine/simulators/kdnet-peers';

const until = untilWithin(20_000, 10);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'kdscope-wb-kdnet-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const workbench = new Workbench({ capturesDir: dir });
  cleanups.push(() => workbench.dispose());
  const view = connectView(workbench, 8, true);
  cleanups.push(() => view.handlers.dispose());
  return { workbench, view };
}

describe('a KDNET UI session', () => {
  it('runs sim:kdnet through the UDP relay; its capture decodes with the key to the rows', async () => {
    const { workbench, view } = setup();
    const plan = await view.handlers['session.plan']({ debugger: 'sim', target: 'sim:kdnet' });
    expect(plan.problem).toBeUndefined();
    expect(plan.mode).toBe('kdnet');
    const info = await view.handlers['session.start']({
      debugger: 'sim',
      target: 'sim:kdnet',
      rate: 5000,
    });
    expect(info.mode).toBe('kdnet');
    await until(() => view.rows.length > 200, '200 KDNET packets');
    expect(new Set(view.rows.map((r) => r.typeName))).toContain('STATE_MANIPULATE');
    const bytes = await view.handlers['packets.bytes'](view.rows[0]!.no);
    expect(bytes?.bytes.length).toBeGreaterThan(0);
    await view.handlers['session.stop']();
    await until(() => view.states.at(-1)?.state === 'stopped', 'stopped');
    expect(workbench.status().error).toBeUndefined();

    const rows: PacketRecord[] = [];
    const decoder = new SessionDecoder({ onRecord: (r) => rows.push(r) });
    const source = openCapture(info.capture!, { key: '1.2.3.4' });
    const stats = source.forEach((c) => decoder.push(c.dir, c.bytes, c.timeUs / 1000));
    decoder.end();
    expect(stats.kdnet?.authenticated).toBeGreaterThan(200);
    expect(stats.kdnet?.unauthenticated ?? 0).toBe(0);
    const id = (r: PacketRecord) => `${r.no} ${r.dir} ${r.typeName} ${r.id} ${r.apiName ?? ''}`;
    await until(() => view.rows.length === rows.length, 'the last rows');
    expect(view.rows.map(id)).toEqual(rows.map(id));
  }, 60_000);

  it('says a wrong key in the session status, and relays on', async () => {
    const { workbench, view } = setup();
    // The simulated VM uses 1.2.3.4; the bridge is told another key.
    await view.handlers['session.start']({ debugger: 'sim', target: 'sim:kdnet', key: '9.9.9.9' });
    await until(
      () => /failed authentication: wrong key\?/.test(workbench.status().warning ?? ''),
      'the wrong-key warning',
    );
    expect(workbench.status().state).toBe('running');
    expect(JSON.stringify(workbench.status())).not.toContain('9.9.9.9');
    // Relayed all the same: the target's pokes and the debugger's answers keep coming.
    await until(() => workbench.status().counters.bytes > 1000, 'relayed bytes');
  }, 60_000);

  it('says datagrams failing authentication after a session decoded (the key changed)', async () => {
    const { workbench, view } = setup();
    const debuggerPort = await freeUdpPort();
    const targetPort = await freeUdpPort();
    const at = (port: number) => ({ kind: 'udp', host: '127.0.0.1', port }) as const;
    await view.handlers['session.start']({
      debugger: `udp:127.0.0.1:${debuggerPort}`,
      target: `udp:127.0.0.1:${targetPort}`,
      key: '1.2.3.4',
    });
    // One scripted session under the bridge's key, then both peers restarted under another.
    for (const key of ['1.2.3.4', '5.6.7.8']) {
      const startKey = parseKdnetKey(key);
      const accepted = acceptKdnetTarget(at(debuggerPort), { startKey });
      const sim = await startKdnetSimTarget(at(targetPort), { startKey, pokeIntervalMs: 50 });
      const link = await accepted;
      const report = await runScriptedDebugger(link.serial);
      expect(report.error).toBeUndefined();
      link.close();
      sim.close();
      if (key === '1.2.3.4') {
        await until(() => view.rows.length > 20, 'the first session decoded');
        expect(workbench.status().warning).toBeUndefined();
      }
    }
    await until(
      () =>
        /^KDNET: \d+ datagrams failed authentication since \d\d:\d\d:\d\d \(the key changed\?/.test(
          workbench.status().warning ?? '',
        ),
      () => `the failures in the status: ${JSON.stringify(workbench.status())}`,
    );
    expect(workbench.status().state).toBe('running');
  }, 60_000);
});
