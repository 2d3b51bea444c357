import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  EndpointError,
  formatEndpoint,
  parseEndpoint,
  pipePath,
} from '../../electron/engine/endpoint';

describe('parseEndpoint', () => {
  it('parses every kind', () => {
    expect(parseEndpoint('pipe:kd0')).toEqual({
      kind: 'pipe',
      name: 'kd0',
      path: '\\\\.\\pipe\\kd0',
    });
    expect(parseEndpoint('\\\\.\\pipe\\com_1')).toEqual({
      kind: 'pipe',
      name: 'com_1',
      path: '\\\\.\\pipe\\com_1',
    });
    expect(parseEndpoint('pipe:\\\\.\\pipe\\x')).toMatchObject({ kind: 'pipe', name: 'x' });
    expect(parseEndpoint('unix:/tmp/kd.sock')).toEqual({ kind: 'unix', path: '/tmp/kd.sock' });
    expect(parseEndpoint('tcp:127.0.0.1:9000')).toEqual({
      kind: 'tcp',
      host: '127.0.0.1',
      port: 9000,
    });
    expect(parseEndpoint('tcp:[::1]:9000')).toEqual({ kind: 'tcp', host: '::1', port: 9000 });
    expect(parseEndpoint('udp:51111')).toEqual({ kind: 'udp', port: 51111 });
    expect(parseEndpoint('udp:10.0.0.2:51111')).toEqual({
      kind: 'udp',
      host: '10.0.0.2',
      port: 51111,
    });
    expect(parseEndpoint('serial:/dev/ttyS0')).toEqual({
      kind: 'serial',
      device: '/dev/ttyS0',
      baud: 115200,
    });
    expect(parseEndpoint('serial:COM3,57600')).toEqual({
      kind: 'serial',
      device: 'COM3',
      baud: 57600,
    });
    expect(parseEndpoint('vmbus:Win11 dev')).toEqual({ kind: 'vmbus', vmName: 'Win11 dev' });
    expect(parseEndpoint('vm:win11')).toEqual({ kind: 'vm', name: 'win11' });
    expect(parseEndpoint('sim')).toEqual({ kind: 'sim', flavour: 'com' });
    expect(parseEndpoint('sim:vmbus')).toEqual({ kind: 'sim', flavour: 'vmbus' });
  });

  it.each([
    ['', /empty endpoint/],
    ['foo', /expected one of/],
    ['ftp:x', /unknown kind 'ftp'/],
    ['tcp:host', /expected HOST:PORT/],
    ['tcp::9000', /empty host/],
    ['tcp:h:0', /out of range/],
    ['tcp:h:70000', /out of range/],
    ['tcp:h:12a', /not a number/],
    ['tcp:::1:9000', /brackets/],
    ['tcp:[::1:9000', /missing '\]'/],
    ['udp:', /not a number/],
    ['pipe:', /empty pipe name/],
    ['pipe:a\\b', /backslash/],
    ['unix:', /empty socket path/],
    ['serial:', /empty serial device/],
    ['serial:/dev/ttyS0,fast', /baud rate 'fast'/],
    ['vmbus:', /empty VM name/],
    ['vm:', /empty VM name/],
    ['sim:qemu', /sim takes/],
  ])('rejects %j with one clear line', (text, pattern) => {
    let caught: unknown;
    try {
      parseEndpoint(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EndpointError);
    const message = (caught as Error).message;
    expect(message).toMatch(pattern);
    expect(message).not.toContain('\n');
  });

  it('maps pipe names to \\\\.\\pipe\\NAME', () => {
    expect(pipePath('kd')).toBe('\\\\.\\pipe\\kd');
  });

  it('formats what it parses back to the same endpoint (property)', () => {
    const name = fc
      .stringMatching(/^[A-Za-z0-9_.\- ]{1,20}$/)
      .filter((s) => s.trim() === s && s !== '');
    const endpoint = fc.oneof(
      name.map((n) => `pipe:${n}`),
      name.map((n) => `unix:/tmp/${n}`),
      fc
        .tuple(
          fc.constantFrom('127.0.0.1', 'localhost', '[::1]'),
          fc.integer({ min: 1, max: 65535 }),
        )
        .map(([h, p]) => `tcp:${h}:${p}`),
      fc.integer({ min: 1, max: 65535 }).map((p) => `udp:${p}`),
      fc.tuple(name, fc.integer({ min: 300, max: 4_000_000 })).map(([d, b]) => `serial:${d},${b}`),
      name.map((n) => `vm:${n}`),
      fc.constantFrom('sim', 'sim:vmbus'),
    );
    fc.assert(
      fc.property(endpoint, (text) => {
        const parsed = parseEndpoint(text);
        expect(parseEndpoint(formatEndpoint(parsed))).toEqual(parsed);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws anything but EndpointError (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          parseEndpoint(text);
        } catch (error) {
          expect(error).toBeInstanceOf(EndpointError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
