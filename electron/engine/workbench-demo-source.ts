// TEMPORARY: a scripted KD conversation built with the encoder, standing in for the simulated
// target + scripted debugger + SessionDecoder until those land (electron/engine/simulators,
// protocol/session/pipeline). It yields the wire bytes per direction and the record a decoder
// would produce for them, so the UI, the streaming and the web mode can be built and tested.

import {
  INITIAL_PACKET_ID,
  ManipulateApi,
  PacketType,
  StateChange,
  manipulateApiName,
  packetTypeName,
  stateChangeName,
} from '../../protocol/kd/constants';
import {
  encodeAck,
  encodeBreakin,
  encodeDataPacket,
  encodeReset,
  payloadChecksum,
} from '../../protocol/kd/encoder';
import type { Direction } from '../../protocol/kd/events';
import { PacketFlag, type PacketRecord } from '../../protocol/session/record';

export interface DemoEmit {
  (dir: Direction, bytes: Uint8Array, record: Omit<PacketRecord, 'no' | 'time' | 'offset'>): void;
}

const D2T: Direction = 'debugger->target';
const T2D: Direction = 'target->debugger';

function manipulate(api: number, status: number, data: Uint8Array, address = 0n): Uint8Array {
  const p = new Uint8Array(56 + data.length);
  const v = new DataView(p.buffer);
  v.setUint32(0, api, true);
  v.setInt32(8, status, true);
  v.setBigUint64(16, address, true);
  v.setUint32(24, data.length || 0x100, true);
  v.setUint32(28, data.length, true);
  p.set(data, 56);
  return p;
}

/** Deterministic pseudo-random numbers so runs look the same. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const READS = [
  ManipulateApi.ReadVirtualMemory,
  ManipulateApi.GetContext,
  ManipulateApi.ReadControlSpace,
  ManipulateApi.ReadMachineSpecificRegister,
  ManipulateApi.ReadVirtualMemory,
  ManipulateApi.ReadPhysicalMemory,
];

/** Produces the conversation step by step; each step() emits a few packets. */
export class DemoConversation {
  private dbgId = INITIAL_PACKET_ID;
  private tgtId = INITIAL_PACKET_ID;
  private step_ = 0;
  private readonly random = lcg(0x4b44);
  /** no. of the pending manipulate request is not known here; the workbench fills `pair`. */
  constructor(private readonly emit: DemoEmit) {}

  private data(
    dir: Direction,
    type: number,
    payload: Uint8Array,
    extra: Partial<PacketRecord>,
    corrupt = false,
  ): void {
    const id = dir === D2T ? this.dbgId : this.tgtId;
    const bytes = encodeDataPacket(
      type,
      id,
      payload,
      corrupt ? { checksum: payloadChecksum(payload) ^ 0x55 } : {},
    );
    this.emit(dir, bytes, {
      dir,
      kind: 'packet',
      length: bytes.length,
      leader: 'data',
      type,
      typeName: packetTypeName(type),
      id,
      byteCount: payload.length,
      checksumOk: !corrupt,
      ...extra,
      flags: (extra.flags ?? 0) | (corrupt ? PacketFlag.CHECKSUM_ERROR : 0),
    });
  }

  private ack(dir: Direction, id: number): void {
    const bytes = encodeAck(id);
    this.emit(dir, bytes, {
      dir,
      kind: 'packet',
      length: bytes.length,
      leader: 'control',
      type: PacketType.ACKNOWLEDGE,
      typeName: 'ACKNOWLEDGE',
      id,
      byteCount: 0,
      checksumOk: true,
      flags: 0,
    });
  }

  private flip(dir: Direction): void {
    if (dir === D2T) this.dbgId ^= 1;
    else this.tgtId ^= 1;
  }

  /** One exchange: a data packet and its ACK (sometimes a resend first). */
  private exchange(
    dir: Direction,
    type: number,
    payload: Uint8Array,
    extra: Partial<PacketRecord>,
  ): void {
    const other = dir === D2T ? T2D : D2T;
    const id = dir === D2T ? this.dbgId : this.tgtId;
    if (this.random() < 0.02) {
      this.data(dir, type, payload, extra, true);
      this.data(dir, type, payload, {
        ...extra,
        flags: (extra.flags ?? 0) | PacketFlag.RETRANSMIT,
      });
    } else {
      this.data(dir, type, payload, extra);
    }
    this.ack(other, id);
    this.flip(dir);
  }

  step(): void {
    const n = this.step_++;
    if (n === 0) {
      for (const dir of [D2T, T2D]) {
        const bytes = encodeReset();
        this.emit(dir, bytes, {
          dir,
          kind: 'packet',
          length: bytes.length,
          leader: 'control',
          type: PacketType.RESET,
          typeName: 'RESET',
          id: 0,
          byteCount: 0,
          checksumOk: true,
          flags: PacketFlag.RESET,
        });
      }
      const path = new TextEncoder().encode('\\EFI\\Boot\\bootx64.efi\0');
      const sc = new Uint8Array(0xf0 + path.length);
      new DataView(sc.buffer).setUint32(0, StateChange.LoadSymbols, true);
      sc.set(path, 0xf0);
      this.exchange(T2D, PacketType.STATE_CHANGE64, sc, {
        newState: StateChange.LoadSymbols,
        newStateName: stateChangeName(StateChange.LoadSymbols),
        text: '\\EFI\\Boot\\bootx64.efi',
        info: 'LoadSymbols \\EFI\\Boot\\bootx64.efi',
      });
      this.manipulate(ManipulateApi.GetVersion, 0, new Uint8Array(0), 'GetVersion 15.0x4a61 AMD64');
      return;
    }
    const r = this.random();
    if (r < 0.03) {
      const bytes = encodeBreakin();
      this.emit(D2T, bytes, { dir: D2T, kind: 'breakin', length: 1, flags: PacketFlag.BREAKIN });
      const sc = new Uint8Array(0xf0);
      new DataView(sc.buffer).setUint32(0, StateChange.Exception, true);
      this.exchange(T2D, PacketType.STATE_CHANGE64, sc, {
        newState: StateChange.Exception,
        newStateName: 'Exception',
        info: 'Exception 0x80000003 at 0xfffff80000001000 first chance',
      });
    } else if (r < 0.1) {
      const text = `kdscope demo: DbgPrint line ${n}\n`;
      const t = new TextEncoder().encode(text);
      const p = new Uint8Array(16 + t.length);
      new DataView(p.buffer).setUint32(0, 0x3230, true);
      new DataView(p.buffer).setUint32(12, t.length, true);
      p.set(t, 16);
      this.exchange(T2D, PacketType.DEBUG_IO, p, {
        api: 0x3230,
        apiName: 'PrintString',
        text: text.trimEnd(),
        info: `PrintString "${text.trimEnd()}"`,
      });
    } else {
      const api = READS[Math.floor(this.random() * READS.length)]!;
      const fail = this.random() < 0.02;
      this.manipulate(api, fail ? 0xc0000001 | 0 : 0, new Uint8Array(fail ? 0 : 64 + (n % 4) * 64));
    }
  }

  private manipulate(api: number, status: number, reply: Uint8Array, info?: string): void {
    const address = 0xfffff80000000000n + BigInt((this.step_ * 0x1000) % 0x100000);
    const name = manipulateApiName(api);
    const at = `0x${address.toString(16)}`;
    this.exchange(
      D2T,
      PacketType.STATE_MANIPULATE,
      manipulate(api, 0, new Uint8Array(0), address),
      {
        api,
        apiName: name,
        returnStatus: 0,
        info: info ?? `${name} ${at}`,
      },
    );
    this.exchange(T2D, PacketType.STATE_MANIPULATE, manipulate(api, status, reply, address), {
      api,
      apiName: name,
      returnStatus: status >>> 0,
      info: `${name} ${at} -> ${status === 0 ? `0x${reply.length.toString(16)} bytes` : `status 0x${(status >>> 0).toString(16)}`}`,
      flags: status === 0 ? 0 : PacketFlag.ERROR_STATUS,
    });
  }
}
