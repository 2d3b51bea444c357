// What the bridge's KDNET decoder says: a wrong key and a missed exchange once each, and,
// after a session decoded, datagrams failing authentication (a changed key, forgeries) when
// they start and then at most every few seconds while their count grows.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeAck } from '../../protocol/kd/encoder';
import { KdnetChannel } from '../../protocol/kdnet/datagram';
import { encodeKdnetDatagram } from '../../protocol/kdnet/encoder';
import { deriveDataKey, parseKdnetKey } from '../../protocol/kdnet/key';
import type { RecordSink } from '../../electron/engine/bridge/types';
import { nodeKdnetCrypto as crypto } from '../../electron/capture/kdnet-node-crypto';
import {
  kdnetBridgeDecoder,
  type KdnetBridgeDecoder,
} from '../../electron/engine/kdnet/bridge-decoder';

const KEY = parseKdnetKey('1.2.3.4');
const OTHER = parseKdnetKey('5.6.7.8');
const reply = Uint8Array.from({ length: 322 }, (_, i) => i & 0xff);
const SINK: RecordSink = { record: () => undefined, update: () => undefined };
const T0 = new Date(2026, 0, 2, 12, 3, 4).getTime();
const SINCE = /since 12:03:04 \(the key changed\? a restarted target with another key\?\)$/;

function control(key: Uint8Array, fromDebugger: boolean, body: Uint8Array): Uint8Array {
  return encodeKdnetDatagram(crypto, {
    key,
    startKey: key,
    channel: KdnetChannel.CONTROL,
    seq: 1,
    fromDebugger,
    body,
    ...(fromDebugger ? { padding: 6 } : {}),
  });
}

function data(startKey: Uint8Array, seq: number, key = deriveDataKey(crypto, startKey, reply)) {
  return encodeKdnetDatagram(crypto, {
    key,
    startKey,
    channel: KdnetChannel.DATA,
    seq,
    fromDebugger: false,
    body: encodeAck(0),
  });
}

/** A decoder with its lines, a settable clock, and a session already decoded under KEY. */
function decoded(options: { repeatMs?: number; quietMs?: number } = {}) {
  const lines: { at: number; line: string }[] = [];
  let now = T0;
  const decoder = kdnetBridgeDecoder(KEY, {
    ...options,
    now: () => now,
    report: (line) => lines.push({ at: now, line }),
  });
  const push = (bytes: Uint8Array, at: number): void => {
    now = Math.max(now, at);
    decoder.push('target->debugger', bytes, at, SINK);
  };
  // A poke, the debugger's reply (the data key), and a data datagram under it.
  push(control(KEY, false, new Uint8Array(34)), T0 - 1000);
  push(control(KEY, true, reply), T0 - 900);
  push(data(KEY, 1), T0 - 800);
  expect(decoder.kdnet).toMatchObject({ authenticated: 3, dataKeyChanges: 1, kdPackets: 1 });
  return {
    decoder,
    lines,
    push,
    flushAt(at: number) {
      now = at;
      decoder.flush(SINK);
    },
    endAt(at: number) {
      now = at;
      decoder.end!(SINK);
    },
  };
}

const said = (lines: readonly { line: string }[]) => lines.map((l) => l.line);

describe('kdnetBridgeDecoder: failures after a session decoded', () => {
  it('a key changed mid-session: one line when they start, then the count every few seconds', () => {
    const t = decoded({ repeatMs: 5000 });
    // The target restarted under another key: its poke, the reply, its data.
    t.push(control(OTHER, false, new Uint8Array(34)), T0);
    t.push(control(OTHER, true, reply), T0 + 10);
    expect(t.lines).toEqual([]);
    t.push(data(OTHER, 1), T0 + 20);
    expect(said(t.lines)).toEqual([expect.stringMatching(/^KDNET: 3 datagrams failed/)]);
    expect(t.lines[0]!.line).toMatch(SINCE);
    // More within the 5 s: counted, not said.
    for (let i = 0; i < 10; i++) t.push(data(OTHER, 2 + i), T0 + 1000 + i);
    t.flushAt(T0 + 4000);
    expect(t.lines).toHaveLength(1);
    // The next flush after 5 s says the count; one with nothing new says nothing.
    t.flushAt(T0 + 5020);
    expect(said(t.lines).slice(1)).toEqual([
      expect.stringMatching(/^KDNET: 13 datagrams failed authentication since 12:03:04 \(/),
    ]);
    t.flushAt(T0 + 9000);
    t.flushAt(T0 + 10_100);
    expect(t.lines).toHaveLength(2);
    expect(t.decoder.rejected).toBe(13);
    // Nothing said ever called the key wrong: a session had decoded.
    expect(said(t.lines).join('\n')).not.toMatch(/wrong key\?/);
  });

  it('forged datagrams between good ones are said; a quiet spell ends a run, the next starts anew', () => {
    const t = decoded({ repeatMs: 5000, quietMs: 10_000 });
    const forged = (seq: number): Uint8Array => data(KEY, seq, OTHER);
    let seq = 10;
    for (let i = 0; i < 20; i++) {
      t.push(forged(seq++), T0 + i * 100);
      t.push(data(KEY, seq++), T0 + i * 100 + 50);
    }
    expect(t.decoder.kdnet.kdPackets).toBe(21);
    t.flushAt(T0 + 6000);
    expect(said(t.lines)).toEqual([
      expect.stringMatching(/^KDNET: 3 datagrams failed authentication since 12:03:04 /),
      expect.stringMatching(/^KDNET: 20 datagrams failed authentication since 12:03:04 /),
    ]);
    // Long after, two more: too few to say (a new run counts from its own start).
    t.flushAt(T0 + 60_000);
    t.push(forged(seq++), T0 + 61_000);
    t.push(forged(seq++), T0 + 61_001);
    t.flushAt(T0 + 70_000);
    expect(t.lines).toHaveLength(2);
    t.push(forged(seq++), T0 + 120_000);
    t.push(forged(seq++), T0 + 120_001);
    t.push(forged(seq), T0 + 120_002);
    expect(t.lines).toHaveLength(3);
    expect(t.lines[2]!.line).toMatch(/^KDNET: 3 datagrams failed authentication since 12:05:04 /);
    expect(t.decoder.rejected).toBe(25);
  });

  it('the end of the session says what grew since the last line', () => {
    const t = decoded({ repeatMs: 5000 });
    for (let i = 0; i < 7; i++) t.push(control(OTHER, false, new Uint8Array(34)), T0 + i);
    expect(said(t.lines)).toEqual([expect.stringMatching(/^KDNET: 3 datagrams/)]);
    t.endAt(T0 + 100);
    expect(said(t.lines)).toEqual([
      expect.stringMatching(/^KDNET: 3 datagrams/),
      expect.stringMatching(/^KDNET: 7 datagrams failed authentication since 12:03:04 /),
    ]);
  });
});

describe('kdnetBridgeDecoder: before a session decoded (unchanged)', () => {
  it('a wrong key from the start: "wrong key?" once, nothing else', () => {
    const lines: string[] = [];
    const decoder = kdnetBridgeDecoder(OTHER, { report: (l) => lines.push(l) });
    decoder.push('target->debugger', control(KEY, false, new Uint8Array(34)), T0, SINK);
    decoder.push('debugger->target', control(KEY, true, reply), T0 + 1, SINK);
    for (let seq = 1; seq <= 50; seq++)
      decoder.push('target->debugger', data(KEY, seq), T0 + 10 * seq, SINK);
    decoder.flush(SINK);
    decoder.end!(SINK);
    expect(lines).toEqual(['3 KDNET datagrams failed authentication: wrong key?']);
    expect(decoder.rejected).toBe(52);
  });

  it('data under a key no exchange showed: "no exchange" once, not a failure run', () => {
    const lines: string[] = [];
    const decoder: KdnetBridgeDecoder = kdnetBridgeDecoder(KEY, {
      report: (l) => lines.push(l),
      now: () => T0 + 60_000,
    });
    // A bridge started mid-session: a poke authenticates, the exchange went by before.
    decoder.push('target->debugger', control(KEY, false, new Uint8Array(34)), T0, SINK);
    for (let seq = 1; seq <= 20; seq++)
      decoder.push('target->debugger', data(KEY, seq), T0 + seq, SINK);
    decoder.flush(SINK);
    decoder.end!(SINK);
    expect(lines).toEqual([expect.stringMatching(/^KDNET data datagrams under a key this bridge/)]);
    // The exchange of the next poke opens them: nothing was lost.
    decoder.push('debugger->target', control(KEY, true, reply), T0 + 100, SINK);
    expect(decoder.kdnet.kdPackets).toBe(20);
    expect(decoder.rejected).toBe(0);
  });
});

describe('kdnetBridgeDecoder: property', () => {
  it('any mix of good and failing datagrams: lines at most every repeatMs, the last says them all', () => {
    const good = Array.from({ length: 8 }, (_, i) => data(KEY, 100 + i));
    const bad = [control(OTHER, false, new Uint8Array(34)), data(KEY, 7, OTHER)];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 })), { maxLength: 60 }),
        (steps) => {
          const t = decoded({ repeatMs: 5000, quietMs: 1_000_000 });
          let at = T0;
          let failed = 0;
          for (const [fails, gap] of steps) {
            at += gap;
            if (fails) failed++;
            t.push(fails ? bad[failed % 2]! : good[at % good.length]!, at);
            if (gap > 2000) t.flushAt(at);
          }
          t.endAt(at + 1);
          if (failed < 3) {
            expect(t.lines).toEqual([]);
            return;
          }
          const counts = t.lines.map((l) => Number(/^KDNET: (\d+) datagrams/.exec(l.line)?.[1]));
          expect(counts.at(-1)).toBe(failed);
          expect(counts[0]).toBe(3);
          // Growing, and (but for the end's own line) at least repeatMs apart.
          for (let i = 1; i < counts.length; i++) {
            expect(counts[i]).toBeGreaterThan(counts[i - 1]!);
            if (i < counts.length - 1)
              expect(t.lines[i]!.at - t.lines[i - 1]!.at).toBeGreaterThanOrEqual(5000);
          }
          expect(t.decoder.rejected).toBe(failed);
        },
      ),
      { numRuns: 150 },
    );
  });
});
