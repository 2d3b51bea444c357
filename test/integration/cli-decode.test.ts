// `kdscope decode` and `kdscope export` as real processes on real files.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamChunk } from '../../electron/capture/chunk';
import { openCapture } from '../../electron/capture/capture-source';
import { SessionDecoder } from '../../protocol/session/pipeline';
import type { PacketRecord } from '../../protocol/session/record';
import { SESSION_BASIC } from '../fixtures/session-basic';
import {
  buildPcap,
  buildPcapng,
  makeTempDir,
  seedFrame,
  udpFrame,
  writeCapture,
  type TempDir,
} from '../support/pcap-fixtures';
import { SEED_ENDS } from '../../electron/capture/udp-wrap';
import { requireTool } from '../support/tools';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/kdscope.mjs');
const REAL_KDNET = join(ROOT, 'test/fixtures/windbg-uncut.pcapng.gz');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function kdscope(...args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function lines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const frames: StreamChunk[] = SESSION_BASIC.map((s) => ({
  dir: s.dir,
  timeUs: s.timeMs * 1000,
  bytes: s.bytes,
}));

function inProcess(): PacketRecord[] {
  const records: PacketRecord[] = [];
  const decoder = new SessionDecoder({ onRecord: (r) => records.push(r) });
  SESSION_BASIC.forEach((s, i) => decoder.push(s.dir, s.bytes, s.timeMs, i + 1));
  decoder.end();
  return records;
}

let tmp: TempDir;
beforeAll(() => {
  tmp = makeTempDir('kdscope-cli-');
  // Builds the bundle once if it is stale, so the timeouts below measure decoding only.
  expect(kdscope('--help').status).toBe(0);
});
afterAll(() => tmp.cleanup());

describe('kdscope decode (process)', () => {
  it('prints the session-basic fixture as NDJSON, field by field as the pipeline sees it', () => {
    const path = tmp.file('basic.pcap');
    writeCapture(path, frames, 'pcap');
    const run = kdscope('decode', path);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = lines(run.stdout);
    const summary = out.pop()!;
    const records = inProcess();
    expect(out).toHaveLength(records.length);
    out.forEach((line, i) => {
      const r = records[i]!;
      expect(line).toMatchObject({
        no: r.no,
        kind: r.kind,
        dir: r.dir,
        offset: r.offset,
        frame: r.frame,
      });
      if (r.kind === 'packet') {
        expect(line).toMatchObject({
          leader: r.leader,
          type: r.typeName,
          id: r.id,
          byteCount: r.byteCount,
          checksumOk: r.checksumOk,
          retransmit: r.no === 20,
        });
        for (const key of ['api', 'apiName', 'newState', 'text', 'ack', 'pair', 'rttMs'] as const)
          expect(line[key]).toEqual(r[key]);
        expect(line.returnStatus).toEqual(
          r.returnStatus === undefined ? undefined : r.returnStatus >>> 0,
        );
      } else {
        expect(line.length).toBe(r.length);
      }
    });
    expect(out[21]).toMatchObject({ flags: ['ERROR_STATUS'], returnStatus: 0xc0000005 });
    // ReturnStatus is the target's answer: a request's line has none.
    const manipulates = out.filter((l) => l.type === 'STATE_MANIPULATE');
    expect(manipulates.length).toBeGreaterThan(4);
    for (const l of manipulates) expect('returnStatus' in l).toBe(l.dir === 'target->debugger');
    expect(out[17]).toMatchObject({ checksumOk: false, flags: ['CHECKSUM_ERROR'] });
    expect(summary).toMatchObject({
      kind: 'summary',
      packets: 28,
      breakins: 1,
      garbageBytes: 5,
      checksumErrors: 1,
      retransmits: 1,
      resends: 1,
      byType: { STATE_MANIPULATE: 9, ACKNOWLEDGE: 12, STATE_CHANGE64: 3 },
      byApi: { ReadVirtualMemory: 5, GetVersion: 2 },
    });
  });

  it('reads pcapng, gzip and raw streams to the same records', () => {
    const reference = lines(kdscope('decode', tmp.file('basic.pcap')).stdout);
    const strip = (l: Record<string, unknown>) => ({ ...l, capture: undefined });
    for (const [name, format, gzip] of [
      ['basic.pcapng', 'pcapng', false],
      ['basic.pcap.gz', 'pcap', true],
    ] as const) {
      writeCapture(tmp.file(name), frames, format, { gzip });
      const run = kdscope('decode', tmp.file(name));
      expect(run.status).toBe(0);
      expect(lines(run.stdout).map(strip)).toEqual(reference.map(strip));
    }
    // Raw streams: each direction's bytes in one file; no frames or times, same events.
    const dbg = tmp.file('dbg.bin');
    const tgt = tmp.file('tgt.bin');
    const join = (dir: string) =>
      Buffer.concat(SESSION_BASIC.filter((s) => s.dir === dir).map((s) => s.bytes));
    writeFileSync(dbg, join('debugger->target'));
    writeFileSync(tgt, join('target->debugger'));
    const raw = kdscope('decode', '--debugger', dbg, '--target', tgt);
    expect(raw.status).toBe(0);
    const rawLines = lines(raw.stdout);
    const key = (l: Record<string, unknown>) => `${l.dir} ${l.offset} ${l.kind} ${l.type} ${l.id}`;
    expect(rawLines.slice(0, -1).map(key).sort()).toEqual(reference.slice(0, -1).map(key).sort());
    expect(rawLines[0]).not.toHaveProperty('frame');
    expect(rawLines[0]).not.toHaveProperty('time');
  });

  it('prints an aligned table', () => {
    const run = kdscope('decode', tmp.file('basic.pcap'), '--format', 'table');
    expect(run.status).toBe(0);
    const rows = run.stdout.split('\n');
    expect(rows[0]).toMatch(
      /^No\.\s+Time\s+Dir\s+Type\s+Id\s+Api\/State\s+Status\s+Len\s+Flags\s+Info$/,
    );
    const typeColumn = rows[0]!.indexOf('Type');
    expect(rows[6]!.slice(typeColumn)).toMatch(/^STATE_MANIPULATE 0x80800800 GetVersion/);
    expect(rows[18]).toMatch(/CKSUM/);
    expect(rows[20]).toMatch(/RETX/);
    expect(run.stdout).toMatch(/28 packets \(13 data, 15 control\), 1 break-ins/);
  });

  it('prints what it could read of a cut capture, then one line naming file and offset, exit 2', () => {
    const cut = tmp.file('cut.pcap');
    writeFileSync(cut, readFileSync(tmp.file('basic.pcap')));
    truncateSync(cut, statSync(cut).size - 40);
    const run = kdscope('decode', cut);
    expect(run.status).toBe(2);
    const out = lines(run.stdout);
    expect(out.length).toBeGreaterThan(20);
    expect(out.at(-1)).toMatchObject({ kind: 'summary' });
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(new RegExp(`^kdscope decode: .*cut\\.pcap.*byte \\d+`));
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('names a damaged pcapng packet block by the frame number NDJSON gives it', () => {
    const good = buildPcapng(
      SESSION_BASIC.slice(0, 3).map((s) => ({
        timeUs: s.timeMs * 1000,
        data: seedFrame(s.dir, s.bytes),
      })),
    );
    const blocks: { type: number; at: number; length: number }[] = [];
    const view = new DataView(good.buffer);
    for (let at = 0; at < good.length; at += view.getUint32(at + 4, true))
      blocks.push({ type: view.getUint32(at, true), at, length: view.getUint32(at + 4, true) });
    const packets = blocks.filter((b) => b.type === 6);
    expect(packets).toHaveLength(3);
    const decodeBytes = (name: string, bytes: Uint8Array) => {
      const path = tmp.file(name);
      writeFileSync(path, bytes);
      const run = kdscope('decode', path);
      expect(run.status).toBe(2);
      const frames = lines(run.stdout)
        .filter((l) => l.kind !== 'summary')
        .map((l) => l.frame as number);
      return { stderr: run.stderr, frames };
    };
    for (const k of [0, 1]) {
      const bad = Uint8Array.from(good);
      new DataView(bad.buffer).setUint32(packets[k]!.at + 20, 0xffffff00, true);
      const { stderr, frames } = decodeBytes(`caplen-${k}.pcapng`, bad);
      expect(stderr).toBe(
        `kdscope decode: ${tmp.file(`caplen-${k}.pcapng`)}: corrupt packet block (captured length 4294967040) at byte ${packets[k]!.at} (frame ${k + 1})\n`,
      );
      // The packets before it are frames 1..k.
      expect(new Set(frames)).toEqual(new Set(Array.from({ length: k }, (_, i) => i + 1)));
    }
    // No interface description block: the first packet block is frame 1.
    const idb = blocks.find((b) => b.type === 1)!;
    const noIdb = Buffer.concat([good.subarray(0, idb.at), good.subarray(idb.at + idb.length)]);
    const { stderr } = decodeBytes('no-idb.pcapng', noIdb);
    expect(stderr).toBe(
      `kdscope decode: ${tmp.file('no-idb.pcapng')}: packet block for undeclared interface 0 at byte ${packets[0]!.at - idb.length} (frame 1)\n`,
    );
  });

  it('answers bad usage and unreadable input with one line and exit 2', () => {
    const cases: [string[], RegExp][] = [
      [['decode'], /which capture/],
      [['decode', 'a', 'b'], /one capture at a time/],
      [['decode', tmp.file('basic.pcap'), '--format', 'xml'], /--format must be ndjson or table/],
      [['decode', '--debugger', 'x'], /both --debugger FILE and --target FILE/],
      [['decode', tmp.file('nope.pcap')], /cannot read capture .*nope\.pcap/],
      [['decode', BIN], /is not a pcap or pcapng capture/],
      [['decode', tmp.file('basic.pcap'), '--key', 'not-a-key'], /key/i],
      [['decode', tmp.file('basic.pcap'), '--bogus'], /unknown option --bogus/],
      [['decode', tmp.file('basic.pcap'), '-x'], /^kdscope decode: unknown option -x\n$/],
      [['export', tmp.file('basic.pcap'), '-o', 'x.pcap'], /^kdscope export: unknown option -o\n$/],
    ];
    for (const [args, message] of cases) {
      const run = kdscope(...args);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('says there was nothing to decode (exit 2) when the input holds no KD bytes', () => {
    const empty = tmp.file('empty.bin');
    writeFileSync(empty, new Uint8Array(0));
    const headerOnly = tmp.file('header-only.pcap');
    writeFileSync(headerOnly, buildPcap([]));
    const dns = tmp.file('dns.pcap');
    const ends = { ...SEED_ENDS['debugger->target'], srcPort: 5353, dstPort: 53 };
    writeFileSync(dns, buildPcap([{ timeUs: 0, data: udpFrame(ends, new Uint8Array(20)) }]));
    const cases: [string[], RegExp][] = [
      [
        ['--debugger', '/dev/null', '--target', '/dev/null'],
        /\/dev\/null \+ \/dev\/null: both streams are empty/,
      ],
      [['--debugger', empty, '--target', empty], /both streams are empty/],
      [[headerOnly], /header-only\.pcap: the capture has no frames/],
      [[dns], /dns\.pcap: none of its 1 frames carries KD bytes \(other-udp 1\)/],
    ];
    for (const [args, message] of cases) {
      const run = kdscope('decode', ...args);
      expect(run.status, args.join(' ')).toBe(2);
      // The summary is still printed, for a reader that expects one.
      expect(lines(run.stdout).at(-1), args.join(' ')).toMatchObject({
        kind: 'summary',
        packets: 0,
      });
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stderr, args.join(' ')).toMatch(/^kdscope decode: nothing to decode: /);
      expect(run.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('stops quietly when its reader goes away (| head)', async () => {
    // A capture long enough that the output outlives a reader that reads one chunk.
    const many: StreamChunk[] = [];
    for (let i = 0; i < 400; i++)
      for (const f of frames) many.push({ ...f, timeUs: f.timeUs + i * 2_000_000 });
    const path = tmp.file('long.pcap');
    writeCapture(path, many, 'pcap');
    const child = spawn(process.execPath, [BIN, 'decode', path], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });

  it('decodes the real KDNET capture with its key; without it says what is missing', () => {
    expect(existsSync(REAL_KDNET), `the real capture is missing: ${REAL_KDNET}`).toBe(true);
    const run = kdscope('decode', REAL_KDNET, '--key', '8.8.8.8');
    expect(run.status).toBe(0);
    const out = lines(run.stdout);
    const summary = out.at(-1)!;
    expect(summary).toMatchObject({ kind: 'summary', checksumErrors: 0 });
    expect(summary.packets as number).toBeGreaterThan(100);
    const packets = out.filter((l) => l.kind === 'packet');
    // KDNET ids count up by 2; the tracker must not flag them as unexpected.
    expect(summary.unexpectedIds as number).toBeLessThan(packets.length / 50);
    expect(packets[0]).toMatchObject({ dir: 'target->debugger', type: 'DEBUG_IO' });
    expect(out.some((l) => l.type === 'STATE_MANIPULATE' && l.apiName === 'GetVersion')).toBe(true);
    const noKey = kdscope('decode', REAL_KDNET);
    expect(noKey.status).toBe(0);
    expect(noKey.stderr).toMatch(/KDNET datagrams skipped: give the key with --key/);
    // Exported with its key, the capture becomes the seed's plain serial format.
    const plain = tmp.file('kdnet-decrypted.pcap');
    expect(
      kdscope('export', REAL_KDNET, '--key', '8.8.8.8', '--decrypt', '--out', plain).status,
    ).toBe(0);
    const again = lines(kdscope('decode', plain).stdout);
    const strip = (l: Record<string, unknown>) => ({ ...l, capture: undefined, frame: undefined });
    expect(again.map(strip)).toEqual(out.map(strip));
  });
});

describe('kdscope export (process)', () => {
  it('re-writes pcap as pcapng and back without changing a decoded record', () => {
    const source = tmp.file('basic.pcap');
    const reference = lines(kdscope('decode', source).stdout).slice(0, -1);
    const ng = tmp.file('x.pcapng');
    const back = tmp.file('y.pcap');
    expect(kdscope('export', source, '--out', ng).status).toBe(0);
    expect(kdscope('export', ng, '--out', back).status).toBe(0);
    expect(lines(kdscope('decode', ng).stdout).slice(0, -1)).toEqual(reference);
    expect(lines(kdscope('decode', back).stdout).slice(0, -1)).toEqual(reference);
    expect(readFileSync(back).equals(readFileSync(source))).toBe(true);
  });

  it('exports exactly the records a filter matches, each as one frame tshark can read', () => {
    const tshark = requireTool('tshark');
    const out = tmp.file('manip.pcap');
    const run = kdscope(
      'export',
      tmp.file('basic.pcap'),
      '--out',
      out,
      '--filter',
      'type == STATE_MANIPULATE && dir == d2t',
    );
    expect(run.status).toBe(0);
    const decoded = lines(kdscope('decode', out).stdout).slice(0, -1);
    expect(decoded.map((l) => l.apiName)).toEqual([
      'GetVersion',
      'ReadVirtualMemory',
      'Continue2',
      'ReadVirtualMemory',
      'ReadVirtualMemory',
      'Continue2',
    ]);
    expect(decoded.map((l) => l.checksumOk)).toEqual([true, true, true, false, true, true]);
    const t = spawnSync(tshark, ['-r', out, '-T', 'fields', '-e', 'udp.length'], {
      encoding: 'utf8',
    });
    expect(t.status).toBe(0);
    expect(t.stdout.trim().split('\n').map(Number)).toEqual([81, 81, 81, 81, 81, 81]);
  });

  it('of a cut capture: the frames before the damage, and the count the file holds', () => {
    const cut = tmp.file('cut-for-export.pcap');
    writeFileSync(cut, readFileSync(tmp.file('basic.pcap')));
    truncateSync(cut, statSync(cut).size - 40);
    for (const filter of [[], ['--filter', 'checksumOk || !checksumOk']]) {
      const out = tmp.file('cut-export.pcapng');
      const run = kdscope('export', cut, '--out', out, ...filter);
      expect(run.status).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      const n = Number(/wrote the (\d+) frames before it/.exec(run.stderr)?.[1]);
      expect(n, run.stderr).toBeGreaterThan(10);
      expect(openCapture(out).forEach(() => undefined).frames).toBe(n);
    }
  });

  it('refuses a bad filter, a bad --out and a missing capture with one line', () => {
    const source = tmp.file('basic.pcap');
    const cases: [string[], RegExp][] = [
      [
        ['export', source, '--out', tmp.file('z.pcap'), '--filter', 'type =='],
        /--filter: .*column/,
      ],
      [['export', source, '--out', tmp.file('z.txt')], /must end in \.pcap or \.pcapng/],
      [['export', source], /--out/],
      [['export', source, '--out', source], /capture being read/],
      [['export', tmp.file('missing.pcap'), '--out', tmp.file('z.pcap')], /cannot read capture/],
    ];
    for (const [args, message] of cases) {
      const run = kdscope(...args);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
