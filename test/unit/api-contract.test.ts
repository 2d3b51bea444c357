import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OP_NAMES, isOpName } from '../../electron/api/contract';
import { MockWorkbench, connectMock } from '../support/contract-mock';
import {
  ProtocolError,
  decodeFrame,
  encodeFrame,
  parseClientMessage,
  parseServerMessage,
} from '../../electron/api/contract-wire';
import { validators } from '../../electron/api/contract-validators';
import { serveConnection } from '../../electron/api/server';

describe('workbench API over the registry', () => {
  it('invokes operations and delivers events through the mock', async () => {
    const mock = new MockWorkbench();
    const { client, close } = connectMock(mock);
    const states: string[] = [];
    const off = client.on('session.state', (s) => states.push(s.state));
    const info = await client.invoke('session.start', {
      debugger: 'sim',
      target: 'sim',
      rate: 100,
    });
    expect(info.target).toBe('sim');
    await client.invoke('session.stop');
    expect(await client.invoke('packets.bytes', 7)).toBeNull();
    await new Promise((r) => setTimeout(r, 0));
    expect(states).toEqual(['running', 'stopped']);
    expect(mock.calls.map((c) => c.op)).toEqual(['session.start', 'session.stop', 'packets.bytes']);
    off();
    close();
    await expect(client.invoke('session.status')).rejects.toThrow(/closed|disposed/);
  });

  it('answers a bad argument with InvalidArgument and never calls the handler', async () => {
    const mock = new MockWorkbench();
    const { client, close } = connectMock(mock);
    const bad = client.invoke as unknown as (op: string, arg?: unknown) => Promise<unknown>;
    await expect(bad('session.start', { target: 'vm:evil' })).rejects.toMatchObject({
      name: 'InvalidArgument',
    });
    await expect(bad('packets.bytes', -1)).rejects.toMatchObject({ name: 'InvalidArgument' });
    await expect(bad('stream.ready', { window: 1e9 })).rejects.toMatchObject({
      name: 'InvalidArgument',
    });
    await expect(bad('session.stop', 'x')).rejects.toMatchObject({ name: 'InvalidArgument' });
    expect(mock.calls).toEqual([]);
    close();
  });

  it('closes the connection on a message outside the allowlist', () => {
    let closedWith = '';
    let deliver: (m: unknown) => void = () => undefined;
    let disposed = false;
    serveConnection(
      {
        send: () => undefined,
        onMessage: (l) => ((deliver = l), () => undefined),
        onClose: () => () => undefined,
        close: (reason) => (closedWith = reason),
      },
      () => Object.assign(new MockWorkbench(), { dispose: () => (disposed = true) }),
    );
    deliver({ t: 'req', id: 1, op: 'constructor' });
    expect(closedWith).toMatch(/unknown operation/);
    expect(disposed).toBe(true);
  });

  it('has a validator for exactly the allowlisted operations', () => {
    expect(Object.keys(validators).sort()).toEqual([...OP_NAMES].sort());
    expect(isOpName('toString')).toBe(false);
    expect(isOpName('__proto__')).toBe(false);
  });
});

describe('message envelopes', () => {
  it('rejects malformed requests with a ProtocolError', () => {
    for (const m of [
      null,
      [],
      { t: 'req' },
      { t: 'req', id: -1, op: 'session.stop' },
      { t: 'req', id: 1.5, op: 'session.stop' },
      { t: 'req', id: 1, op: 'session.stop', extra: 1 },
      { t: 'res', id: 1, value: 1 },
    ]) {
      expect(() => parseClientMessage(m)).toThrow(ProtocolError);
    }
    expect(() => parseServerMessage({ t: 'evt', name: 'nope', data: 1 })).toThrow(ProtocolError);
  });
});

describe('binary frames', () => {
  it('round-trip messages with binary attachments', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 50 }),
        fc.nat(),
        (a, b, seq) => {
          const message = {
            t: 'evt' as const,
            name: 'records' as const,
            data: { seq, nested: { a, list: [b, 'x'] } },
          };
          const back = decodeFrame(encodeFrame(message)) as typeof message;
          expect(back.data.seq).toBe(seq);
          expect(back.data.nested.a).toEqual(a);
          expect(back.data.nested.list[0]).toEqual(b);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never throws anything but ProtocolError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeFrame(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 500 },
    );
    const evil = new TextEncoder().encode('{"__proto__":{"polluted":1}}');
    const frame = new Uint8Array(4 + evil.length);
    new DataView(frame.buffer).setUint32(0, evil.length, true);
    frame.set(evil, 4);
    expect(() => decodeFrame(frame)).toThrow(ProtocolError);
    const outOfRange = encodeFrame({ t: 'res', id: 1, value: { $bin: [0, 10] } });
    expect(() => decodeFrame(outOfRange)).toThrow(/past the frame/);
  });
});
