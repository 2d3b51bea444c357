// Cost of describePacket (runs on every packet) on a mix shaped like the real capture, against
// a baseline measured in the same run: payloadChecksum over the same payloads (the byte sum
// the framing decoder already pays per packet). Also the full typed decoders and
// dissectPacket (run on demand, for the selected packet), for scale.

import {
  DebugIoApi,
  FileIoApi,
  ManipulateApi,
  PacketType,
  StateChange,
} from '../../protocol/kd/constants';
import type { Direction } from '../../protocol/kd/events';
import { encodeDataPacket, payloadChecksum } from '../../protocol/kd/encoder';
import {
  ansiBytes,
  buildFileIo,
  buildManipulate,
  buildPrintString,
  buildStateChange64,
  decodeDebugIo,
  decodeFileIo,
  decodeManipulate,
  decodeStateChange64,
  describePacket,
  dissectPacket,
  fileNameBytes,
} from '../../protocol/kd/payloads';

interface Item {
  readonly type: number;
  readonly dir: Direction;
  readonly payload: Uint8Array;
}

const D: Direction = 'debugger->target';
const T: Direction = 'target->debugger';
const PENDING = 0x103;

function mix(): Item[] {
  const rvmReq = buildManipulate({
    api: ManipulateApi.ReadVirtualMemory,
    returnStatus: PENDING,
    fields: { targetBaseAddress: 0xfffff80012340000n, transferCount: 0x100 },
  });
  const rvmRep = buildManipulate(
    {
      api: ManipulateApi.ReadVirtualMemory,
      fields: {
        targetBaseAddress: 0xfffff80012340000n,
        transferCount: 0x100,
        actualBytesRead: 0x100,
      },
    },
    new Uint8Array(0x100).fill(0x90),
  );
  const restore = buildManipulate({
    api: ManipulateApi.RestoreBreakPoint,
    fields: { breakPointHandle: 1 },
  });
  const ctx = buildManipulate({ api: ManipulateApi.GetContext }, new Uint8Array(0x4d0));
  const version = buildManipulate({
    api: ManipulateApi.GetVersion,
    fields: {
      majorVersion: 0xf,
      minorVersion: 19041,
      protocolVersion: 6,
      machineType: 0x8664,
      kernBase: 0xfffff80012000000n,
    },
  });
  const print = buildPrintString('KDTARGET: Refreshing KD connection\n');
  const load = buildStateChange64(
    {
      newState: StateChange.LoadSymbols,
      fields: { baseOfDll: 0xfffff80012000000n, sizeOfImage: 0x1046000 },
    },
    ansiBytes('\\SystemRoot\\system32\\ntoskrnl.exe', true),
  );
  const exception = buildStateChange64({
    newState: StateChange.Exception,
    fields: { exceptionCode: 0x80000003, exceptionAddress: 0xfffff80012001100n, firstChance: 1 },
  });
  const create = buildFileIo(
    { api: FileIoApi.CreateFile },
    fileNameBytes('\\Windows\\system32\\drivers\\Wdf01000.sys'),
  );
  void DebugIoApi;
  // Weights roughly as in windbg-uncut: memory reads and breakpoints dominate.
  const weighted: [Item, number][] = [
    [{ type: PacketType.STATE_MANIPULATE, dir: D, payload: rvmReq }, 30],
    [{ type: PacketType.STATE_MANIPULATE, dir: T, payload: rvmRep }, 30],
    [{ type: PacketType.STATE_MANIPULATE, dir: D, payload: restore }, 20],
    [{ type: PacketType.STATE_MANIPULATE, dir: T, payload: ctx }, 4],
    [{ type: PacketType.STATE_MANIPULATE, dir: T, payload: version }, 1],
    [{ type: PacketType.DEBUG_IO, dir: T, payload: print }, 5],
    [{ type: PacketType.STATE_CHANGE64, dir: T, payload: load }, 2],
    [{ type: PacketType.STATE_CHANGE64, dir: T, payload: exception }, 1],
    [{ type: PacketType.FILE_IO, dir: T, payload: create }, 7],
  ];
  const out: Item[] = [];
  for (const [item, weight] of weighted) for (let i = 0; i < weight; i++) out.push(item);
  return out;
}

function time(rounds: number, items: readonly Item[], fn: (item: Item) => unknown): number {
  let sink = 0;
  const start = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const item of items) if (fn(item)) sink++;
  }
  const seconds = (performance.now() - start) / 1000;
  if (sink < 0) console.log(sink);
  return seconds;
}

function best(
  passes: number,
  rounds: number,
  items: readonly Item[],
  fn: (item: Item) => unknown,
): number {
  time(Math.max(1, rounds >> 4), items, fn);
  let b = Infinity;
  for (let i = 0; i < passes; i++) b = Math.min(b, time(rounds, items, fn));
  return b;
}

export async function run(): Promise<void> {
  const items = mix();
  const rounds = Number(process.env.KD_BENCH_ROUNDS ?? 20000);
  const packets = items.length * rounds;
  const avg = items.reduce((n, i) => n + i.payload.length, 0) / items.length;
  console.log(
    `mix: ${items.length} payloads (avg ${avg.toFixed(0)} B) x ${rounds} rounds = ${packets} packets`,
  );

  const baseline = best(3, rounds, items, (i) => payloadChecksum(i.payload));
  const describe = best(3, rounds, items, (i) => describePacket(i.type, i.payload, i.dir).info);
  const decode = best(3, rounds, items, (i) => {
    switch (i.type) {
      case PacketType.STATE_MANIPULATE:
        return decodeManipulate(i.payload);
      case PacketType.STATE_CHANGE64:
        return decodeStateChange64(i.payload);
      case PacketType.DEBUG_IO:
        return decodeDebugIo(i.payload);
      default:
        return decodeFileIo(i.payload);
    }
  });
  const wire = items.map((i) => ({
    ...i,
    payload: encodeDataPacket(i.type, 0x80800000, i.payload),
  }));
  const dissectRounds = Math.max(1, rounds >> 4);
  const dissect = best(3, dissectRounds, wire, (i) => dissectPacket(i.payload).length);

  const rate = (seconds: number, n = packets): string => `${(n / seconds / 1e6).toFixed(2)} M/s`;
  console.log(`baseline payloadChecksum: ${rate(baseline)}`);
  console.log(
    `describePacket:           ${rate(describe)}  (${(describe / baseline).toFixed(2)}x the checksum's time)`,
  );
  console.log(`typed decoders:           ${rate(decode)}  (${(decode / baseline).toFixed(2)}x)`);
  const dissectPackets = items.length * dissectRounds;
  console.log(
    `dissectPacket:            ${rate(dissect, dissectPackets)}  (${(dissect / dissectPackets / (baseline / packets)).toFixed(1)}x per packet)`,
  );
}
