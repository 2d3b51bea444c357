// `kdscope simulate target|debugger --kdnet` as real processes over loopback UDP: the key
// exchange, the scripted session, and captures of both ends that decode to the session.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../support/pcap-fixtures';
import { decodeCapture, packetKey, sidesOf } from '../support/kdnet-captures';
import { Processes, interrupt, untilOutput } from '../support/kdscope-process';
import { freeUdpPort } from '../support/udp';

const KEY = 'sim.kd.net.1';
const p = new Processes();
let tmp: TempDir;
beforeEach(() => {
  tmp = makeTempDir('kdscope-kdnet-sim-');
});
afterEach(() => {
  p.killAll();
  tmp.cleanup();
});

const SCRIPT = [
  'GetVersion',
  'ReadVirtualMemory',
  'ReadPhysicalMemory',
  'GetContext',
  'ReadMachineSpecificRegister',
  'WriteBreakPoint',
  'Continue2',
  'ReadVirtualMemory',
  'RestoreBreakPoint',
  'Continue2',
  'Continue2',
];

describe('simulated KDNET peers (real processes, loopback UDP)', () => {
  it('complete the scripted session; both ends recorded the same datagrams', async () => {
    const port = await freeUdpPort();
    const dbgPcap = tmp.file('debugger.pcapng');
    const tgtPcap = tmp.file('target.pcapng');
    const dbg = p.kdscope([
      'simulate',
      'debugger',
      '--kdnet',
      '--key',
      KEY,
      '--listen',
      `udp:127.0.0.1:${port}`,
      '--pcap',
      dbgPcap,
    ]);
    await untilOutput(dbg, /waiting for a KDNET target's poke/);
    const tgt = p.kdscope([
      'simulate',
      'target',
      '--kdnet',
      '--key',
      KEY,
      '--connect',
      `udp:127.0.0.1:${port}`,
      '--poke-ms',
      '100',
      '--pcap',
      tgtPcap,
    ]);
    expect(await dbg.exit).toBe(0);
    expect(dbg.stderr).toBe('');
    expect(dbg.stdout).toMatch(/key exchange 1: answered the target's poke/);
    expect(dbg.stdout).toMatch(/session complete: 1 of 1 session\(s\), 11 requests, 3 state/);
    expect(await interrupt(tgt)).toBe(0);
    expect(tgt.stdout).toMatch(/key exchange 1: debugger answered/);

    // Every datagram the debugger sent, the target received, and the other way round (the
    // target goes on after the debugger left: its capture has more).
    const d = sidesOf(dbgPcap);
    const t = sidesOf(tgtPcap);
    expect(t.fromDebugger).toEqual(d.fromDebugger);
    expect(t.fromTarget.slice(0, d.fromTarget.length)).toEqual(d.fromTarget);
    expect(d.fromTarget.length).toBeGreaterThan(20);

    // Both captures decode, with the key, to the scripted session.
    const td = decodeCapture(tgtPcap, KEY);
    const dd = decodeCapture(dbgPcap, KEY);
    expect(td.status).toBe(0);
    expect(dd.status).toBe(0);
    expect(dd.packets.map(packetKey)).toEqual(
      td.packets.slice(0, dd.packets.length).map(packetKey),
    );
    expect(td.summary).toMatchObject({ checksumErrors: 0, breakins: 1, garbageBytes: 12 });
    expect(td.summary.capture).toMatchObject({
      kdnet: { dataKeyChanges: 1, unauthenticated: 0, malformed: 0 },
    });
    const requests = dd.packets.filter(
      (l) => l.dir === 'debugger->target' && l.type === 'STATE_MANIPULATE',
    );
    expect(requests.map((l) => l.apiName)).toEqual(SCRIPT);
    // The session as KDNET numbers it: +2 per new data packet, from 0 and 0x80000000.
    const ids = (dir: string) =>
      dd.packets
        .filter((l) => l.dir === dir && l.leader === 'data' && l.retransmit !== true)
        .map((l) => l.id as number);
    const tIds = ids('target->debugger');
    const dIds = ids('debugger->target');
    expect(tIds).toEqual(tIds.map((_, i) => 2 * i));
    expect(dIds).toEqual(dIds.map((_, i) => 0x80000000 + 2 * i));
    // The target's first data datagram: 12 bytes with no KD leader (a real target's hello).
    expect(dd.lines.filter((l) => l.kind === 'garbage')).toEqual([
      expect.objectContaining({ dir: 'target->debugger', offset: 0, length: 12 }),
    ]);
    expect(dd.packets.slice(0, 3).map((l) => `${l.dir} ${l.type}`)).toEqual([
      'debugger->target RESET',
      'target->debugger RESET',
      'target->debugger STATE_CHANGE64',
    ]);
  });

  it('refuses bad KDNET usage with one line', async () => {
    const cases: [string[], RegExp][] = [
      [['simulate', 'target', '--kdnet', '--connect', 'udp:127.0.0.1:9'], /--kdnet needs the key/],
      [
        ['simulate', 'target', '--kdnet', '--key', '1.2.3', '--connect', 'udp:127.0.0.1:9'],
        /--key: bad KDNET key/,
      ],
      [
        ['simulate', 'target', '--kdnet', '--key', '1.2.3.4', '--connect', 'tcp:127.0.0.1:9'],
        /takes udp:\[HOST:\]PORT/,
      ],
      [
        ['simulate', 'debugger', '--kdnet', '--key', '1.2.3.4', '--connect', 'udp:127.0.0.1:9'],
        /waits for the target: --listen/,
      ],
      [['simulate', 'debugger', '--key', '1.2.3.4', '--connect', 'sim'], /--key needs --kdnet/],
    ];
    for (const [args, message] of cases) {
      const run = p.kdscope(args);
      expect(await run.exit, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
