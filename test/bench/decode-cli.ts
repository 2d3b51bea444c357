// `kdscope decode` as a process against tshark on the same seed-format capture: a realistic
// generated session (~90 k KD packets in ~170 k frames, ~17 MB), cut like the seed's relay
// (a kdcom sender writes header, payload and trailer separately; each write is one frame).
// Target: kdscope (NDJSON to /dev/null) >= 15x faster than `tshark -T fields -e frame.number`.

import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '../../electron/capture/capture-writers';
import { PCAP_HEADER_SIZE } from '../../electron/capture/pcap-format';
import {
  INITIAL_PACKET_ID,
  ManipulateApi,
  PacketType,
  StateChange,
} from '../../protocol/kd/constants';
import { encodeAck, encodeDataPacket } from '../../protocol/kd/encoder';
import type { Direction } from '../../protocol/kd/events';
import { buildManipulate } from '../../protocol/kd/payloads/manipulate';
import { buildPrintString } from '../../protocol/kd/payloads/debug-io';
import { buildStateChange64 } from '../../protocol/kd/payloads/state-change';

const ROOT = join(import.meta.dirname ?? process.cwd(), '../..');

function xorshift(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

export interface GeneratedCapture {
  readonly path: string;
  readonly frames: number;
  readonly packets: number;
  readonly bytes: number;
}

/**
 * Writes a seed-format pcap of a debugging session: manipulate round trips (reads of memory,
 * context, MSRs, breakpoints), DbgPrint output, state changes, a little line noise.
 */
export function generateSessionCapture(path: string, targetPackets = 90_000): GeneratedCapture {
  const rnd = xorshift(0x6b64);
  // Gathered writes: one synchronous write per frame made generation the slow part.
  const writer = PcapWriter.open(path, { bufferBytes: 1 << 20 });
  let timeUs = 1_732_521_600_000_000;
  let frames = 0;
  let packets = 0;
  const ids: Record<Direction, number> = {
    'debugger->target': INITIAL_PACKET_ID,
    'target->debugger': INITIAL_PACKET_ID,
  };
  const frame = (dir: Direction, bytes: Uint8Array): void => {
    timeUs += 20 + (rnd() & 255);
    writer.write({ dir, timeUs, bytes });
    frames++;
  };
  /** A data packet as kdcom writes it: header, payload and trailer in separate frames. */
  const send = (dir: Direction, type: number, payload: Uint8Array): void => {
    const id = ids[dir];
    const packet = encodeDataPacket(type, id, payload);
    if (rnd() % 8 === 0) frame(dir, packet);
    else {
      frame(dir, packet.subarray(0, 16));
      frame(dir, packet.subarray(16, packet.length - 1));
      frame(dir, packet.subarray(packet.length - 1));
    }
    const peer: Direction = dir === 'debugger->target' ? 'target->debugger' : 'debugger->target';
    frame(peer, encodeAck(id));
    ids[dir] = (id ^ 1) >>> 0;
    packets += 2;
  };
  const d2t: Direction = 'debugger->target';
  const t2d: Direction = 'target->debugger';
  const memory = new Uint8Array(0x1000).map((_, i) => (i * 7) & 0xff);
  const apis = [
    ManipulateApi.ReadVirtualMemory,
    ManipulateApi.ReadVirtualMemory,
    ManipulateApi.ReadVirtualMemory,
    ManipulateApi.GetContext,
    ManipulateApi.ReadControlSpace,
    ManipulateApi.ReadMachineSpecificRegister,
    ManipulateApi.WriteBreakPoint,
    ManipulateApi.RestoreBreakPoint,
  ];
  while (packets < targetPackets) {
    const r = rnd();
    if (r % 50 === 0) {
      send(t2d, PacketType.DEBUG_IO, buildPrintString(`driver: tick ${packets}\n`));
      continue;
    }
    if (r % 97 === 0) {
      send(
        t2d,
        PacketType.STATE_CHANGE64,
        buildStateChange64({
          newState: StateChange.Exception,
          fields: { exceptionCode: 0x80000003, firstChance: 1 },
        } as Parameters<typeof buildStateChange64>[0]),
      );
      continue;
    }
    if (r % 211 === 0) frame(d2t, Uint8Array.of(0x0d, 0x0a, 0x00));
    const api = apis[r % apis.length]!;
    const want = api === ManipulateApi.ReadVirtualMemory ? 16 << (rnd() % 5) : 0;
    const fields = { targetBaseAddress: 0xfffff80012340000n, transferCount: want };
    send(d2t, PacketType.STATE_MANIPULATE, buildManipulate({ api, fields } as never));
    const data =
      api === ManipulateApi.GetContext
        ? memory.subarray(0, 0x4d0)
        : want > 0
          ? memory.subarray(0, want)
          : undefined;
    send(
      t2d,
      PacketType.STATE_MANIPULATE,
      buildManipulate({ api, fields: { ...fields, actualBytesRead: want } } as never, data),
    );
  }
  // Both directions end at the initial id, so copies of this session follow one another
  // without a jump in packet ids (generateScaledCapture).
  if (ids[d2t] !== INITIAL_PACKET_ID) {
    const fields = { targetBaseAddress: 0n, transferCount: 0 };
    const api = ManipulateApi.GetVersion;
    send(d2t, PacketType.STATE_MANIPULATE, buildManipulate({ api, fields } as never));
    send(t2d, PacketType.STATE_MANIPULATE, buildManipulate({ api, fields } as never));
  }
  if (ids[t2d] !== INITIAL_PACKET_ID)
    send(t2d, PacketType.DEBUG_IO, buildPrintString('driver: done\n'));
  writer.close();
  return { path, frames, packets, bytes: statSync(path).size };
}

/**
 * A capture of `copies` back-to-back copies of generateSessionCapture's session (~18 MB each),
 * written record by record from one generated copy: each copy's frames are shifted in time
 * past the previous one (whole seconds, so only ts_sec changes), and the KD stream continues
 * with the ids where the last copy left them. Seconds per gigabyte, bounded by the disk.
 */
export function generateScaledCapture(path: string, copies: number): GeneratedCapture {
  const one = generateSessionCapture(`${path}.one`);
  const block = readFileSync(one.path);
  rmSync(one.path);
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  // Offsets of every record's ts_sec, and the session's span in whole seconds.
  const secondsAt: number[] = [];
  let first = -1;
  let last = 0;
  for (let at = PCAP_HEADER_SIZE; at + 16 <= block.length;) {
    secondsAt.push(at);
    const seconds = view.getUint32(at, true);
    if (first < 0) first = seconds;
    last = seconds;
    at += 16 + view.getUint32(at + 8, true);
  }
  const span = last - first + 1;
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, block, 0, PCAP_HEADER_SIZE);
    const records = block.subarray(PCAP_HEADER_SIZE);
    for (let copy = 0; copy < copies; copy++) {
      if (copy > 0)
        for (const at of secondsAt) view.setUint32(at, view.getUint32(at, true) + span, true);
      for (let at = 0; at < records.length;) at += writeSync(fd, records, at, records.length - at);
    }
  } finally {
    closeSync(fd);
  }
  return {
    path,
    frames: one.frames * copies,
    packets: one.packets * copies,
    bytes: statSync(path).size,
  };
}

interface Timing {
  readonly wallMs: number;
  /** User + system CPU of the child (from /usr/bin/time), when that tool is there. */
  readonly cpuMs: number | undefined;
}

const GNU_TIME = '/usr/bin/time';

/** Runs a command with stdout to `stdoutFd`; wall time, and CPU time via GNU time if present. */
function timeCommand(
  command: string,
  args: readonly string[],
  stdoutFd: number,
  dir: string,
): Timing {
  const report = join(dir, 'time.txt');
  const viaTime = existsSync(GNU_TIME);
  const start = performance.now();
  const result = viaTime
    ? spawnSync(GNU_TIME, ['-f', '%U %S', '-o', report, command, ...args], {
        stdio: ['ignore', stdoutFd, 'pipe'],
      })
    : spawnSync(command, args, { stdio: ['ignore', stdoutFd, 'pipe'] });
  const wallMs = performance.now() - start;
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  let cpuMs: number | undefined;
  if (viaTime) {
    const [user, sys] = readFileSync(report, 'utf8')
      .trim()
      .split('\n')
      .at(-1)!
      .split(' ')
      .map(Number);
    cpuMs = ((user ?? 0) + (sys ?? 0)) * 1000;
  }
  return { wallMs, cpuMs };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

function medianTiming(timings: readonly Timing[]): Timing {
  const cpu = timings.map((t) => t.cpuMs).filter((x): x is number => x !== undefined);
  return {
    wallMs: median(timings.map((t) => t.wallMs)),
    cpuMs: cpu.length > 0 ? median(cpu) : undefined,
  };
}

export interface CliComparison {
  readonly kdscope: Timing;
  readonly tshark: Timing;
  readonly capture: GeneratedCapture;
}

export function compareWithTshark(runs = 5): CliComparison {
  const dir = mkdtempSync(join(tmpdir(), 'kdscope-bench-'));
  try {
    const capture = generateSessionCapture(join(dir, 'session.pcap'));
    const devNull = openSync('/dev/null', 'w');
    try {
      const bin = join(ROOT, 'bin/kdscope.mjs');
      const decodeArgs = [bin, 'decode', capture.path, '--format', 'ndjson'];
      timeCommand(process.execPath, decodeArgs, devNull, dir); // builds the bundle if stale
      const kdscope: Timing[] = [];
      for (let i = 0; i < runs; i++)
        kdscope.push(timeCommand(process.execPath, decodeArgs, devNull, dir));
      const tshark: Timing[] = [];
      for (let i = 0; i < Math.max(1, Math.ceil(runs / 2)); i++)
        tshark.push(
          timeCommand(
            'tshark',
            ['-r', capture.path, '-T', 'fields', '-e', 'frame.number'],
            devNull,
            dir,
          ),
        );
      return { kdscope: medianTiming(kdscope), tshark: medianTiming(tshark), capture };
    } finally {
      closeSync(devNull);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Prints the comparison: wall time (what the target is about) and CPU time (steadier here). */
export function printComparison({ kdscope, tshark, capture }: CliComparison): void {
  console.log(
    `capture: ${(capture.bytes / 1e6).toFixed(1)} MB, ${capture.frames} frames, ${capture.packets} KD packets`,
  );
  const cpu = (t: Timing): string =>
    t.cpuMs === undefined ? '' : `, ${t.cpuMs.toFixed(0)} ms CPU`;
  console.log(
    `tshark -T fields -e frame.number   ${tshark.wallMs.toFixed(0)} ms wall${cpu(tshark)} (baseline)`,
  );
  console.log(
    `kdscope decode --format ndjson     ${kdscope.wallMs.toFixed(0)} ms wall${cpu(kdscope)}`,
  );
  let ratio = `ratio: kdscope is ${(tshark.wallMs / kdscope.wallMs).toFixed(1)}x faster in wall time`;
  if (tshark.cpuMs !== undefined && kdscope.cpuMs !== undefined)
    ratio += `, ${(tshark.cpuMs / kdscope.cpuMs).toFixed(1)}x in CPU time`;
  console.log(`${ratio} (target >= 15x)`);
}

export async function run(): Promise<void> {
  printComparison(compareWithTshark());
}
