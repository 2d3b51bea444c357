// The framing decoder across a sender's reconnect (restart) and a pause longer than kdcom's
// receive timeout (arrive), and 0x62 in the target's stream (breakins: false).
import { describe, expect, it } from 'vitest';
import { KD_RECEIVE_TIMEOUT_MS, PacketType } from '../../protocol/kd/constants';
import { KdStreamDecoder } from '../../protocol/kd/decoder';
import { concatBytes, encodeDataPacket, encodeReset } from '../../protocol/kd/encoder';
import type { KdEvent } from '../../protocol/kd/events';
import { buildPrintString } from '../../protocol/kd/payloads';
import { SessionDecoder } from '../../protocol/session/pipeline';
import type { PacketRecord } from '../../protocol/session/record';

const print = (id: number, text: string): Uint8Array =>
  encodeDataPacket(PacketType.DEBUG_IO, id, buildPrintString(text));

/** Events without payloads (kind, offset, length, reason or type). */
const shape = (events: readonly KdEvent[]): string[] =>
  events.map((e) =>
    e.kind === 'packet'
      ? `packet ${e.offset}+${e.length} type ${e.type}`
      : e.kind === 'garbage'
        ? `garbage ${e.offset}+${e.length} ${e.reason}`
        : `breakin ${e.offset}+${e.length}`,
  );

describe('KdStreamDecoder.restart (the sender reconnected)', () => {
  it('ends a half-sent packet as truncated and decodes the new connection from scratch, offsets going on', () => {
    const whole = print(0x80800000, 'first whole\n');
    const cut = print(0x80800001, 'second cut in half by the vanishing target\n').subarray(0, 30);
    const after1 = print(0x80800000, 'after reconnect one\n');
    const after2 = print(0x80800001, 'after reconnect two\n');
    const events: KdEvent[] = [];
    const emit = (e: KdEvent): void => void events.push(e);
    const decoder = new KdStreamDecoder();
    decoder.push(concatBytes([whole, cut]), emit);
    decoder.restart(emit);
    expect(decoder.idle).toBe(true);
    decoder.push(concatBytes([after1, after2]), emit);
    decoder.end(emit);
    const at = whole.length + cut.length;
    expect(shape(events)).toEqual([
      `packet 0+${whole.length} type 3`,
      `garbage ${whole.length}+30 truncated`,
      `packet ${at}+${after1.length} type 3`,
      `packet ${at + after1.length}+${after2.length} type 3`,
    ]);
    expect(decoder.position).toBe(at + after1.length + after2.length);
  });

  it('settles a pending leader run: four or more bytes a truncated leader, fewer noise', () => {
    const events: KdEvent[] = [];
    const emit = (e: KdEvent): void => void events.push(e);
    const decoder = new KdStreamDecoder();
    decoder.push(Uint8Array.of(0x01, 0x69, 0x69), emit);
    decoder.restart(emit);
    decoder.push(Uint8Array.of(0x30, 0x30, 0x30, 0x30, 0x30), emit);
    decoder.restart(emit);
    decoder.push(encodeReset(), emit);
    expect(shape(events)).toEqual([
      'garbage 0+3 noise',
      'garbage 3+1 noise',
      'garbage 4+4 truncated',
      'packet 8+16 type 6',
    ]);
  });

  it('without restart, the cut packet swallows the new connection (what it fixes)', () => {
    const events: KdEvent[] = [];
    const decoder = new KdStreamDecoder();
    const cut = print(0x80800001, 'second cut in half by the vanishing target\n').subarray(0, 30);
    decoder.push(concatBytes([cut, print(0x80800000, 'after reconnect one\n')]), (e) => {
      events.push(e);
    });
    expect(events[0]).toMatchObject({ kind: 'garbage', offset: 0, reason: 'bad-trailer' });
  });
});

describe('KdStreamDecoder.arrive (a pause longer than the receive timeout)', () => {
  const reset = encodeReset();

  it('abandons a packet whose next bytes come after the timeout, and scans them afresh', () => {
    const events: KdEvent[] = [];
    const emit = (e: KdEvent): void => void events.push(e);
    const decoder = new KdStreamDecoder();
    decoder.arrive(1000, emit);
    decoder.push(reset.subarray(0, 10), emit);
    decoder.arrive(1000 + KD_RECEIVE_TIMEOUT_MS + 1, emit);
    decoder.push(reset, emit);
    expect(shape(events)).toEqual(['garbage 0+10 truncated', 'packet 10+16 type 6']);
  });

  it('keeps a packet whose bytes pause for the timeout or less', () => {
    const events: KdEvent[] = [];
    const emit = (e: KdEvent): void => void events.push(e);
    const decoder = new KdStreamDecoder();
    decoder.arrive(0, emit);
    decoder.push(reset.subarray(0, 10), emit);
    decoder.arrive(KD_RECEIVE_TIMEOUT_MS, emit);
    decoder.push(reset.subarray(10), emit);
    expect(shape(events)).toEqual(['packet 0+16 type 6']);
  });

  it('abandons a leader run too (three bytes become noise), and leaves noise and untimed bytes alone', () => {
    const events: KdEvent[] = [];
    const emit = (e: KdEvent): void => void events.push(e);
    const decoder = new KdStreamDecoder({ receiveTimeoutMs: 50 });
    decoder.arrive(0, emit);
    decoder.push(Uint8Array.of(0x01, 0x02), emit);
    decoder.arrive(100, emit); // noise pending: nothing to abandon
    decoder.push(Uint8Array.of(0x03, 0x69, 0x69, 0x69), emit);
    decoder.arrive(200, emit);
    decoder.push(reset, emit);
    // Untimed pushes (no arrive) never time out.
    decoder.push(reset.subarray(0, 5), emit);
    decoder.push(reset.subarray(5), emit);
    expect(shape(events)).toEqual([
      'garbage 0+6 noise',
      'packet 6+16 type 6',
      'packet 22+16 type 6',
    ]);
  });

  it('is carried by snapshot and resume', () => {
    const events: KdEvent[] = [];
    const emit = (e: KdEvent): void => void events.push(e);
    const first = new KdStreamDecoder();
    first.arrive(5000, emit);
    first.push(reset.subarray(0, 7), emit);
    const second = new KdStreamDecoder({ resume: first.snapshot() });
    second.arrive(5000 + KD_RECEIVE_TIMEOUT_MS + 1, emit);
    second.push(reset, emit);
    expect(shape(events)).toEqual(['garbage 0+7 truncated', 'packet 7+16 type 6']);
  });
});

describe('0x62 in the target stream', () => {
  it('is noise when break-ins are off, a break-in otherwise', () => {
    const stream = concatBytes([Uint8Array.of(0x62, 0x01, 0x62, 0x62), encodeReset()]);
    const off: KdEvent[] = [];
    new KdStreamDecoder({ breakins: false }).push(stream, (e) => void off.push(e));
    expect(shape(off)).toEqual(['garbage 0+4 noise', 'packet 4+16 type 6']);
    const on: KdEvent[] = [];
    new KdStreamDecoder().push(stream, (e) => void on.push(e));
    expect(shape(on)).toEqual([
      'breakin 0+1',
      'garbage 1+1 noise',
      'breakin 2+2',
      'packet 4+16 type 6',
    ]);
  });

  it('the session records a target 0x62 as garbage, a debugger 0x62 as a break-in', () => {
    const records: PacketRecord[] = [];
    const session = new SessionDecoder({ onRecord: (r) => void records.push({ ...r }) });
    session.push('target->debugger', Uint8Array.of(0x62), 1);
    session.push('debugger->target', Uint8Array.of(0x62), 2);
    session.end(3);
    expect(records.map((r) => `${r.dir} ${r.kind} ${r.garbageReason ?? ''}`)).toEqual([
      'target->debugger garbage noise',
      'debugger->target breakin ',
    ]);
    expect(session.summary().breakins).toBe(1);
  });
});

describe('SessionDecoder across a restart and a pause', () => {
  it('reports every packet after the reconnect, and stamps the abandoned one with its own time', () => {
    const records: PacketRecord[] = [];
    const session = new SessionDecoder({ onRecord: (r) => void records.push({ ...r }) });
    const cut = print(0x80800001, 'cut\n').subarray(0, 20);
    session.push('debugger->target', concatBytes([encodeReset(), cut]), 100);
    session.restart('debugger->target');
    session.push('debugger->target', concatBytes([encodeReset(), encodeReset()]), 150);
    session.push('target->debugger', cut, 200);
    session.push('target->debugger', print(0x80800000, 'after\n'), 200 + KD_RECEIVE_TIMEOUT_MS + 1);
    session.end();
    expect(
      records.map((r) => `${r.dir} ${r.kind} ${r.offset} ${r.garbageReason ?? ''} ${r.time}`),
    ).toEqual([
      'debugger->target packet 0  100',
      'debugger->target garbage 16 truncated 100',
      'debugger->target packet 36  150',
      'debugger->target packet 52  150',
      'target->debugger garbage 0 truncated 200',
      `target->debugger packet 20  ${200 + KD_RECEIVE_TIMEOUT_MS + 1}`,
    ]);
  });
});
