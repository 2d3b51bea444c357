// The KDNET framing layer (protocol/kdnet/peer.ts): the serial simulators behind two
// KdnetPeers complete a scripted session; the wire carries what Windows puts on it (a poke,
// the reply, the 12-byte hello, KDNET ids); over a lossy, corrupting, duplicating wire every
// message still arrives once and in order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  nodeKdnetCrypto as crypto,
  nodeRandomBytes,
} from '../../electron/capture/kdnet-node-crypto';
import { prng } from '../../electron/engine/simulators/memory';
import { ScriptedDebugger, SimTarget } from '../../electron/engine/simulators';
import { nodeTimers } from '../../electron/engine/simulators/timers';
import { PacketType } from '../../protocol/kd/constants';
import { KdStreamDecoder } from '../../protocol/kd/decoder';
import type { KdEvent, KdPacketEvent } from '../../protocol/kd/events';
import { KdLink } from '../../protocol/kd/link';
import { KdnetChannel, parseKdnetDatagram } from '../../protocol/kdnet/datagram';
import { KdnetDecoder } from '../../protocol/kdnet/decoder';
import { parseControlBody } from '../../protocol/kdnet/handshake';
import { KdnetIdMap } from '../../protocol/kdnet/ids';
import { parseKdnetKey } from '../../protocol/kdnet/key';
import { KdnetPeer, type KdnetRole } from '../../protocol/kdnet/peer';
import type { LinkTimers } from '../../protocol/kd/link';
import { FakeClock } from '../support/fake-clock';

const startKey = parseKdnetKey('kd.sc.0pe.1');

interface Wire {
  readonly target: KdnetPeer;
  readonly debugger: KdnetPeer;
  /** Every datagram put on the wire, in order, with who sent it. */
  readonly log: { from: KdnetRole; bytes: Uint8Array }[];
}

/** Two peers joined by a wire; `carry` decides each datagram's fate (default: deliver). */
function wire(
  timers: LinkTimers,
  deliverSerial: Record<KdnetRole, (bytes: Uint8Array) => void>,
  carry: (deliver: (instead?: Uint8Array) => void, datagram: Uint8Array) => void = (deliver) =>
    setImmediate(deliver),
  random: (n: number) => Uint8Array = nodeRandomBytes,
): Wire {
  const log: Wire['log'] = [];
  const peers = {} as Record<KdnetRole, KdnetPeer>;
  for (const role of ['target', 'debugger'] as const) {
    const other: KdnetRole = role === 'target' ? 'debugger' : 'target';
    peers[role] = new KdnetPeer({
      role,
      crypto,
      startKey,
      random,
      timers,
      pokeIntervalMs: 100,
      sessionTimeoutMs: 2000,
      hostIpv4: [127, 0, 0, 1],
      sendDatagram: (bytes) => {
        log.push({ from: role, bytes });
        carry((instead) => peers[other].receive(instead ?? bytes), bytes);
      },
      deliverSerial: (bytes) => deliverSerial[role](bytes),
    });
  }
  return { target: peers.target, debugger: peers.debugger, log };
}

describe('KdnetPeer: the simulators over KDNET, in process', () => {
  it('the scripted debugger completes its session against the simulated target', async () => {
    const target = new SimTarget({ seed: 3 });
    const scripted = new ScriptedDebugger({ replyTimeoutMs: 3000 });
    const w = wire(nodeTimers, {
      target: (b) => target.feed(b),
      debugger: (b) => scripted.feed(b),
    });
    target.onSend((b) => w.target.sendSerial(b));
    scripted.onSend((b) => w.debugger.sendSerial(b));
    const keyed = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (w.debugger.keyed && w.target.keyed) {
          clearInterval(timer);
          resolve();
        }
      }, 2);
    });
    w.target.start();
    await keyed;
    const report = await scripted.run();
    target.close();
    w.target.close();
    w.debugger.close();
    expect(report.error).toBeUndefined();
    expect(report.ok).toBe(true);

    // The wire: a poke, the reply, then the hello; every datagram authenticates.
    const decoder = new KdnetDecoder(startKey, crypto);
    const outcomes = w.log.map((d) => ({ from: d.from, out: decoder.decode(d.bytes) }));
    expect(decoder.stats.unauthenticated + decoder.stats.malformed).toBe(0);
    const [poke, reply, hello] = outcomes;
    expect(poke).toMatchObject({ from: 'target', out: { kind: 'control' } });
    expect(reply).toMatchObject({
      from: 'debugger',
      out: { kind: 'control', dataKeyChanged: true },
    });
    if (poke!.out.kind === 'control') expect(parseControlBody(poke!.out.body)?.kind).toBe('poke');
    expect(hello).toMatchObject({ from: 'target', out: { kind: 'kd', framed: false } });
    if (hello!.out.kind === 'kd')
      expect(Array.from(hello!.out.bytes)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 127]);

    // KDNET ids: data ids +2 per new packet from 0 (target) and 0x80000000 (debugger); an ACK
    // carries the id it acknowledges.
    const packets: Record<KdnetRole, KdPacketEvent[]> = { target: [], debugger: [] };
    const breakins: KdnetRole[] = [];
    for (const { from, out } of outcomes) {
      if (out.kind !== 'kd') continue;
      const events: KdEvent[] = [];
      const stream = new KdStreamDecoder();
      stream.push(out.bytes, (e) => events.push(e));
      stream.end((e) => events.push(e));
      for (const e of events) {
        if (e.kind === 'packet') packets[from].push(e);
        if (e.kind === 'breakin') breakins.push(from);
      }
    }
    expect(breakins).toEqual(['debugger']);
    for (const [role, first] of [
      ['target', 0],
      ['debugger', 0x80000000],
    ] as const) {
      const data = packets[role].filter((p) => p.leader === 'data');
      expect(data.every((p) => p.checksumOk)).toBe(true);
      const fresh = data.map((p) => p.id).filter((id, i, all) => i === 0 || id !== all[i - 1]);
      expect(fresh).toEqual(fresh.map((_, i) => (first + 2 * i) >>> 0));
      const other = role === 'target' ? 'debugger' : 'target';
      const acked = packets[other]
        .filter((p) => p.type === PacketType.ACKNOWLEDGE)
        .map((p) => p.id);
      expect(new Set(acked)).toEqual(new Set(data.map((p) => p.id)));
    }
  });

  it('a datagram under another key, a foreign one, or garbage is counted and dropped', () => {
    const clock = new FakeClock();
    const got: Uint8Array[] = [];
    const w = wire(clock, { target: (b) => got.push(b), debugger: (b) => got.push(b) }, (d) => d());
    w.target.start();
    expect(w.target.keyed && w.debugger.keyed).toBe(true);
    const other = new KdnetPeer({
      role: 'debugger',
      crypto,
      startKey: parseKdnetKey('1.2.3.4'),
      random: nodeRandomBytes,
      timers: clock,
      sendDatagram: () => undefined,
      deliverSerial: () => undefined,
    });
    // A poke under the wrong key, garbage, a datagram of the target's own direction.
    w.debugger.receive(Uint8Array.of(1, 2, 3));
    w.target.receive(w.log[0]!.bytes);
    other.receive(w.log[0]!.bytes);
    expect(w.debugger.stats.malformed).toBe(1);
    expect(w.target.stats.ignored).toBe(1);
    expect(other.stats.unauthenticated).toBe(1);
    expect(other.stats.replies).toBe(0);
    expect(got).toHaveLength(0);
  });
});

describe('KdnetPeer over a bad wire (property)', () => {
  it('loss, corruption and duplication: every message arrives exactly once, in order, both ways', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        async (messages, seed, badRate) => {
          const clock = new FakeClock();
          const random = prng(seed);
          const chance = (): number => random() / 0x100000000;
          const bytes = (n: number): Uint8Array =>
            Uint8Array.from({ length: n }, () => random() & 0xff);
          const links = {} as Record<KdnetRole, KdLink>;
          const w = wire(
            clock,
            { target: (b) => links.target.feed(b), debugger: (b) => links.debugger.feed(b) },
            (deliver, datagram) => {
              const roll = chance();
              if (roll < badRate / 3) return; // lost
              if (roll < (badRate * 2) / 3) {
                // Corrupted: the HMAC must catch any flipped byte.
                const bad = datagram.slice();
                const at = Math.floor(chance() * bad.length);
                bad[at] = (bad[at]! ^ (1 + (random() % 255))) & 0xff;
                clock.set(1, () => deliver(bad));
                return;
              }
              if (roll < badRate) clock.set(2, () => deliver()); // duplicated
              clock.set(1, () => deliver());
            },
            bytes,
          );
          for (const role of ['target', 'debugger'] as const) {
            links[role] = new KdLink({
              role,
              timers: clock,
              ackTimeoutMs: 50,
              maxSends: 1000,
              queueLimit: 100,
              send: (b) => w[role].sendSerial(b),
            });
          }
          w.target.start();
          for (let i = 0; i < 10_000 && !(w.target.keyed && w.debugger.keyed); i++) clock.step();
          const sendAll = async (from: KdnetRole, message: Uint8Array): Promise<void> => {
            let done = false;
            let failed: unknown;
            links[from].send(PacketType.STATE_MANIPULATE, message).then(
              () => (done = true),
              (error: unknown) => (failed = error),
            );
            for (let i = 0; i < 100_000 && !done && failed === undefined; i++) {
              if (!clock.step()) break;
              await Promise.resolve();
            }
            expect(failed).toBeUndefined();
            expect(done).toBe(true);
          };
          // Request and reply in turn, as KD does: the debugger's, then the target's.
          for (const message of messages) {
            await sendAll('debugger', message);
            await sendAll('target', message.slice().reverse());
          }
          // What is still on the wire (a last retransmission); not the pokes that follow an
          // idle spell.
          clock.advance(500);
          for (const [role, expected] of [
            ['target', messages],
            ['debugger', messages.map((m) => m.slice().reverse())],
          ] as const) {
            const received: Uint8Array[] = [];
            while (links[role].queued > 0) received.push((await links[role].receive()).payload);
            expect(received).toEqual(expected);
          }
          for (const role of ['target', 'debugger'] as const) {
            links[role].close();
            w[role].close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('KDNET datagram channel numbers', () => {
  it('control datagrams are poke and reply only; data datagrams are numbered per side', () => {
    const clock = new FakeClock();
    const w = wire(clock, { target: () => undefined, debugger: () => undefined }, (d) => d());
    w.target.start();
    w.target.sendSerial(new Uint8Array(0));
    const channels = w.log.map((d) => {
      const parsed = parseKdnetDatagram(d.bytes);
      return typeof parsed === 'string' ? -1 : parsed.channel;
    });
    expect(channels).toEqual([KdnetChannel.CONTROL, KdnetChannel.CONTROL, KdnetChannel.DATA]);
  });
});

describe('KdnetIdMap', () => {
  const INITIAL = 0x80800000;
  const { ACKNOWLEDGE, RESET, RESEND, STATE_MANIPULATE } = PacketType;

  it('numbers new packets +2, repeats a retransmission, puts the current id on RESET', () => {
    const map = new KdnetIdMap(0);
    expect(map.outgoing('data', STATE_MANIPULATE, INITIAL | 0x800)).toBe(0);
    expect(map.outgoing('data', STATE_MANIPULATE, INITIAL | 0x800)).toBe(0);
    expect(map.incoming('control', ACKNOWLEDGE, 0)).toBe(INITIAL | 0x800);
    expect(map.outgoing('data', STATE_MANIPULATE, INITIAL + 1)).toBe(2);
    // The real capture, frames 202-204: RESET carries the id in flight; it resets nothing.
    expect(map.outgoing('control', RESET, 0)).toBe(2);
    expect(map.outgoing('data', STATE_MANIPULATE, INITIAL)).toBe(4);
    expect(map.outgoing('control', RESEND, 0)).toBe(0);
  });

  it('gives the link the id it expects, moving on only when the link acknowledges', () => {
    const map = new KdnetIdMap(0x80000000);
    expect(map.incoming('data', STATE_MANIPULATE, 0)).toBe(INITIAL);
    expect(map.incoming('data', STATE_MANIPULATE, 0)).toBe(INITIAL);
    expect(map.outgoing('control', ACKNOWLEDGE, INITIAL)).toBe(0);
    expect(map.incoming('data', STATE_MANIPULATE, 2)).toBe(INITIAL + 1);
    // No ACK for 2 (the link answered RESEND): the next new packet still gets INITIAL + 1.
    expect(map.incoming('data', STATE_MANIPULATE, 4)).toBe(INITIAL + 1);
    expect(map.outgoing('control', ACKNOWLEDGE, INITIAL + 1)).toBe(4);
    // A RESET from the peer: both links start over at INITIAL.
    expect(map.incoming('control', RESET, 0x62)).toBe(0);
    expect(map.incoming('data', STATE_MANIPULATE, 6)).toBe(INITIAL);
    // An ACK for nothing we sent passes as it came (the link counts it stray).
    expect(map.incoming('control', ACKNOWLEDGE, 0x1234)).toBe(0x1234);
  });
});
