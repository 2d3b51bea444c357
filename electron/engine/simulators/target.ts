// A simulated KD target (an AMD64 Windows kernel as the debugger sees it over a COM-like
// stream): answers RESET, reports LoadSymbols for its kernel, serves manipulate requests
// from a synthetic image and CPU, runs on Continue2 (DbgPrints, then a breakpoint) and stops
// on a break-in byte. Bytes in through feed(), out through onSend() listeners; attach() ties
// both to a stream.

import type { Duplex } from 'node:stream';
import {
  ManipulateApi,
  PACKET_MAX_SIZE,
  PacketType,
  StateChange,
} from '../../../protocol/kd/constants';
import { KdLink, LinkError, type LinkStats, type LinkTimers } from '../../../protocol/kd/link';
import { ansiBytes } from '../../../protocol/kd/payloads/bytes';
import { buildPrintString } from '../../../protocol/kd/payloads/debug-io';
import {
  MANIPULATE_SIZE,
  buildManipulate,
  decodeManipulate,
  type DecodedManipulate,
} from '../../../protocol/kd/payloads/manipulate';
import { buildStateChange64 } from '../../../protocol/kd/payloads/state-change';
import { SimContext } from './context';
import { WireFault, type SimFault } from './faults';
import { IMAGE_BASE, IMAGE_PATH, IMAGE_SIZE, ImageLayout, SimMemory, prng } from './memory';
import { nodeTimers } from './timers';

export const Status = {
  SUCCESS: 0,
  BREAKPOINT: 0x80000003,
  UNSUCCESSFUL: 0xc0000001,
  NOT_IMPLEMENTED: 0xc0000002,
} as const;

/** The windbg-uefi target's DBGKD_GET_VERSION64 (PROTOCOL.md). */
export const SIM_VERSION = {
  majorVersion: 0xf,
  minorVersion: 0x4a61,
  protocolVersion: 6,
  kdSecondaryVersion: 0,
  flags: 0x47,
  machineType: 0x8664,
  maxPacketType: 12,
  maxStateChange: 3,
  maxManipulate: 0x33,
  simulation: 0,
} as const;

/** MSRs the target knows; others answer STATUS_UNSUCCESSFUL. */
export const SIM_MSRS: ReadonlyMap<number, bigint> = new Map([
  [0x1b, 0xfee00900n], // IA32_APIC_BASE: enabled, BSP
  [0xc0000080, 0xd01n], // IA32_EFER: SCE | LME | LMA | NXE
  [0xc0000081, 0x0023001000000000n], // STAR
  [0xc0000082, IMAGE_BASE + 0x1c00n], // LSTAR: the syscall entry
  [0xc0000101, IMAGE_BASE + BigInt(ImageLayout.kpcr)], // GS_BASE: the KPCR
  [0xc0000102, 0n], // KERNEL_GS_BASE
]);

/** Largest memory transfer one reply carries. */
export const MAX_TRANSFER = PACKET_MAX_SIZE - MANIPULATE_SIZE;

export interface SimTargetOptions {
  /** Seeds the image contents, registers and DbgPrint texts. */
  readonly seed?: number;
  /** Delay added to everything the target writes. */
  readonly latencyMs?: number;
  readonly fault?: SimFault;
  readonly ackTimeoutMs?: number;
  /** How long a Continue2 runs before the first DbgPrint / the breakpoint. */
  readonly runMs?: number;
  readonly timers?: LinkTimers;
}

export type SimTargetState = 'waiting' | 'stopped' | 'running' | 'closed';

export interface SimTargetStats {
  link: LinkStats;
  stateChanges: number;
  manipulates: number;
  notImplemented: number;
  breakinsIgnored: number;
  faultsApplied: number;
}

interface Breakpoint {
  readonly address: bigint;
}

type Outcome = { readonly reply: Uint8Array } | { readonly resume: true };

export class SimTarget {
  readonly memory: SimMemory;
  readonly context: SimContext;
  private readonly link: KdLink;
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();
  private readonly wireFault: WireFault;
  private readonly breakpoints = new Map<number, Breakpoint>();
  private readonly msrs = new Map(SIM_MSRS);
  private readonly timers: LinkTimers;
  private readonly prints: () => number;
  private nextHandle = 1;
  private repliesSent = 0;
  private generation = 0;
  private stateChange: Uint8Array | undefined;
  private cancelRun: (() => void) | undefined;
  private runs = 0;
  private stateNow: SimTargetState = 'waiting';
  private readonly counters = {
    stateChanges: 0,
    manipulates: 0,
    notImplemented: 0,
    breakinsIgnored: 0,
  };

  constructor(private readonly options: SimTargetOptions = {}) {
    const seed = options.seed ?? 1;
    this.memory = new SimMemory(seed);
    this.context = new SimContext(
      seed,
      IMAGE_BASE + BigInt(ImageLayout.entryPoint),
      IMAGE_BASE + BigInt(ImageLayout.stackTop),
    );
    this.prints = prng(seed ^ 0x9e3779b9);
    this.timers = options.timers ?? nodeTimers;
    this.wireFault = new WireFault(options.fault);
    this.link = new KdLink({
      role: 'target',
      timers: this.timers,
      ackTimeoutMs: options.ackTimeoutMs ?? 1000,
      // kdcom resends a state change or reply until it is acknowledged, however long.
      maxSends: Number.POSITIVE_INFINITY,
      send: (bytes) => this.write(bytes),
      onReset: () => this.onReset(),
      onBreakin: () => this.onBreakin(),
    });
  }

  get state(): SimTargetState {
    return this.stateNow;
  }

  /** Nothing is waiting for an ACK (so a packet from the debugger now cannot cross one of ours). */
  get idle(): boolean {
    return this.link.pendingSends === 0;
  }

  get stats(): SimTargetStats {
    return {
      link: { ...this.link.stats },
      ...this.counters,
      faultsApplied: this.wireFault.applied,
    };
  }

  /** Bytes from the debugger. */
  feed(bytes: Uint8Array): void {
    this.link.feed(bytes);
  }

  /** Bytes to the debugger; returns the disposer. */
  onSend(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Serves a stream (a socket, a pipe, the bridge's in-process channel) until it closes. */
  attach(stream: Duplex): () => void {
    const onData = (chunk: Buffer): void =>
      this.feed(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    const onGone = (): void => this.close();
    const offSend = this.onSend((bytes) => {
      if (!stream.destroyed && stream.writable) stream.write(bytes);
    });
    stream.on('data', onData);
    stream.once('close', onGone);
    stream.once('end', onGone);
    stream.on('error', onGone);
    return () => {
      offSend();
      stream.off('data', onData);
      stream.off('close', onGone);
      stream.off('end', onGone);
      stream.off('error', onGone);
    };
  }

  close(): void {
    if (this.stateNow === 'closed') return;
    this.stateNow = 'closed';
    this.generation++;
    this.cancelRun?.();
    this.link.close();
    this.listeners.clear();
  }

  private write(bytes: Uint8Array): void {
    const out = this.wireFault.apply(bytes);
    if (!out) return;
    const latency = this.options.latencyMs ?? 0;
    if (latency > 0) {
      this.timers.set(latency, () => this.emit(out));
    } else {
      this.emit(out);
    }
  }

  private emit(bytes: Uint8Array): void {
    for (const listener of this.listeners) listener(bytes);
  }

  private onReset(): void {
    // A stopped kernel sends its state change again after a RESET (KdpSendWaitContinue sees
    // "resend"); a running one only polls for break-in, so nothing changes.
    if (this.stateNow === 'waiting') this.stop(this.loadSymbols());
    else if (this.stateNow === 'stopped' && this.stateChange) this.stop(this.stateChange);
  }

  private onBreakin(): void {
    if (this.stateNow === 'waiting') this.stop(this.loadSymbols());
    else if (this.stateNow === 'running') {
      this.stop(this.exception(IMAGE_BASE + BigInt(ImageLayout.breakInPoint)));
    } else this.counters.breakinsIgnored++;
  }

  /** Enters the debugger: report `stateChange`, then serve manipulates until a continue. */
  private stop(stateChange: Uint8Array): void {
    this.cancelRun?.();
    this.cancelRun = undefined;
    this.stateNow = 'stopped';
    this.stateChange = stateChange;
    const generation = ++this.generation;
    void this.serve(generation, stateChange);
  }

  private async serve(generation: number, stateChange: Uint8Array): Promise<void> {
    try {
      this.counters.stateChanges++;
      await this.link.send(PacketType.STATE_CHANGE64, stateChange);
      while (generation === this.generation) {
        const packet = await this.link.receive([PacketType.STATE_MANIPULATE]);
        if (generation !== this.generation) return;
        const outcome = this.manipulate(decodeManipulate(packet.payload));
        if ('resume' in outcome) {
          this.run();
          return;
        }
        await this.link.send(PacketType.STATE_MANIPULATE, outcome.reply);
      }
    } catch (error) {
      // A RESET or close ends this round; the RESET handler has started the next one.
      if (!(error instanceof LinkError)) throw error;
    }
  }

  /** Continue2: run a while, print a line or two, then hit the first breakpoint (if any). */
  private run(): void {
    this.stateNow = 'running';
    this.stateChange = undefined;
    this.context.rip = IMAGE_BASE + BigInt(ImageLayout.idleLoop);
    const generation = ++this.generation;
    const run = ++this.runs;
    this.cancelRun = this.timers.set(this.options.runMs ?? 10, () => {
      this.cancelRun = undefined;
      void this.running(generation, run);
    });
  }

  private async running(generation: number, run: number): Promise<void> {
    const lines = 1 + (this.prints() % 2);
    try {
      for (let i = 0; i < lines && generation === this.generation; i++) {
        const text = `kdscope sim: run ${run}, tick ${this.prints() % 100000}\n`;
        await this.link.send(PacketType.DEBUG_IO, buildPrintString(text));
      }
    } catch (error) {
      if (!(error instanceof LinkError)) throw error;
      return;
    }
    if (generation !== this.generation || this.stateNow !== 'running') return;
    const first = this.breakpoints.values().next();
    if (!first.done) this.stop(this.exception(first.value.address));
    // No breakpoint: keep running until a break-in.
  }

  private loadSymbols(): Uint8Array {
    const pc = IMAGE_BASE + BigInt(ImageLayout.entryPoint);
    this.context.rip = pc;
    return buildStateChange64(
      {
        newState: StateChange.LoadSymbols,
        numberProcessors: 1,
        thread: IMAGE_BASE + BigInt(ImageLayout.thread),
        programCounter: pc,
        fields: {
          baseOfDll: IMAGE_BASE,
          processId: 0n,
          checkSum: this.memory.checkSum,
          sizeOfImage: IMAGE_SIZE,
          unloadSymbols: 0,
        },
        controlReport: this.controlReport(pc),
      },
      ansiBytes(IMAGE_PATH, true),
    );
  }

  private exception(pc: bigint): Uint8Array {
    this.context.rip = pc;
    return buildStateChange64({
      newState: StateChange.Exception,
      numberProcessors: 1,
      thread: IMAGE_BASE + BigInt(ImageLayout.thread),
      programCounter: pc,
      fields: {
        exceptionCode: Status.BREAKPOINT,
        exceptionFlags: 0,
        exceptionRecord: 0n,
        exceptionAddress: pc,
        numberParameters: 1,
        exceptionInformation: [0n],
        firstChance: 1,
      },
      controlReport: this.controlReport(pc),
    });
  }

  private controlReport(pc: bigint) {
    return {
      dr6: 0n,
      dr7: this.context.dr7,
      eFlags: this.context.eFlags,
      instructionCount: 16,
      reportFlags: 3, // REPORT_INCLUDES_SEGS | REPORT_STANDARD_CS
      instructionStream: this.memory.readVirtual(pc, 16),
      segCs: 0x10,
      segDs: 0x2b,
      segEs: 0x2b,
      segFs: 0x53,
    };
  }

  private manipulate(request: DecodedManipulate): Outcome {
    this.counters.manipulates++;
    const f = request.fields;
    const A = ManipulateApi;
    const reply = (
      returnStatus: number,
      fields: Record<string, number | bigint | Uint8Array | undefined> = {},
      data?: Uint8Array,
    ): Outcome => {
      this.repliesSent++;
      const fault = this.options.fault;
      const garbled = fault?.kind === 'garble' && this.repliesSent % fault.every === 0;
      return {
        reply: buildManipulate(
          {
            api: garbled ? request.api ^ 0x0100 : request.api,
            processorLevel: request.processorLevel,
            processor: request.processor,
            returnStatus,
            fields: { ...f, ...fields },
          },
          data,
        ),
      };
    };
    const u64 = (key: string): bigint => (typeof f[key] === 'bigint' ? f[key] : 0n);
    const u32 = (key: string): number => (typeof f[key] === 'number' ? f[key] : 0);

    switch (request.api) {
      case A.GetVersion:
        return reply(Status.SUCCESS, {
          ...SIM_VERSION,
          kernBase: IMAGE_BASE,
          psLoadedModuleList: IMAGE_BASE + BigInt(ImageLayout.psLoadedModuleList),
          debuggerDataList: IMAGE_BASE + BigInt(ImageLayout.debuggerDataList),
        });
      case A.ReadVirtualMemory:
      case A.ReadPhysicalMemory: {
        const count = Math.min(u32('transferCount'), MAX_TRANSFER);
        const address = u64('targetBaseAddress');
        const data =
          request.api === A.ReadVirtualMemory
            ? this.memory.readVirtual(address, count)
            : this.memory.readPhysical(address, count);
        return reply(Status.SUCCESS, { actualBytesRead: count }, data);
      }
      case A.WriteVirtualMemory:
      case A.WritePhysicalMemory: {
        const data = request.data.subarray(0, u32('transferCount'));
        const address = u64('targetBaseAddress');
        const written =
          request.api === A.WriteVirtualMemory
            ? this.memory.writeVirtual(address, data)
            : this.memory.writePhysical(address, data);
        return reply(written === data.length ? Status.SUCCESS : Status.UNSUCCESSFUL, {
          actualBytesWritten: written,
        });
      }
      case A.ReadControlSpace: {
        // AMD64 control space: 0 KPCR, 1 KPRCB, 2 special registers, 3 KTHREAD.
        const which = Number(u64('targetBaseAddress'));
        const pointers: Record<number, number> = {
          0: ImageLayout.kpcr,
          1: ImageLayout.kprcb,
          3: ImageLayout.thread,
        };
        const rva = pointers[which];
        const count = Math.min(u32('transferCount'), MAX_TRANSFER);
        const data = new Uint8Array(count);
        if (rva !== undefined && count >= 8) {
          new DataView(data.buffer).setBigUint64(0, IMAGE_BASE + BigInt(rva), true);
        }
        return reply(Status.SUCCESS, { actualBytesRead: count }, data);
      }
      case A.GetContext:
        return reply(Status.SUCCESS, {}, this.context.read(0, this.context.bytes.length));
      case A.SetContext:
        this.context.write(0, request.data);
        return reply(Status.SUCCESS);
      case A.GetContextEx: {
        const data = this.context.read(u32('offset'), u32('byteCount'));
        return reply(Status.SUCCESS, { bytesCopied: data.length }, data);
      }
      case A.SetContextEx: {
        const copied = this.context.write(
          u32('offset'),
          request.data.subarray(0, u32('byteCount')),
        );
        return reply(Status.SUCCESS, { bytesCopied: copied });
      }
      case A.WriteBreakPoint: {
        const address = u64('breakPointAddress');
        if (!this.memory.mapped(address)) {
          return reply(Status.UNSUCCESSFUL, { breakPointHandle: 0 });
        }
        const handle = this.nextHandle++;
        this.breakpoints.set(handle, { address });
        return reply(Status.SUCCESS, { breakPointHandle: handle });
      }
      case A.RestoreBreakPoint: {
        const removed = this.breakpoints.delete(u32('breakPointHandle'));
        return reply(removed ? Status.SUCCESS : Status.UNSUCCESSFUL);
      }
      case A.ReadMachineSpecificRegister: {
        const value = this.msrs.get(u32('msr'));
        if (value === undefined) return reply(Status.UNSUCCESSFUL);
        return reply(Status.SUCCESS, {
          dataValueLow: Number(value & 0xffffffffn),
          dataValueHigh: Number(value >> 32n),
        });
      }
      case A.WriteMachineSpecificRegister: {
        const value = (BigInt(u32('dataValueHigh')) << 32n) | BigInt(u32('dataValueLow'));
        this.msrs.set(u32('msr'), value);
        return reply(Status.SUCCESS);
      }
      case A.Continue:
      case A.Continue2:
        return { resume: true };
      default:
        this.counters.notImplemented++;
        return reply(Status.NOT_IMPLEMENTED);
    }
  }
}
