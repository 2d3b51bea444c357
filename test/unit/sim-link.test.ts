import { describe, expect, it } from 'vitest';
import { PacketType } from '../../protocol/kd/constants';
import { encodeAck, encodeControlPacket, encodeDataPacket } from '../../protocol/kd/encoder';
import type { KdPacketEvent } from '../../protocol/kd/events';
import { KdLink, LinkError, type KdLinkOptions } from '../../protocol/kd/link';
import { FakeClock } from '../support/fake-clock';

/** The header fields of encoded bytes as a framing event (what KdStreamDecoder emits). */
function eventOf(bytes: Uint8Array, checksumOk = true): KdPacketEvent {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const leader = view.getUint32(0, true) === 0x30303030 ? 'data' : 'control';
  const byteCount = view.getUint16(6, true);
  return {
    kind: 'packet',
    offset: 0,
    leader,
    type: view.getUint16(4, true),
    byteCount,
    id: view.getUint32(8, true),
    checksum: view.getUint32(12, true),
    checksumOk,
    payload: leader === 'data' ? bytes.slice(16, 16 + byteCount) : new Uint8Array(0),
    length: bytes.length,
  };
}

interface Wire {
  type: number;
  id: number;
  leader: 'data' | 'control';
}

function setup(role: 'target' | 'debugger', extra: Partial<KdLinkOptions> = {}) {
  const clock = new FakeClock();
  const sent: Wire[] = [];
  const raw: Uint8Array[] = [];
  let resets = 0;
  const link = new KdLink({
    role,
    timers: clock,
    ackTimeoutMs: 100,
    maxSends: 3,
    send: (bytes) => {
      raw.push(bytes);
      if (bytes.length === 1) sent.push({ type: -1, id: 0, leader: 'control' });
      else {
        const e = eventOf(bytes);
        sent.push({ type: e.type, id: e.id, leader: e.leader });
      }
    },
    onReset: () => resets++,
    ...extra,
  });
  return { clock, sent, raw, link, resets: () => resets };
}

const data = (type: number, id: number, payload = Uint8Array.of(1, 2, 3)) =>
  eventOf(encodeDataPacket(type, id, payload));
const control = (type: number, id = 0) => eventOf(encodeControlPacket(type, id));
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('KdLink sending', () => {
  it('sends with the boot SYNC id, flips the id on the matching ACK, then sends the next', async () => {
    const { link, sent } = setup('target');
    let done = 0;
    void link.send(PacketType.STATE_CHANGE64, Uint8Array.of(9)).then(() => done++);
    void link.send(PacketType.STATE_MANIPULATE, Uint8Array.of(8)).then(() => done++);
    expect(sent).toEqual([{ type: PacketType.STATE_CHANGE64, id: 0x80800800, leader: 'data' }]);
    link.handle(control(PacketType.ACKNOWLEDGE, 0x80800001)); // wrong id: ignored
    expect(link.stats.strayAcks).toBe(1);
    link.handle(control(PacketType.ACKNOWLEDGE, 0x80800000));
    await settle();
    expect(done).toBe(1);
    expect(sent[1]).toEqual({ type: PacketType.STATE_MANIPULATE, id: 0x80800001, leader: 'data' });
    link.handle(control(PacketType.ACKNOWLEDGE, 0x80800001));
    await settle();
    expect(done).toBe(2);
    expect(link.currentPacketId).toBe(0x80800000);
    expect(link.pendingSends).toBe(0);
  });

  it('the debugger starts without SYNC', () => {
    const { link, sent } = setup('debugger');
    void link.send(PacketType.STATE_MANIPULATE, Uint8Array.of(1));
    expect(sent[0]!.id).toBe(0x80800000);
  });

  it('retransmits on timeout and gives up after maxSends', async () => {
    const { link, sent, clock } = setup('debugger');
    const result = link.send(PacketType.STATE_MANIPULATE, Uint8Array.of(1)).catch((e) => e);
    clock.advance(99);
    expect(sent).toHaveLength(1);
    clock.advance(1);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual(sent[0]);
    clock.advance(100);
    expect(sent).toHaveLength(3);
    clock.advance(100);
    const error = await result;
    expect(error).toBeInstanceOf(LinkError);
    expect((error as LinkError).reason).toBe('timeout');
    expect((error as LinkError).message).toMatch(/no ACK for STATE_MANIPULATE .* after 3 sends/);
    expect(link.stats.timeouts).toBe(3);
    expect(link.stats.retransmits).toBe(2);
    clock.advance(1000);
    expect(sent).toHaveLength(3);
  });

  it('sends again at once on RESEND and restarts the ACK timer', () => {
    const { link, sent, clock, raw } = setup('debugger');
    void link.send(PacketType.STATE_MANIPULATE, Uint8Array.of(1, 2));
    clock.advance(90);
    link.handle(control(PacketType.RESEND));
    expect(sent).toHaveLength(2);
    expect(raw[1]).toEqual(raw[0]);
    clock.advance(90);
    expect(sent).toHaveLength(2);
    expect(link.stats.resendsReceived).toBe(1);
  });

  it('a fresh data packet while waiting for an ACK: RESEND, and ours counts as delivered', async () => {
    const { link, sent } = setup('debugger');
    let done = false;
    void link.send(PacketType.STATE_MANIPULATE, Uint8Array.of(1)).then(() => (done = true));
    link.handle(data(PacketType.STATE_MANIPULATE, 0x80800000));
    await settle();
    expect(done).toBe(true);
    expect(sent[1]).toEqual({ type: PacketType.RESEND, id: 0, leader: 'control' });
    expect(link.currentPacketId).toBe(0x80800001);
    expect(link.queued).toBe(0);
    // The peer sends it again after our RESEND: now it is accepted and ACKed.
    link.handle(data(PacketType.STATE_MANIPULATE, 0x80800000));
    expect(sent[2]).toEqual({ type: PacketType.ACKNOWLEDGE, id: 0x80800000, leader: 'control' });
    expect(link.queued).toBe(1);
  });

  it('a duplicate data packet while waiting is ACKed and the wait goes on', () => {
    const { link, sent } = setup('debugger');
    link.handle(data(PacketType.STATE_CHANGE64, 0x80800000));
    void link.send(PacketType.STATE_MANIPULATE, Uint8Array.of(1));
    link.handle(data(PacketType.STATE_CHANGE64, 0x80800000));
    expect(sent.at(-1)).toEqual({
      type: PacketType.ACKNOWLEDGE,
      id: 0x80800000,
      leader: 'control',
    });
    expect(link.pendingSends).toBe(1);
    expect(link.stats.duplicates).toBe(1);
  });
});

describe('KdLink receiving', () => {
  it('ACKs every good data packet with its id, duplicates too, delivering each once', async () => {
    const { link, sent } = setup('target');
    link.handle(data(PacketType.STATE_MANIPULATE, 0x80800000));
    link.handle(data(PacketType.STATE_MANIPULATE, 0x80800000));
    link.handle(data(PacketType.STATE_MANIPULATE, 0x80800001, Uint8Array.of(7)));
    expect(sent.map((w) => w.id)).toEqual([0x80800000, 0x80800000, 0x80800001]);
    expect(sent.every((w) => w.type === PacketType.ACKNOWLEDGE)).toBe(true);
    expect(link.stats.duplicates).toBe(1);
    const first = await link.receive();
    const second = await link.receive();
    expect([first.id, second.id]).toEqual([0x80800000, 0x80800001]);
    expect(second.payload).toEqual(Uint8Array.of(7));
    expect(link.remotePacketId).toBe(0x80800000);
  });

  it('answers RESEND to a bad checksum, a bad trailer or length, and a wild id; skips noise', () => {
    const { link, sent } = setup('target');
    link.handle(
      eventOf(encodeDataPacket(PacketType.STATE_MANIPULATE, 0x80800000, Uint8Array.of(1)), false),
    );
    link.handle({ kind: 'garbage', offset: 0, length: 20, reason: 'bad-trailer' });
    link.handle({ kind: 'garbage', offset: 0, length: 16, reason: 'bad-length' });
    link.handle({ kind: 'garbage', offset: 0, length: 5, reason: 'noise' });
    link.handle(data(PacketType.STATE_MANIPULATE, 0x12345678));
    expect(sent.map((w) => w.type)).toEqual([
      PacketType.RESEND,
      PacketType.RESEND,
      PacketType.RESEND,
      PacketType.RESEND,
    ]);
    expect(link.stats.garbageBytes).toBe(41);
    expect(link.stats.badChecksums).toBe(1);
    expect(link.queued).toBe(0);
  });

  it('a SYNC id is always accepted; the debugger restarts its own numbering', async () => {
    const { link } = setup('debugger');
    link.handle(data(PacketType.STATE_CHANGE64, 0x80800000));
    void link.send(PacketType.STATE_MANIPULATE, Uint8Array.of(1));
    link.handle(control(PacketType.ACKNOWLEDGE, 0x80800000));
    await settle();
    expect(link.currentPacketId).toBe(0x80800001);
    // The target rebooted: its first packet carries SYNC and id 0x80800000 again.
    link.handle(data(PacketType.STATE_CHANGE64, 0x80800800));
    expect(link.queued).toBe(2);
    expect(link.remotePacketId).toBe(0x80800001);
    expect(link.currentPacketId).toBe(0x80800000);
  });

  it('keeps packets of other types queued for a later receive (out of the expected order)', async () => {
    const { link } = setup('target', { queueLimit: 2 });
    const manipulate = link.receive([PacketType.STATE_MANIPULATE]);
    link.handle(data(PacketType.DEBUG_IO, 0x80800000, Uint8Array.of(1)));
    link.handle(data(PacketType.FILE_IO, 0x80800001, Uint8Array.of(2)));
    link.handle(data(PacketType.STATE_MANIPULATE, 0x80800000, Uint8Array.of(3)));
    expect((await manipulate).payload).toEqual(Uint8Array.of(3));
    expect(link.queued).toBe(2);
    expect((await link.receive([PacketType.FILE_IO])).payload).toEqual(Uint8Array.of(2));
    expect((await link.receive([PacketType.DEBUG_IO])).payload).toEqual(Uint8Array.of(1));
    // Over the limit the oldest goes.
    link.handle(data(PacketType.DEBUG_IO, 0x80800001, Uint8Array.of(4)));
    link.handle(data(PacketType.DEBUG_IO, 0x80800000, Uint8Array.of(5)));
    link.handle(data(PacketType.DEBUG_IO, 0x80800001, Uint8Array.of(6)));
    expect(link.stats.queueDropped).toBe(1);
    expect((await link.receive()).payload).toEqual(Uint8Array.of(5));
  });

  it('receive with a timeout rejects in time', async () => {
    const { link, clock } = setup('debugger');
    const result = link.receive([PacketType.STATE_CHANGE64], 500).then(
      () => new LinkError('closed', 'resolved'),
      (e: LinkError) => e,
    );
    clock.advance(499);
    link.handle(data(PacketType.DEBUG_IO, 0x80800000));
    clock.advance(1);
    const error = await result;
    expect(error).toBeInstanceOf(LinkError);
    expect(error.message).toBe('no STATE_CHANGE64 packet within 500 ms');
  });

  it('reports break-ins', () => {
    let breakins = 0;
    const { link } = setup('target', { onBreakin: () => breakins++ });
    link.handle({ kind: 'breakin', offset: 0, length: 1 });
    expect(breakins).toBe(1);
    expect(link.stats.breakins).toBe(1);
  });
});

describe('KdLink reset', () => {
  it('the target answers RESET with RESET, drops what it was sending and starts over', async () => {
    const { link, sent, resets } = setup('target');
    link.handle(data(PacketType.STATE_MANIPULATE, 0x80800000));
    const pending = link.send(PacketType.STATE_CHANGE64, Uint8Array.of(1)).catch((e) => e);
    link.handle(control(PacketType.RESET));
    expect(sent.at(-1)).toEqual({ type: PacketType.RESET, id: 0, leader: 'control' });
    expect(((await pending) as LinkError).reason).toBe('reset');
    expect(resets()).toBe(1);
    expect(link.currentPacketId).toBe(0x80800000);
    expect(link.remotePacketId).toBe(0x80800000);
    expect(link.queued).toBe(0);
    void link.send(PacketType.STATE_CHANGE64, Uint8Array.of(1));
    expect(sent.at(-1)!.id).toBe(0x80800000);
  });

  it("a RESET fails the target's pending receive() but not the debugger's", async () => {
    const target = setup('target');
    const waiting = target.link.receive().catch((e: LinkError) => e.reason);
    target.link.handle(control(PacketType.RESET));
    expect(await waiting).toBe('reset');
    const debuggerSide = setup('debugger');
    let got: number | undefined;
    void debuggerSide.link.receive().then((p) => (got = p.type));
    debuggerSide.link.reset();
    debuggerSide.link.handle(control(PacketType.RESET));
    debuggerSide.link.handle(data(PacketType.STATE_CHANGE64, 0x80800000));
    await settle();
    expect(got).toBe(PacketType.STATE_CHANGE64);
  });

  it('feed() decodes bytes in any chunking and reports a lone break-in byte at once', () => {
    let breakins = 0;
    const { link, sent } = setup('target', { onBreakin: () => breakins++ });
    const packet = encodeDataPacket(PacketType.STATE_MANIPULATE, 0x80800000, Uint8Array.of(1, 2));
    for (const byte of packet) link.feed(Uint8Array.of(byte));
    expect(sent).toEqual([{ type: PacketType.ACKNOWLEDGE, id: 0x80800000, leader: 'control' }]);
    link.feed(Uint8Array.of(0x62));
    expect(breakins).toBe(1);
  });

  it('the debugger resets on its own and does not answer a RESET', () => {
    const { link, sent, resets } = setup('debugger');
    link.reset();
    expect(sent).toEqual([{ type: PacketType.RESET, id: 0, leader: 'control' }]);
    link.handle(control(PacketType.RESET));
    expect(sent).toHaveLength(1);
    expect(resets()).toBe(1);
  });

  it('close rejects everything pending and silences the link', async () => {
    const { link, sent, clock } = setup('debugger');
    const a = link.send(PacketType.STATE_MANIPULATE, Uint8Array.of(1)).catch((e) => e);
    const b = link.receive().catch((e) => e);
    link.close();
    expect(((await a) as LinkError).reason).toBe('closed');
    expect(((await b) as LinkError).reason).toBe('closed');
    clock.advance(10_000);
    link.handle(data(PacketType.STATE_MANIPULATE, 0x80800000));
    expect(sent).toHaveLength(1);
  });

  it('ACK of a RESEND-triggered packet travels as usual', async () => {
    const { link } = setup('target');
    const done = link.send(PacketType.DEBUG_IO, Uint8Array.of(1));
    link.handle(control(PacketType.RESEND));
    link.handle(eventOf(encodeAck(0x80800000)));
    await expect(done).resolves.toBeUndefined();
  });
});
