import { afterEach, describe, expect, it } from 'vitest';
import type { RecordsEvent } from '../../electron/api/contract';
import { BatchStore } from '../../electron/engine/workbench/batch-store';
import { BatchStreamer } from '../../electron/engine/workbench/batch-streamer';
import { encodeRecords } from '../../electron/engine/workbench/workbench';
import { ByteLog } from '../../electron/engine/session/byte-log';
import { PacketIndex } from '../../electron/engine/session/packet-index';
import { batchFromBytes, decodeRecord } from '../../protocol/records/columns';
import type { PacketRecord } from '../../protocol/session/record';
import { ackRecord } from '../support/contract-mock';
import { untilWithin } from '../support/until';

const until = untilWithin(5_000, 1);

const rec = (no: number): PacketRecord =>
  ackRecord(no, { dir: no % 2 ? 'debugger->target' : 'target->debugger' });

const disposers: (() => void)[] = [];
afterEach(() => {
  for (const d of disposers.splice(0)) d();
});

function setup(options: { maxRows?: number; capacityRows?: number } = {}) {
  const store = new BatchStore({ encode: encodeRecords, intervalMs: 1, ...options });
  const sent: RecordsEvent[] = [];
  const streamer = new BatchStreamer(store, (e) => sent.push(e));
  disposers.push(() => {
    streamer.dispose();
    store.dispose();
  });
  return { store, streamer, sent };
}

describe('batched, windowed streaming', () => {
  it('coalesces rows into batches, never one message per packet', async () => {
    const { store, streamer, sent } = setup({ maxRows: 100 });
    streamer.ready(8);
    for (let no = 1; no <= 250; no++) store.add(rec(no));
    expect(sent.map((e) => e.count)).toEqual([100, 100]);
    // The rest goes out after the interval, without more rows.
    await until(() => sent.length > 2, 'the third batch');
    expect(sent.map((e) => e.count)).toEqual([100, 100, 50]);
    const batch = batchFromBytes(sent[2]!.batch);
    expect(decodeRecord(batch, 0)).toEqual(rec(201));
  });

  it('keeps at most `window` batches unacknowledged and resumes on ack', () => {
    const { store, streamer, sent } = setup({ maxRows: 10 });
    streamer.ready(2);
    for (let no = 1; no <= 100; no++) store.add(rec(no));
    expect(sent.length).toBe(2);
    streamer.ack(999); // unknown seq: ignored
    expect(sent.length).toBe(2);
    streamer.ack(sent[0]!.seq);
    expect(sent.length).toBe(3);
    expect(sent[2]!.firstNo).toBe(21);
  });

  it('sends nothing before ready', () => {
    const { store, streamer, sent } = setup({ maxRows: 10 });
    for (let no = 1; no <= 30; no++) store.add(rec(no));
    expect(sent).toEqual([]);
    streamer.ready(1);
    expect(sent.map((e) => e.firstNo)).toEqual([1]);
  });

  it('a lagging client skips to what the engine still holds and is told how much it missed', () => {
    const { store, streamer, sent } = setup({ maxRows: 10, capacityRows: 30 });
    streamer.ready(1);
    for (let no = 1; no <= 100; no++) store.add(rec(no));
    expect(sent.map((e) => e.firstNo)).toEqual([1]);
    streamer.ack(sent[0]!.seq);
    // Rows 11..70 were dropped from memory meanwhile (capacity 30 rows).
    expect(sent[1]).toMatchObject({ firstNo: 71, skipped: 60 });
    streamer.ack(sent[1]!.seq);
    expect(sent[2]).toMatchObject({ firstNo: 81, skipped: 0 });
  });

  it('view.clear skips what was sealed so far', () => {
    const { store, streamer, sent } = setup({ maxRows: 10 });
    for (let no = 1; no <= 30; no++) store.add(rec(no));
    streamer.skipToHead();
    streamer.ready(4);
    expect(sent).toEqual([]);
    for (let no = 31; no <= 40; no++) store.add(rec(no));
    expect(sent.map((e) => e.firstNo)).toEqual([31]);
  });
});

describe('rows that change after they were added', () => {
  it('replace a pending row, or travel with the next batch once sealed', async () => {
    const { store, streamer, sent } = setup({ maxRows: 3 });
    streamer.ready(8);
    store.add(rec(1));
    store.add({ ...rec(2) });
    store.update({ ...rec(2), pair: 5, flags: 256 });
    store.add(rec(3));
    const first = batchFromBytes(sent[0]!.batch);
    expect(decodeRecord(first, 1)).toMatchObject({ no: 2, pair: 5, flags: 256 });
    expect(sent[0]!.updates).toBeUndefined();
    store.update({ ...rec(1), ack: 2 });
    // Nothing new to send: the update alone goes out after the interval, as an empty batch.
    await until(() => sent.length > 1, 'the update');
    expect(sent.length).toBe(2);
    expect(sent[1]).toMatchObject({ count: 0, skipped: 0 });
    expect(decodeRecord(batchFromBytes(sent[1]!.updates!), 0)).toMatchObject({ no: 1, ack: 2 });
    store.add(rec(4));
    store.add(rec(5));
    store.add(rec(6));
    expect(sent[2]).toMatchObject({ firstNo: 4, count: 3, skipped: 0 });
  });
});

describe('packet bytes kept for the details view', () => {
  it('reads back any range across chunks, and null once evicted', () => {
    const log = new ByteLog(2 << 20);
    const chunk = new Uint8Array(700_000).map((_, i) => i & 0xff);
    for (let i = 0; i < 3; i++) log.append(chunk);
    // 2.1 MB in 1 MiB chunks: three chunks exceed the 2 MiB bound, so the first went.
    expect(log.read(0, 10)).toBeNull();
    expect(log.start).toBe(1 << 20);
    const at = (2 << 20) - 500; // spans the second and third chunks
    const back = log.read(at, 1000)!;
    expect(back.length).toBe(1000);
    expect(back[0]).toBe(chunk[at % 700_000]);
    expect(back[999]).toBe(chunk[(at + 999) % 700_000]);
    expect(log.read(log.end - 5, 10)).toBeNull();
    expect(log.read(log.end - 5, 5)).toEqual(chunk.subarray(chunk.length - 5));
  });

  it('indexes packets by no. and forgets the oldest beyond capacity', () => {
    const index = new PacketIndex(65536);
    index.set(1, 'target->debugger', 123, 16);
    expect(index.get(1)).toEqual({ dir: 'target->debugger', offset: 123, length: 16 });
    expect(index.get(2)).toBeNull();
    expect(index.get(0)).toBeNull();
    expect(index.get(1.5)).toBeNull();
    for (let no = 2; no <= 65536 * 3; no++) index.set(no, 'debugger->target', no, 1);
    expect(index.get(1)).toBeNull();
    expect(index.get(65536 * 3)).toEqual({ dir: 'debugger->target', offset: 65536 * 3, length: 1 });
  });
});
