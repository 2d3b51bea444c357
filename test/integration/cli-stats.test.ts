// `kdscope stats` as a real process on real capture files.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamChunk } from '../../electron/capture/chunk';
import { openCapture } from '../../electron/capture/capture-source';
import { SessionDecoder } from '../../protocol/session/pipeline';
import type { PacketRecord } from '../../protocol/session/record';
import { SESSION_BASIC } from '../fixtures/session-basic';
import { buildPcap, makeTempDir, writeCapture, type TempDir } from '../support/pcap-fixtures';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/kdscope.mjs');
const REAL_KDNET = join(ROOT, 'test/fixtures/windbg-uncut.pcapng.gz');

function kdscope(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const frames: StreamChunk[] = SESSION_BASIC.map((s) => ({
  dir: s.dir,
  timeUs: s.timeMs * 1000,
  bytes: s.bytes,
}));

let tmp: TempDir;
beforeAll(() => {
  tmp = makeTempDir('kdscope-stats-');
  expect(kdscope('--help').status).toBe(0);
});
afterAll(() => tmp.cleanup());

interface JsonStats {
  srt: {
    rows: {
      apiName: string;
      calls: number;
      answered: number;
      errors: number;
      bytes: number;
      rttMs: { min: number; p50: number; max: number } | null;
    }[];
    total: { calls: number };
  };
  expert: {
    bySeverity: Record<string, number>;
    groups: { key: string; count: number; entries: { no?: number }[] }[];
  };
}

describe('kdscope stats (process)', () => {
  it('prints the SRT of the session-basic fixture: calls, failures, bytes, RTTs from the timestamps', () => {
    const path = tmp.file('basic.pcapng');
    writeCapture(path, frames, 'pcapng');
    const r = kdscope('stats', path, '--format', 'json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as JsonStats;
    const gv = out.srt.rows.find((x) => x.apiName === 'GetVersion')!;
    const rvm = out.srt.rows.find((x) => x.apiName === 'ReadVirtualMemory')!;
    // GetVersion asked at +10 ms, answered at +13; the reads at +20 -> +24 and +52 -> +57
    // (the copy resent after the RESEND is the request the reply answers).
    expect(gv).toMatchObject({ calls: 1, answered: 1, errors: 0 });
    expect(gv.rttMs).toMatchObject({ min: 3, max: 3 });
    expect(rvm).toMatchObject({ calls: 2, answered: 2, errors: 1 });
    expect(rvm.rttMs).toMatchObject({ min: 4, p50: 4, max: 5 });
    // Request 56 + 16 + 1 bytes, reply with 16 bytes of memory 56 + 16 + 16 + 1, and the
    // second call: 73 + 73 (its reply carries no data).
    expect(rvm.bytes).toBe(73 + 89 + 73 + 73);
    expect(out.srt.total.calls).toBe(3);
    const bad = out.expert.groups.find((g) => g.key === 'bad-checksum')!;
    expect(bad.count).toBe(1);
    expect(bad.entries[0]!.no).toBeGreaterThan(0);
    expect(out.expert.bySeverity.error).toBe(1);
  });

  it('prints the same as an aligned table', () => {
    const path = tmp.file('basic.pcap');
    writeCapture(path, frames, 'pcap');
    const r = kdscope('stats', path);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[1]).toMatch(/^API\s+Calls\s+Unanswered\s+Errors\s+Bytes\s+Min ms\s+P50 ms/);
    expect(lines.find((l) => l.startsWith('GetVersion '))).toMatch(
      /^GetVersion\s+1\s+0\s+0\s+\d+\s+3\.000\s+3\.000\s+3\.000\s+3\.000$/,
    );
    expect(lines.find((l) => l.startsWith('All '))).toMatch(/^All\s+3\s+0\s+1\s/);
    expect(r.stdout).toMatch(/Expert information: 1 error, \d+ warning/);
    expect(r.stdout).toMatch(/error\s+1\s+Bad checksum.*\(first at packet \d+\)/);
  });

  it('refuses bad usage with one line and exit code 2', () => {
    const none = kdscope('stats');
    expect(none.status).toBe(2);
    expect(none.stderr.trim()).toMatch(/which capture/);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    const fmt = kdscope('stats', tmp.file('x.pcap'), '--format', 'xml');
    expect(fmt.status).toBe(2);
    expect(fmt.stderr).toMatch(/--format must be table or json/);
    const missing = kdscope('stats', tmp.file('missing.pcap'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/missing\.pcap/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('kdscope export --filter with time', () => {
  it('counts seconds from the first packet, as the Time column of a capture', () => {
    const path = tmp.file('for-export.pcap');
    writeCapture(path, frames, 'pcap');
    const records: PacketRecord[] = [];
    const decoder = new SessionDecoder({ onRecord: (r) => records.push(r) });
    openCapture(path).forEach((c) => decoder.push(c.dir, c.bytes, c.timeUs / 1000, c.frame));
    decoder.end();
    const first = records[0]!.time;
    const want = records.filter((r) => (r.time - first) / 1000 < 0.012).length;
    expect(want).toBeGreaterThan(2);
    expect(want).toBeLessThan(records.length);
    const out = tmp.file('early.pcap');
    const r = kdscope('export', path, '--out', out, '--filter', 'time < 0.012');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^kdscope export: wrote ${want} frames to `));
    let written = 0;
    openCapture(out).forEach(() => written++);
    expect(written).toBe(want);
  });
});

describe('stats and export agree with decode on a capture they cannot use', () => {
  const oneLine = (r: { stderr: string }): void =>
    expect(r.stderr.trim().split('\n')).toHaveLength(1);

  it('KDNET without its key: stats says so (exit 0, as decode); export has nothing to write (exit 2)', () => {
    const decode = kdscope('decode', REAL_KDNET);
    expect(decode.status).toBe(0);
    expect(decode.stderr).toBe(
      'kdscope decode: 955 KDNET datagrams skipped: give the key with --key W.X.Y.Z\n',
    );
    const stats = kdscope('stats', REAL_KDNET);
    expect(stats.status).toBe(0);
    expect(stats.stderr).toBe(decode.stderr.replace('decode', 'stats'));
    const out = tmp.file('kdnet-nokey.pcap');
    const exported = kdscope('export', REAL_KDNET, '--out', out);
    expect(exported.status).toBe(2);
    expect(exported.stderr).toMatch(
      /^kdscope export: nothing to export: .*windbg-uncut\.pcapng\.gz: its 955 KDNET datagrams are written decrypted: give --key W\.X\.Y\.Z --decrypt; .*kdnet-nokey\.pcap was not written\n$/,
    );
    oneLine(exported);
    expect(existsSync(out)).toBe(false);
  });

  it('KDNET with a wrong key: exit 1 and "wrong key?" from all three', () => {
    const runs = [
      kdscope('decode', REAL_KDNET, '--key', '1.2.3.4'),
      kdscope('stats', REAL_KDNET, '--key', '1.2.3.4'),
      kdscope('export', REAL_KDNET, '--key', '1.2.3.4', '--decrypt', '--out', tmp.file('k.pcap')),
    ];
    for (const r of runs) {
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        /^kdscope (decode|stats|export): 955 KDNET datagrams failed authentication: wrong key\?\n$/,
      );
    }
    // With the right key, stats counts the session's calls and says nothing more.
    const right = kdscope('stats', REAL_KDNET, '--key', '8.8.8.8');
    expect(right.status).toBe(0);
    expect(right.stderr).toBe('');
    expect(right.stdout).toMatch(/^GetVersion\s+[1-9]/m);
  });

  it('a link type that carries no KD bytes: nothing to decode / export, exit 2 from all three', () => {
    const path = tmp.file('unknown-link.pcap');
    writeFileSync(
      path,
      buildPcap(
        [1, 2, 3].map((i) => ({ timeUs: i, data: Uint8Array.of(0x30, 0x30, 0x30, 0x30) })),
        { linkType: 147 },
      ),
    );
    const out = tmp.file('unknown-link-out.pcap');
    const runs = {
      decode: kdscope('decode', path),
      stats: kdscope('stats', path),
      export: kdscope('export', path, '--out', out),
    };
    for (const [command, r] of Object.entries(runs)) {
      expect(r.status, command).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(
          `^kdscope ${command}: nothing to ${command === 'export' ? 'export' : 'decode'}: .*unknown-link\\.pcap: none of its 3 frames carries KD bytes`,
        ),
      );
      oneLine(r);
    }
    expect(existsSync(out)).toBe(false);
  });
});
