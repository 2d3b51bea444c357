import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createServer, connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HOST_FIRST_SEQ,
  PIPE_HEADER_SIZE,
  VM_FIRST_SEQ,
  decodePipeMessage,
  encodePipeData,
  encodePipeFeedback,
  type PipeMessage,
} from '../../protocol/vmbus/pipe-message';
import { PipeChannel } from '../../electron/engine/vmbus/pipe-channel';
import { MessageReader, type ReaderItem } from '../../electron/engine/vmbus/message-reader';
import {
  frameMessage,
  lengthPrefixedTransport,
  type PipeTransport,
  type PipeTransportHandlers,
} from '../../electron/engine/vmbus/pipe-transport';
import { FakeClock } from '../support/fake-clock';
import { untilWithin } from '../support/until';

/** A transport that records what the channel writes and lets the test play the VM. */
class RecordingTransport implements PipeTransport {
  readonly description = 'test pipe';
  written: Uint8Array[] = [];
  handlers!: PipeTransportHandlers;
  paused = false;
  closed = false;
  accept = true;
  constructor(readonly boundaries: 'message' | 'stream' = 'message') {}
  start(h: PipeTransportHandlers): void {
    this.handlers = h;
  }
  write(message: Uint8Array): boolean {
    this.written.push(message.slice());
    return this.accept;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  close(): void {
    this.closed = true;
  }
  decoded(): PipeMessage[] {
    return this.written.map((m) => {
      const r = decodePipeMessage(m);
      if (!r.ok) throw new Error(r.error);
      return r.message;
    });
  }
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

function writeAll(channel: PipeChannel, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) =>
    channel.write(Buffer.from(chunk), (error) => (error ? reject(error) : resolve())),
  );
}

function collect(channel: PipeChannel): Buffer[] {
  const got: Buffer[] = [];
  channel.on('data', (chunk: Buffer) => got.push(chunk));
  return got;
}

describe('PipeChannel: outgoing KD bytes', () => {
  it('sends each write as a data message, host sequence numbers from 0x5687, valid checksums', async () => {
    const transport = new RecordingTransport();
    const channel = new PipeChannel(transport);
    await writeAll(channel, bytes(0x69, 0x69, 0x69, 0x69, 6, 0));
    await writeAll(channel, bytes(0x62));
    const sent = transport.decoded();
    expect(sent.map((m) => m.seq)).toEqual([HOST_FIRST_SEQ, HOST_FIRST_SEQ + 1]);
    expect(sent.every((m) => m.kind === 'data' && m.flag === 1 && m.checksumOk)).toBe(true);
    expect([...sent[0]!.payload]).toEqual([0x69, 0x69, 0x69, 0x69, 6, 0]);
    // The break-in byte goes at once, as its own message.
    expect([...sent[1]!.payload]).toEqual([0x62]);
    expect(transport.written[1]!.length).toBe(PIPE_HEADER_SIZE + 1);
    channel.destroy();
  });

  it('splits a write longer than maxPayload', async () => {
    const transport = new RecordingTransport();
    const channel = new PipeChannel(transport, { maxPayload: 100 });
    const data = Uint8Array.from({ length: 250 }, (_, i) => i);
    await writeAll(channel, data);
    const sent = transport.decoded();
    expect(sent.map((m) => m.payload.length)).toEqual([100, 100, 50]);
    expect(Buffer.concat(sent.map((m) => m.payload))).toEqual(Buffer.from(data));
    expect(channel.stats.messagesOut).toBe(3);
    channel.destroy();
  });

  it('the VM role counts from 2', async () => {
    const transport = new RecordingTransport();
    const channel = new PipeChannel(transport, { role: 'vm' });
    await writeAll(channel, bytes(1));
    expect(transport.decoded()[0]!.seq).toBe(VM_FIRST_SEQ);
    channel.destroy();
  });

  it('waits for the transport to drain before taking more', async () => {
    const transport = new RecordingTransport();
    transport.accept = false;
    const channel = new PipeChannel(transport);
    let done = false;
    channel.write(Buffer.from([1, 2]), () => (done = true));
    await turn();
    expect(done).toBe(false);
    transport.handlers.drain();
    await turn();
    expect(done).toBe(true);
    channel.destroy();
  });
});

describe('PipeChannel: incoming messages', () => {
  it('delivers payloads of data messages, several per read', async () => {
    const transport = new RecordingTransport();
    const channel = new PipeChannel(transport);
    const got = collect(channel);
    const a = encodePipeData(2, bytes(0x30, 0x30, 0x30, 0x30));
    const b = encodePipeData(3, bytes(0xaa));
    const both = new Uint8Array(a.length + b.length);
    both.set(a);
    both.set(b, a.length);
    transport.handlers.data(both);
    await turn();
    expect(Buffer.concat(got)).toEqual(Buffer.from([0x30, 0x30, 0x30, 0x30, 0xaa]));
    expect(channel.stats.messagesIn).toBe(2);
    expect(transport.written).toEqual([]); // no feedback unless asked
    channel.destroy();
  });

  it('counts and reports bad messages in one line each, never throws, delivers the good ones', async () => {
    const transport = new RecordingTransport();
    const lines: string[] = [];
    const clock = new FakeClock();
    const channel = new PipeChannel(transport, { report: (l) => lines.push(l), clock });
    const got = collect(channel);
    const corrupt = encodePipeData(5, bytes(1, 2, 3));
    corrupt[PIPE_HEADER_SIZE] = 9; // payload changed, checksum not
    const badSize = encodePipeData(6, bytes(1, 2, 3));
    badSize[8] = 200; // msgsize beyond the read
    transport.handlers.data(corrupt);
    transport.handlers.data(bytes(1, 2, 3, 4, 5, 6, 7, 8));
    clock.advance(2000);
    transport.handlers.data(badSize);
    transport.handlers.data(new Uint8Array(30));
    transport.handlers.data(encodePipeData(7, bytes(0x42)));
    await turn();
    expect(Buffer.concat(got)).toEqual(Buffer.from([0x42]));
    expect(channel.stats.badChecksums).toBe(1);
    expect(channel.stats.badMessages).toBe(3);
    expect(lines.every((l) => !l.includes('\n') && l.startsWith('test pipe: '))).toBe(true);
    expect(lines.some((l) => /message 0x5 has a bad checksum/.test(l))).toBe(true);
    expect(lines.some((l) => /msgsize 200 overruns/.test(l))).toBe(true);
    // Within one second a second bad message of the same kind is counted, not printed.
    expect(lines.filter((l) => l.includes('skipped')).length).toBe(2);
    channel.destroy();
  });

  it('reassembles messages a byte-mode handle cut anywhere, skipping garbage (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ minLength: 0, maxLength: 40 }).map((p) => ({ good: true, p })),
            fc.uint8Array({ minLength: 1, maxLength: 10 }).map((p) => ({ good: false, p })),
          ),
          { maxLength: 12 },
        ),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 8 }),
        (parts, cuts) => {
          // Garbage made of bytes that cannot start a magic, so the split is well defined.
          const pieces = parts.map((x, i) =>
            x.good
              ? encodePipeData(i + 2, x.p)
              : x.p.map((b) => (b === 0x60 || b === 0x99 ? 0 : b)),
          );
          const stream = Buffer.concat(pieces);
          const reader = new MessageReader('stream');
          const items: ReaderItem[] = [];
          let at = 0;
          let c = 0;
          while (at < stream.length) {
            const n = cuts[c++ % cuts.length]!;
            reader.push(stream.subarray(at, at + n), (item) => items.push(item));
            at += n;
          }
          const messages = items.filter((i) => i.kind === 'message');
          const expected = parts.filter((x) => x.good);
          // A garbage tail may wait for more bytes; every message before it comes out whole.
          expect(messages.length).toBeLessThanOrEqual(expected.length);
          expect(expected.length - messages.length).toBeLessThanOrEqual(
            parts.length > 0 && !parts[parts.length - 1]!.good ? 1 : 0,
          );
          messages.forEach((m, i) => {
            const r = decodePipeMessage(m.kind === 'message' ? m.bytes : new Uint8Array());
            expect(r.ok && r.message.checksumOk).toBe(true);
            expect(r.ok && Buffer.from(r.message.payload)).toEqual(Buffer.from(expected[i]!.p));
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random reads never throw; only valid data messages reach the stream (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'message' | 'stream'>('message', 'stream'),
        fc.boolean(),
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 64 }),
            fc.uint8Array({ maxLength: 32 }).map((p) => encodePipeData(9, p)),
            fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 32 }), fc.nat(55)).map(([p, at]) => {
              const m = encodePipeData(9, p);
              m[at % m.length] = m[at % m.length]! ^ 0x10;
              return m;
            }),
            fc.constant(encodePipeFeedback(0x5687, false)),
          ),
          { maxLength: 10 },
        ),
        (boundaries, feedback, reads) => {
          const transport = new RecordingTransport(boundaries);
          const channel = new PipeChannel(transport, { feedback, report: () => undefined });
          const pushed: Buffer[] = [];
          const push = channel.push.bind(channel);
          channel.push = (chunk: unknown) => {
            if (chunk) pushed.push(chunk as Buffer);
            return push(chunk);
          };
          for (const read of reads) transport.handlers.data(read);
          const s = channel.stats;
          const delivered = Buffer.concat(pushed).length;
          expect(delivered).toBe(s.payloadBytesIn);
          // Whole-message reads: exactly the intact data messages' payloads come out.
          if (boundaries === 'message' && !feedback) {
            const intact = reads.flatMap((r) => {
              const d = decodePipeMessage(r);
              return d.ok && d.message.kind === 'data' && d.message.checksumOk
                ? [Buffer.from(d.message.payload)]
                : [];
            });
            expect(Buffer.concat(pushed)).toEqual(Buffer.concat(intact));
          }
          expect(s.messagesIn).toBeLessThanOrEqual(reads.length);
          channel.destroy();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('hints at --feedback when the VM sends feedback replies', async () => {
    const transport = new RecordingTransport();
    const lines: string[] = [];
    const channel = new PipeChannel(transport, { report: (l) => lines.push(l) });
    transport.handlers.data(encodePipeFeedback(0x5687, false));
    expect(lines).toEqual([
      'test pipe: the VM sends feedback replies: it runs in feedback mode; use --feedback',
    ]);
    channel.destroy();
  });

  it('ends when the transport closes (the VM went away)', async () => {
    const transport = new RecordingTransport();
    const channel = new PipeChannel(transport);
    collect(channel);
    const closed = new Promise<void>((r) => channel.once('close', () => r()));
    transport.handlers.close();
    await closed;
    expect(channel.destroyed).toBe(true);
  });

  it('pauses the transport when the reader does not keep up', async () => {
    const transport = new RecordingTransport();
    const channel = new PipeChannel(transport);
    const big = new Uint8Array(4000);
    for (let i = 0; i < 8; i++) transport.handlers.data(encodePipeData(i + 2, big));
    expect(transport.paused).toBe(true);
    channel.resume();
    await turn();
    expect(transport.paused).toBe(false);
    channel.destroy();
  });
});

describe('PipeChannel: feedback mode', () => {
  it('answers every VM data message with a host feedback reply carrying its seqnum; a resent one is delivered once', async () => {
    const transport = new RecordingTransport();
    const channel = new PipeChannel(transport, { feedback: true });
    const got = collect(channel);
    transport.handlers.data(encodePipeData(2, bytes(1)));
    transport.handlers.data(encodePipeData(2, bytes(1))); // our reply was lost: the VM resent
    transport.handlers.data(encodePipeData(3, bytes(2)));
    await turn();
    expect(Buffer.concat(got)).toEqual(Buffer.from([1, 2]));
    const replies = transport.decoded();
    expect(replies.map((m) => [m.kind, m.flag, m.seq, m.payload.length, m.checksumOk])).toEqual([
      ['feedback', 2, 2, 0, true],
      ['feedback', 2, 2, 0, true],
      ['feedback', 2, 3, 0, true],
    ]);
    expect(transport.written[0]).toEqual(encodePipeFeedback(2, true));
    expect(channel.stats.duplicates).toBe(1);
    channel.destroy();
  });

  it('does not answer a message with a bad checksum (the VM resends it)', () => {
    const transport = new RecordingTransport();
    const channel = new PipeChannel(transport, { feedback: true });
    const corrupt = encodePipeData(4, bytes(1, 2));
    corrupt[16] = corrupt[16]! ^ 1;
    transport.handlers.data(corrupt);
    expect(transport.written).toEqual([]);
    expect(channel.stats.badChecksums).toBe(1);
    channel.destroy();
  });

  it('sends one message at a time, coalesces what waits, and resends after the timeout', async () => {
    const transport = new RecordingTransport();
    const clock = new FakeClock();
    const lines: string[] = [];
    const channel = new PipeChannel(transport, {
      feedback: true,
      resendMs: 30_000,
      clock,
      report: (l) => lines.push(l),
    });
    await writeAll(channel, bytes(1, 2));
    await writeAll(channel, bytes(3));
    await writeAll(channel, bytes(4));
    expect(transport.decoded().map((m) => [m.seq, [...m.payload]])).toEqual([
      [HOST_FIRST_SEQ, [1, 2]],
    ]);
    expect(channel.stats.awaitingFeedback).toBe(true);
    clock.advance(29_999);
    expect(transport.written.length).toBe(1);
    clock.advance(1);
    expect(transport.written.length).toBe(2);
    expect(transport.written[1]).toEqual(transport.written[0]); // the same message again
    expect(channel.stats.resends).toBe(1);
    expect(lines[0]).toMatch(/no feedback for message 0x5687 within 30000 ms: sent it again/);
    // A reply for something else changes nothing.
    transport.handlers.data(encodePipeFeedback(0x1234, false));
    expect(channel.stats.strayFeedback).toBe(1);
    transport.handlers.data(encodePipeFeedback(HOST_FIRST_SEQ, false));
    const sent = transport.decoded();
    expect(sent.length).toBe(3);
    expect([sent[2]!.seq, [...sent[2]!.payload]]).toEqual([HOST_FIRST_SEQ + 1, [3, 4]]);
    expect(channel.stats.feedbackReceived).toBe(1);
    clock.advance(60_000);
    expect(channel.stats.resends).toBe(3);
    transport.handlers.data(encodePipeFeedback(HOST_FIRST_SEQ + 1, false));
    expect(channel.stats.awaitingFeedback).toBe(false);
    clock.advance(60_000);
    expect(channel.stats.resends).toBe(3);
    channel.destroy();
  });

  it('bounds the queue behind an unanswered message: write() waits until the VM replies', async () => {
    const transport = new RecordingTransport();
    const clock = new FakeClock();
    const channel = new PipeChannel(transport, {
      feedback: true,
      clock,
      maxQueuedBytes: 1000,
      maxPayload: 600,
    });
    let released = 0;
    const chunk = Buffer.alloc(400);
    for (let i = 0; i < 4; i++) channel.write(chunk, () => released++);
    await turn();
    // 400 went out; 1200 wait, more than the bound: the last write's callback is held.
    expect(channel.stats.queuedBytes).toBe(1200);
    expect(released).toBe(3);
    expect(channel.writableNeedDrain || channel.writableLength > 0).toBe(true);
    transport.handlers.data(encodePipeFeedback(HOST_FIRST_SEQ, false));
    await turn();
    expect(channel.stats.queuedBytes).toBe(600);
    expect(released).toBe(4);
    expect(transport.decoded().map((m) => m.payload.length)).toEqual([400, 600]);
    channel.destroy();
  });
});

describe('PipeChannel over a real unix socket (length-prefixed messages)', () => {
  it('host and VM ends exchange KD bytes both ways with feedback on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kdscope-vmbus-'));
    const path = join(dir, 'vm.sock');
    const server = createServer();
    const accepted = new Promise<Socket>((r) => server.once('connection', r));
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const client = connect(path);
      await new Promise<void>((r) => client.once('connect', () => r()));
      const vmSocket = await accepted;
      const host = new PipeChannel(lengthPrefixedTransport(client, 'unix:vm.sock'), {
        feedback: true,
      });
      const vm = new PipeChannel(lengthPrefixedTransport(vmSocket, 'vm'), {
        feedback: true,
        role: 'vm',
      });
      const atVm = collect(vm);
      const atHost = collect(host);
      const toVm = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i & 0xff));
      host.write(toVm);
      vm.write(Buffer.from('hello from the guest'));
      await untilWithin(5000, 5)(
        () => Buffer.concat(atVm).length >= toVm.length && atHost.length > 0,
        'the bytes both ways',
      );
      expect(Buffer.concat(atVm)).toEqual(toVm);
      expect(Buffer.concat(atHost).toString()).toBe('hello from the guest');
      expect(host.stats.messagesOut).toBe(3); // 4096 + 4096 + 1808, one at a time
      expect(host.stats.feedbackReceived).toBe(3);
      expect(vm.stats.feedbackSent).toBe(3);
      expect(host.stats.badMessages + vm.stats.badMessages).toBe(0);
      const closed = new Promise<void>((r) => host.once('close', () => r()));
      vm.destroy();
      await closed;
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('frameMessage is what lengthPrefixedTransport reads', () => {
    const framed = frameMessage(bytes(1, 2, 3));
    expect([...framed]).toEqual([3, 0, 0, 0, 1, 2, 3]);
  });
});
