// `decode` and `export` of KDNET captures as real processes: a wrong key is an error (exit 1,
// one sentence), other damage one line; `export --key K --decrypt` writes the KD stream in the
// seed's format, which tshark with our Lua dissector reads to the packets our decoder finds.
import { spawnSync } from 'node:child_process';
import { statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readUdpDatagrams } from '../../electron/capture/capture-datagrams';
import { UdpDatagramWriter } from '../../electron/capture/udp-datagram-writer';
import { ipBytes } from '../../electron/engine/kdnet/addresses';
import { PacketType, type PacketTypeName } from '../../protocol/kd/constants';
import { decodeCapture } from '../support/kdnet-captures';
import { KDSCOPE_BIN } from '../support/kdscope-process';
import { makeTempDir, type TempDir } from '../support/pcap-fixtures';
import { requireTool } from '../support/tools';

const REAL = join(import.meta.dirname, '../fixtures/windbg-uncut.pcapng.gz');
const LUA = join(import.meta.dirname, '../../resources/wireshark/kdscope.lua');
let tmp: TempDir;
beforeAll(() => {
  tmp = makeTempDir('kdscope-kdnet-cli-');
});
afterAll(() => tmp.cleanup());

function kdscope(...args: string[]) {
  const run = spawnSync(process.execPath, [KDSCOPE_BIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The real capture re-written (real addresses, pcapng) with datagram `index` tampered. */
function tampered(path: string, index: number): void {
  rewrite(path, (i) => (i === index ? 'tamper' : 'keep'));
}

/** The real capture re-written datagram by datagram: kept, tampered or left out. */
function rewrite(path: string, fate: (index: number) => 'keep' | 'tamper' | undefined): void {
  const writer = UdpDatagramWriter.open(path, 'pcapng');
  readUdpDatagrams(REAL).datagrams.forEach((d, i) => {
    const what = fate(i);
    if (what === undefined) return;
    const payload = d.payload.slice();
    if (what === 'tamper') payload[20]! ^= 0x01;
    writer.write({
      timeUs: d.timeUs,
      dir: 'target->debugger',
      src: { ip: ipBytes(d.src)!, port: d.srcPort },
      dst: { ip: ipBytes(d.dst)!, port: d.dstPort },
      payload,
    });
  });
  writer.close();
}

describe('KDNET captures and their key (processes)', () => {
  it('a wrong key: decode and export exit 1 with one sentence', () => {
    const decode = kdscope('decode', REAL, '--key', '8.8.8.9');
    expect(decode.status).toBe(1);
    expect(decode.stderr).toBe(
      'kdscope decode: 955 KDNET datagrams failed authentication: wrong key?\n',
    );
    const out = tmp.file('wrong.pcap');
    const exported = kdscope('export', REAL, '--key', '8.8.8.9', '--decrypt', '--out', out);
    expect(exported.status).toBe(1);
    expect(exported.stderr).toBe(
      'kdscope export: 955 KDNET datagrams failed authentication: wrong key?\n',
    );
  });

  it('the right key and a tampered datagram: exit 0, one line naming it', () => {
    const path = tmp.file('tampered.pcapng');
    tampered(path, 100);
    const run = kdscope('decode', path, '--key', '8.8.8.8');
    expect(run.status).toBe(0);
    expect(run.stderr).toBe(
      'kdscope decode: 1 of 955 KDNET datagrams rejected, first at frame 101: HMAC mismatch on the data channel\n',
    );
    const exported = kdscope(
      'export',
      path,
      '--key',
      '8.8.8.8',
      '--decrypt',
      '--out',
      tmp.file('t.pcap'),
    );
    expect(exported.status).toBe(0);
    expect(exported.stderr).toMatch(
      /^kdscope export: wrote 526 frames to .*; 1 of 955 KDNET datagrams rejected, first at frame 101/,
    );
    expect(exported.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a capture that began after the key exchange: says so', () => {
    const path = tmp.file('late.pcapng');
    rewrite(path, (i) => (i < 2 ? undefined : 'keep'));
    const run = kdscope('decode', path, '--key', '8.8.8.8');
    expect(run.status).toBe(0);
    expect(run.stderr).toBe(
      'kdscope decode: 527 KDNET datagrams failed authentication: the capture holds no key exchange (it began after WinDbg connected?)\n',
    );
  });

  it('the right key, a tampered datagram and a cut file: exit 2, still one line', () => {
    const path = tmp.file('tampered-cut.pcapng');
    tampered(path, 100);
    truncateSync(path, statSync(path).size - 30);
    for (const command of ['decode', 'export']) {
      const args =
        command === 'decode'
          ? ['decode', path, '--key', '8.8.8.8']
          : ['export', path, '--key', '8.8.8.8', '--decrypt', '--out', tmp.file('c.pcap')];
      const run = kdscope(...args);
      expect(run.status, command).toBe(2);
      expect(run.stderr.trim().split('\n'), command).toHaveLength(1);
      expect(run.stderr).toMatch(/tampered-cut\.pcapng.*byte/);
      expect(run.stderr).toMatch(/1 of 954 KDNET datagrams rejected/);
    }
  });

  it('export asks for --decrypt with --key, and for the key with --decrypt', () => {
    const out = tmp.file('x.pcap');
    const noDecrypt = kdscope('export', REAL, '--key', '8.8.8.8', '--out', out);
    expect(noDecrypt.status).toBe(2);
    expect(noDecrypt.stderr).toMatch(
      /^kdscope export: --key writes a KDNET capture decrypted: add --decrypt/,
    );
    const noKey = kdscope('export', REAL, '--decrypt', '--out', out);
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toBe('kdscope export: --decrypt needs the KDNET key: --key W.X.Y.Z\n');
  });

  it('export --decrypt: stock tshark with kdscope.lua reads the packets our decoder finds', () => {
    const tshark = requireTool('tshark');
    const out = tmp.file('decrypted.pcap');
    const run = kdscope('export', REAL, '--key', '8.8.8.8', '--decrypt', '--out', out);
    expect(run.status).toBe(0);
    const fields = spawnSync(
      tshark,
      [
        '-X',
        `lua_script:${LUA}`,
        '-r',
        out,
        '-T',
        'fields',
        '-E',
        'separator=/t',
        '-e',
        'udp.srcport',
        '-e',
        'kd.type',
        '-e',
        'kd.id',
        '-e',
        'kd.checksum_ok',
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
    );
    expect(fields.status).toBe(0);
    const seen: string[] = [];
    for (const line of fields.stdout.split('\n')) {
      const [port, types, ids, oks] = line.split('\t');
      if (!types) continue;
      const t = types.split(',');
      const i = ids!.split(',');
      const o = oks!.split(',');
      t.forEach((type, k) =>
        seen.push(
          JSON.stringify([
            port === '51111' ? 'debugger->target' : 'target->debugger',
            Number(type),
            Number(i[k]),
            o[k] === '1' || o[k] === 'True',
          ]),
        ),
      );
    }
    const ours = decodeCapture(REAL, '8.8.8.8').packets.map((l) =>
      JSON.stringify([l.dir, PacketType[l.type as PacketTypeName], l.id, l.checksumOk]),
    );
    expect(ours).toHaveLength(526);
    for (const dir of ['debugger->target', 'target->debugger']) {
      const pick = (list: string[]) => list.filter((s) => s.includes(`"${dir}"`));
      expect(pick(seen)).toEqual(pick(ours));
    }
  });
});
