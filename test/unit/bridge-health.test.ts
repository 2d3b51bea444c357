import { describe, expect, it } from 'vitest';
import {
  HealthMonitor,
  type HealthPacket,
  type HealthStatus,
} from '../../electron/engine/bridge/health';
import { PacketType } from '../../protocol/kd/constants';

function setup(options: ConstructorParameters<typeof HealthMonitor>[0] = {}) {
  let now = 1_000_000;
  const health = new HealthMonitor({ ...options, clock: () => now });
  const seen: HealthStatus[] = [];
  const dispose = health.subscribe((s) => seen.push(s));
  return {
    health,
    seen,
    dispose,
    advance(ms: number) {
      now += ms;
      health.tick();
    },
  };
}

const reset = (dir: HealthPacket['dir']): HealthPacket => ({
  dir,
  kind: 'packet',
  leader: 'control',
  type: PacketType.RESET,
  id: 0,
});
const data = (dir: HealthPacket['dir'], id: number): HealthPacket => ({
  dir,
  kind: 'packet',
  leader: 'data',
  type: PacketType.STATE_MANIPULATE,
  id,
});
const ack = (dir: HealthPacket['dir'], id: number): HealthPacket => ({
  dir,
  kind: 'packet',
  leader: 'control',
  type: PacketType.ACKNOWLEDGE,
  id,
});

describe('HealthMonitor', () => {
  it('says waiting, talking, silent and gone in one plain line each', () => {
    const t = setup({ silentAfterMs: 10_000 });
    t.health.tick();
    // Both sides start waiting: the owner says so from status(); a tick does not say it again.
    expect(t.seen).toEqual([]);
    expect(t.health.status('target').line).toBe('target: connecting to the target');
    expect(t.health.status('debugger').line).toBe('debugger: waiting for the debugger to connect');
    t.health.setConnection('target', 'connected');
    expect(t.health.status('target').condition).toBe('talking');
    t.advance(12_500);
    expect(t.health.status('target').line).toBe(
      'target: connected, silent for 12 s (running, or is the VM paused?)',
    );
    t.health.observeBytes('target->debugger', 10);
    t.advance(0);
    expect(t.health.status('target').condition).toBe('talking');
    t.health.setConnection('target', 'gone');
    t.advance(3_000);
    expect(t.health.status('target').line).toBe(
      'target: gone for 3 s, reconnecting (is the VM still running?)',
    );
    expect(t.seen.filter((s) => s.side === 'target').map((s) => s.condition)).toEqual([
      'talking',
      'silent',
      'talking',
      'gone',
    ]);
    for (const s of t.seen) expect(s.line).not.toContain('\n');
  });

  it('says a debugger is silent because there is no target, not that WinDbg is busy', () => {
    const t = setup({ silentAfterMs: 10_000 });
    t.health.setConnection('debugger', 'connected');
    t.advance(10_000);
    expect(t.health.status('debugger').line).toBe(
      'debugger: connected, silent for 10 s (no target yet)',
    );
    t.health.setConnection('target', 'connected');
    t.health.setConnection('target', 'gone');
    t.health.observeBytes('debugger->target', 1);
    t.advance(11_000);
    expect(t.health.status('debugger').line).toBe(
      'debugger: connected, silent for 11 s (the target is gone)',
    );
    t.health.setConnection('target', 'connected');
    t.health.observeBytes('debugger->target', 1);
    t.advance(12_000);
    expect(t.health.status('debugger').line).toBe(
      'debugger: connected, silent for 12 s (idle, or is WinDbg busy?)',
    );
  });

  it('detects a RESET bounce loop and clears it when data flows', () => {
    const t = setup({ resetLoopCount: 5, resetWindowMs: 2_000 });
    t.health.setConnection('debugger', 'connected');
    t.health.setConnection('target', 'connected');
    for (let i = 0; i < 5; i++) {
      t.health.observePacket(reset('debugger->target'));
      t.advance(100);
      t.health.observePacket(reset('target->debugger'));
      t.advance(100);
    }
    expect(t.health.status('target').condition).toBe('reset-loop');
    expect(t.health.status('target').line).toMatch(
      /^target: RESET bounce: 5 RESETs from the debugger and 5 from the target within 2 s, no data/,
    );
    t.health.observePacket(data('target->debugger', 0x80800800));
    expect(t.health.status('target').condition).toBe('talking');
  });

  it('a few RESETs spread out are not a loop', () => {
    const t = setup({ resetLoopCount: 5, resetWindowMs: 2_000 });
    t.health.setConnection('debugger', 'connected');
    t.health.setConnection('target', 'connected');
    for (let i = 0; i < 20; i++) {
      t.health.observePacket(reset(i % 2 ? 'debugger->target' : 'target->debugger'));
      t.advance(900);
    }
    expect(t.health.status('target').condition).not.toBe('reset-loop');
  });

  it('names the peer that stopped acknowledging: by time and by retransmissions', () => {
    const t = setup({ ackTimeoutMs: 5_000, maxSendsWithoutAck: 3, silentAfterMs: 60_000 });
    t.health.setConnection('debugger', 'connected');
    t.health.setConnection('target', 'connected');
    t.health.observePacket(data('debugger->target', 0x80800000));
    t.advance(4_000);
    expect(t.health.status('target').condition).toBe('talking');
    t.advance(2_000);
    expect(t.health.status('target').line).toBe(
      'target: not acknowledging: the debugger sent data packet 0x80800000 1 time over 6 s with no ACK — is the target hung or the line one-way?',
    );
    t.health.observePacket(ack('target->debugger', 0x80800000));
    expect(t.health.status('target').condition).toBe('talking');

    // The target retransmits and the debugger never ACKs.
    for (let i = 0; i < 3; i++) t.health.observePacket(data('target->debugger', 0x80800801));
    expect(t.health.status('debugger').condition).toBe('no-ack');
    expect(t.health.status('debugger').line).toMatch(
      /the target sent data packet 0x80800801 3 times/,
    );
    // An ACK carries the id without the SYNC bit.
    t.health.observePacket(ack('debugger->target', 0x80800001));
    expect(t.health.status('debugger').condition).toBe('talking');
  });

  it('stops telling a disposed listener', () => {
    const t = setup();
    t.health.tick();
    const before = t.seen.length;
    t.dispose();
    t.health.setConnection('target', 'connected');
    expect(t.seen.length).toBe(before);
  });
});

describe('a datagram side (KDNET: the socket that sends to WinDbg)', () => {
  const ep = 'udp:127.0.0.1:50000';

  it('is waiting, not talking, until the side has sent something', () => {
    const t = setup();
    t.health.setConnection('debugger', 'connected', { datagramsTo: ep });
    expect(t.health.status('debugger')).toMatchObject({
      condition: 'waiting',
      line: `debugger: sending to ${ep}, nothing heard from it yet`,
    });
    // Bytes toward it prove nothing; bytes from it do.
    t.health.observeBytes('target->debugger', 100);
    t.advance(20_000);
    expect(t.health.status('debugger').condition).toBe('waiting');
    t.health.observeBytes('debugger->target', 10);
    t.advance(0);
    expect(t.health.status('debugger').condition).toBe('talking');
  });

  it('says nothing listens there while refused, and talks again once heard', () => {
    const t = setup();
    t.health.setConnection('debugger', 'connected', { datagramsTo: ep });
    t.health.setRefused('debugger', true);
    expect(t.seen.at(-1)).toMatchObject({
      side: 'debugger',
      condition: 'refused',
      line: `debugger: nothing listens at ${ep} (is WinDbg started with port=50000?)`,
    });
    const changes = t.seen.length;
    // Said once: the same refusal again is no news.
    t.health.setRefused('debugger', true);
    t.advance(1000);
    expect(t.seen.length).toBe(changes);
    t.health.observeBytes('debugger->target', 10);
    t.advance(0);
    expect(t.health.status('debugger').line).toBe('debugger: connected and talking');
  });

  it('a stream side talks at once, as before', () => {
    const t = setup();
    t.health.setConnection('debugger', 'connected');
    expect(t.health.status('debugger').condition).toBe('talking');
  });
});
