// Captures of real UDP datagrams (the KDNET bridge's recorder): IPv4 and IPv6, pcap and
// pcapng; what is written reads back (our reader), and tshark finds every checksum right.
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readUdpDatagrams } from '../../electron/capture/capture-datagrams';
import {
  UdpDatagramWriter,
  type DatagramCaptureFormat,
  type UdpDatagramFrame,
} from '../../electron/capture/udp-datagram-writer';
import { ipBytes } from '../../electron/engine/kdnet/addresses';
import { makeTempDir } from '../support/pcap-fixtures';
import { requireTool } from '../support/tools';

const tmp = makeTempDir('kdscope-udp-capture-');
afterAll(() => tmp.cleanup());

const V4 = { a: ipBytes('192.168.2.72')!, b: ipBytes('192.168.2.1')! };
const V6 = { a: ipBytes('fe80::1:2:3')!, b: ipBytes('::ffff:10.0.0.1')! };

function frames(ips: { a: Uint8Array; b: Uint8Array }, payloads: Uint8Array[]): UdpDatagramFrame[] {
  return payloads.map((payload, i) => ({
    timeUs: 1_700_000_000_000_000 + i * 1500,
    dir: i % 2 === 0 ? 'target->debugger' : 'debugger->target',
    src: { ip: i % 2 === 0 ? ips.a : ips.b, port: i % 2 === 0 ? 51111 : 50000 },
    dst: { ip: i % 2 === 0 ? ips.b : ips.a, port: i % 2 === 0 ? 50000 : 51111 },
    payload,
  }));
}

function write(path: string, format: DatagramCaptureFormat, list: UdpDatagramFrame[]): void {
  const writer = UdpDatagramWriter.open(path, format);
  for (const frame of list) writer.write(frame);
  writer.close();
}

describe('UdpDatagramWriter', () => {
  it('parses IPv4 and IPv6 addresses as a capture needs them', () => {
    expect(Array.from(V4.a)).toEqual([192, 168, 2, 72]);
    expect(Buffer.from(V6.a).toString('hex')).toBe('fe800000000000000000000100020003');
    expect(Buffer.from(V6.b).toString('hex')).toBe('00000000000000000000ffff0a000001');
    expect(ipBytes('::')).toEqual(new Uint8Array(16));
    expect(ipBytes('not an address')).toBeUndefined();
  });

  it('property: datagrams read back with their addresses, ports, times and bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 1400 }), { minLength: 1, maxLength: 12 }),
        fc.constantFrom<DatagramCaptureFormat>('pcap', 'pcapng'),
        fc.boolean(),
        (payloads, format, v6) => {
          const path = tmp.file(`prop.${format}`);
          const list = frames(v6 ? V6 : V4, payloads);
          write(path, format, list);
          const { datagrams, error } = readUdpDatagrams(path);
          expect(error).toBeUndefined();
          expect(datagrams.map((d) => d.payload)).toEqual(payloads);
          expect(datagrams.map((d) => d.timeUs)).toEqual(list.map((f) => f.timeUs));
          expect(datagrams.map((d) => d.srcPort)).toEqual(list.map((f) => f.src.port));
          expect(datagrams.map((d) => ipBytes(d.src))).toEqual(list.map((f) => f.src.ip));
          expect(datagrams.map((d) => ipBytes(d.dst))).toEqual(list.map((f) => f.dst.ip));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('tshark reads every frame and finds IP and UDP checksums right', () => {
    const tshark = requireTool('tshark');
    const payloads = [new Uint8Array(0), Uint8Array.of(1), new Uint8Array(333).fill(0xff)];
    for (const [name, ips] of Object.entries({ v4: V4, v6: V6 })) {
      for (const format of ['pcap', 'pcapng'] as const) {
        const path = tmp.file(`${name}.${format}`);
        write(path, format, frames(ips, payloads));
        const run = spawnSync(
          tshark,
          [
            '-r',
            path,
            '-o',
            'ip.check_checksum:TRUE',
            '-o',
            'udp.check_checksum:TRUE',
            '-T',
            'fields',
            '-e',
            'udp.length',
            '-e',
            'ip.checksum.status',
            '-e',
            'udp.checksum.status',
          ],
          { encoding: 'utf8', timeout: 60_000 },
        );
        expect(run.status, run.stderr).toBe(0);
        const rows = run.stdout
          .trim()
          .split('\n')
          .map((l) => l.split('\t'));
        expect(rows.map((r) => Number(r[0]))).toEqual([8, 9, 341]);
        // Status 1 is "Good" (0 bad, 2 unverified); IPv6 has no header checksum.
        for (const [, ip, udp] of rows) {
          expect(udp, `${name} ${format}`).toBe('1');
          expect(ip, `${name} ${format}`).toBe(name === 'v4' ? '1' : '');
        }
      }
    }
  });
});
