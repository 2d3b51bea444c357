// A scripted KD debugger: drives a realistic session against any target (the simulator, a
// bridge in front of it, a VM) and checks every reply. The first thing that is wrong ends the
// run with one line saying what and where.

import type { Duplex } from 'node:stream';
import {
  ManipulateApi,
  PacketType,
  StateChange,
  manipulateApiName,
  stateChangeName,
} from '../../../protocol/kd/constants';
import {
  KdLink,
  LinkError,
  type LinkPacket,
  type LinkStats,
  type LinkTimers,
} from '../../../protocol/kd/link';
import {
  buildManipulate,
  decodeManipulate,
  type DecodedManipulate,
  type ManipulateInput,
} from '../../../protocol/kd/payloads/manipulate';
import {
  decodeStateChange64,
  type DecodedStateChange64,
} from '../../../protocol/kd/payloads/state-change';
import { ntStatusName } from '../../../protocol/kd/payloads/ntstatus';
import { CONTEXT_SIZE, ContextOffset } from './context';
import { IMAGE_PHYSICAL } from './memory';
import { nodeTimers } from './timers';

const STATUS_BREAKPOINT = 0x80000003;
const DBG_CONTINUE = 0x00010002;
const MSR_EFER = 0xc0000080;
const EFER_LMA = 0x400n;
const HEADERS = 0x400;

export interface ScriptedDebuggerOptions {
  /** Sessions to run back to back (for load); the first starts with RESET, the rest with a break-in. */
  readonly loops?: number;
  /** Pause between steps. */
  readonly paceMs?: number;
  /**
   * Packets a second on the wire, both ways (instead of paceMs): each step waits until the
   * packets so far are due at this rate. A pause after each step undershot the rate by half,
   * for the target's run time, the round trips and the timers' slack count too.
   */
  readonly rate?: number;
  /** How long to wait for a reply or a state change. */
  readonly replyTimeoutMs?: number;
  /** How long to wait for the state change after RESET before sending a break-in. */
  readonly stateChangeWaitMs?: number;
  readonly ackTimeoutMs?: number;
  readonly maxSends?: number;
  /** RESETs sent before giving up on an answer. */
  readonly resetTries?: number;
  /** Also check that physical memory at the simulator's image address holds the image. */
  readonly expectSimImage?: boolean;
  readonly timers?: LinkTimers;
  /** Progress, one line per step. */
  readonly log?: (line: string) => void;
}

export interface DebuggerReport {
  readonly ok: boolean;
  /** What went wrong, in one line (when !ok). */
  readonly error?: string;
  readonly loopsCompleted: number;
  readonly requests: number;
  readonly stateChanges: number;
  readonly prints: number;
  readonly elapsedMs: number;
  readonly link: LinkStats;
}

/** A check that failed: the message is the one line the CLI prints. */
export class SessionError extends Error {
  override readonly name = 'SessionError';
}

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;

export class ScriptedDebugger {
  private readonly link: KdLink;
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();
  private readonly timers: LinkTimers;
  private resetAnswered: (() => void) | undefined;
  private closedBy: string | undefined;
  private requests = 0;
  private stateChanges = 0;
  private prints = 0;
  private loopsCompleted = 0;
  private running = false;

  constructor(private readonly options: ScriptedDebuggerOptions = {}) {
    this.timers = options.timers ?? nodeTimers;
    this.link = new KdLink({
      role: 'debugger',
      timers: this.timers,
      ackTimeoutMs: options.ackTimeoutMs ?? 1000,
      maxSends: options.maxSends ?? 5,
      queueLimit: 64,
      send: (bytes) => {
        for (const listener of this.listeners) listener(bytes);
      },
      onReset: () => this.resetAnswered?.(),
    });
  }

  get stats(): LinkStats {
    return { ...this.link.stats };
  }

  feed(bytes: Uint8Array): void {
    this.link.feed(bytes);
  }

  onSend(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The peer went away: everything waiting fails with `why`. */
  disconnect(why: string): void {
    this.closedBy ??= why;
    this.link.close();
    this.resetAnswered?.();
  }

  /** Runs the script over `stream` (a connected socket or channel); never throws. */
  async runOver(stream: Duplex): Promise<DebuggerReport> {
    const onData = (chunk: Buffer): void =>
      this.feed(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    const onEnd = (): void => this.disconnect('the target closed the connection');
    const onError = (error: Error): void => this.disconnect(`connection error: ${error.message}`);
    const offSend = this.onSend((bytes) => {
      if (!stream.destroyed && stream.writable) stream.write(bytes);
    });
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    stream.on('error', onError);
    try {
      return await this.run();
    } finally {
      offSend();
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onError);
    }
  }

  /** Runs the script over feed()/onSend(); never throws. */
  async run(): Promise<DebuggerReport> {
    if (this.running) throw new Error('ScriptedDebugger.run() is already running');
    this.running = true;
    const started = Date.now();
    let error: string | undefined;
    try {
      const loops = Math.max(1, this.options.loops ?? 1);
      for (let i = 0; i < loops; i++) {
        await this.session(i === 0);
        this.loopsCompleted++;
      }
    } catch (caught) {
      error = this.explain(caught);
    } finally {
      this.link.close();
    }
    return {
      ok: error === undefined,
      ...(error === undefined ? {} : { error }),
      loopsCompleted: this.loopsCompleted,
      requests: this.requests,
      stateChanges: this.stateChanges,
      prints: this.prints,
      elapsedMs: Date.now() - started,
      link: this.stats,
    };
  }

  private explain(caught: unknown): string {
    const loop = (this.options.loops ?? 1) > 1 ? ` (session ${this.loopsCompleted + 1})` : '';
    if (caught instanceof SessionError) return caught.message + loop;
    if (caught instanceof LinkError) {
      if (caught.reason === 'closed') return (this.closedBy ?? 'the session was closed') + loop;
      return caught.message + loop;
    }
    return `internal error: ${caught instanceof Error ? caught.message : String(caught)}`;
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  /** performance.now() at which the packets so far would have started at `rate` (NaN: not yet). */
  private rateOrigin = Number.NaN;

  private async pace(): Promise<void> {
    const rate = this.options.rate;
    let ms = this.options.paceMs ?? 0;
    if (rate !== undefined && rate > 0) {
      const s = this.link.stats;
      const packets = s.dataSent + s.acksSent + s.accepted + s.acksReceived + s.breakins;
      const now = performance.now();
      if (Number.isNaN(this.rateOrigin)) this.rateOrigin = now - (packets * 1000) / rate;
      const due = this.rateOrigin + (packets * 1000) / rate;
      // Over a second behind (a stall): forget the lag rather than burst to make it up.
      if (now - due > 1000) this.rateOrigin += now - due;
      ms = due - now;
    }
    if (ms >= 1) await new Promise<void>((resolve) => this.timers.set(ms, resolve));
  }

  private async session(first: boolean): Promise<void> {
    let stop: DecodedStateChange64;
    if (first) {
      await this.resetHandshake();
      stop = await this.firstStateChange();
    } else {
      this.link.breakin();
      stop = await this.waitStateChange('the break-in');
      this.expectBreak(stop, 'the break-in');
    }
    await this.pace();

    const version = await this.request('GetVersion', { api: ManipulateApi.GetVersion });
    const v = version.fields;
    if (v.machineType !== 0x8664) {
      throw new SessionError(
        `GetVersion: MachineType ${hex(Number(v.machineType))}, expected AMD64 0x8664`,
      );
    }
    const kernBase = v.kernBase as bigint;
    if (kernBase === 0n) throw new SessionError('GetVersion: KernBase is 0');
    this.log(
      `GetVersion: ${hex(Number(v.majorVersion))}.${hex(Number(v.minorVersion))} kernel at ${hex(kernBase)}`,
    );
    await this.pace();

    const headers = await this.readMemory(
      'ReadVirtualMemory',
      ManipulateApi.ReadVirtualMemory,
      kernBase,
      HEADERS,
    );
    const entry = kernBase + BigInt(this.checkPe(headers));
    await this.pace();

    const physical = await this.readMemory(
      'ReadPhysicalMemory',
      ManipulateApi.ReadPhysicalMemory,
      IMAGE_PHYSICAL,
      0x100,
    );
    if (
      (this.options.expectSimImage ?? true) &&
      !equalBytes(physical, headers.subarray(0, 0x100))
    ) {
      throw new SessionError(
        `ReadPhysicalMemory ${hex(IMAGE_PHYSICAL)}: does not hold the image headers`,
      );
    }
    await this.pace();

    const context = await this.request('GetContext', { api: ManipulateApi.GetContext });
    if (context.data.length !== CONTEXT_SIZE) {
      throw new SessionError(
        `GetContext: ${context.data.length} bytes of CONTEXT, expected ${CONTEXT_SIZE}`,
      );
    }
    const ctx = new DataView(context.data.buffer, context.data.byteOffset, context.data.byteLength);
    const rip = ctx.getBigUint64(ContextOffset.rip, true);
    if (rip !== stop.programCounter) {
      throw new SessionError(
        `GetContext: Rip ${hex(rip)} differs from the state change's ProgramCounter ${hex(stop.programCounter)}`,
      );
    }
    if (ctx.getUint16(ContextOffset.segCs, true) !== 0x10) {
      throw new SessionError(
        `GetContext: SegCs ${hex(ctx.getUint16(ContextOffset.segCs, true))}, expected the kernel's 0x10`,
      );
    }
    await this.pace();

    const msr = await this.request('ReadMachineSpecificRegister', {
      api: ManipulateApi.ReadMachineSpecificRegister,
      fields: { msr: MSR_EFER },
    });
    const efer =
      (BigInt(Number(msr.fields.dataValueHigh)) << 32n) | BigInt(Number(msr.fields.dataValueLow));
    if ((efer & EFER_LMA) === 0n)
      throw new SessionError(
        `ReadMachineSpecificRegister EFER: ${hex(efer)} has no LMA bit (not in long mode)`,
      );
    await this.pace();

    const bp = await this.request('WriteBreakPoint', {
      api: ManipulateApi.WriteBreakPoint,
      fields: { breakPointAddress: entry },
    });
    const handle = Number(bp.fields.breakPointHandle);
    if (handle === 0) throw new SessionError(`WriteBreakPoint ${hex(entry)}: handle 0`);
    await this.pace();

    await this.continue2();
    const hit = await this.waitStateChange('the breakpoint');
    this.expectBreak(hit, 'the breakpoint');
    if (hit.programCounter !== entry) {
      throw new SessionError(
        `breakpoint: stopped at ${hex(hit.programCounter)}, expected ${hex(entry)}`,
      );
    }
    await this.pace();

    const again = await this.readMemory(
      'ReadVirtualMemory',
      ManipulateApi.ReadVirtualMemory,
      kernBase,
      HEADERS,
    );
    if (!equalBytes(again, headers))
      throw new SessionError(
        `ReadVirtualMemory ${hex(kernBase)}: the image headers changed between two reads`,
      );
    await this.pace();

    await this.request('RestoreBreakPoint', {
      api: ManipulateApi.RestoreBreakPoint,
      fields: { breakPointHandle: handle },
    });
    await this.pace();

    await this.continue2();
    await this.pace();
    this.link.breakin();
    const broke = await this.waitStateChange('the break-in');
    this.expectBreak(broke, 'the break-in');
    await this.pace();
    await this.continue2();
    this.log('session complete');
  }

  private async resetHandshake(): Promise<void> {
    const tries = Math.max(1, this.options.resetTries ?? 3);
    const wait = this.options.stateChangeWaitMs ?? 1000;
    for (let i = 0; i < tries; i++) {
      const answered = new Promise<boolean>((resolve) => {
        const cancel = this.timers.set(wait, () => resolve(false));
        this.resetAnswered = () => {
          cancel();
          resolve(true);
        };
      });
      this.link.reset();
      const ok = await answered;
      this.resetAnswered = undefined;
      if (this.closedBy) throw new SessionError(this.closedBy);
      if (ok) {
        this.log('RESET answered');
        return;
      }
    }
    const s = this.link.stats;
    throw new SessionError(
      `the target did not answer RESET (${tries} tries; received ${s.garbageBytes} garbage bytes, ${s.badChecksums} bad checksums, ${s.accepted} packets)`,
    );
  }

  /** After RESET a stopped target reports its state; a running one needs a break-in. */
  private async firstStateChange(): Promise<DecodedStateChange64> {
    try {
      return await this.waitStateChange('RESET', this.options.stateChangeWaitMs ?? 1000);
    } catch (error) {
      if (!(error instanceof LinkError) || error.reason !== 'timeout') throw error;
    }
    this.log('no state change after RESET: sending a break-in');
    this.link.breakin();
    const stop = await this.waitStateChange('the break-in');
    this.expectBreak(stop, 'the break-in');
    return stop;
  }

  private async waitStateChange(after: string, timeoutMs?: number): Promise<DecodedStateChange64> {
    const limit = timeoutMs ?? this.options.replyTimeoutMs ?? 5000;
    const deadline = Date.now() + limit;
    for (;;) {
      const left = Math.max(1, deadline - Date.now());
      let packet: LinkPacket;
      try {
        packet = await this.link.receive(
          [PacketType.STATE_CHANGE64, PacketType.DEBUG_IO, PacketType.STATE_MANIPULATE],
          left,
        );
      } catch (error) {
        if (error instanceof LinkError && error.reason === 'timeout' && timeoutMs === undefined) {
          throw new SessionError(
            `no state change within ${limit} ms after ${after}${this.linkTrouble()}`,
          );
        }
        throw error;
      }
      if (packet.type === PacketType.DEBUG_IO) {
        this.prints++;
        continue;
      }
      if (packet.type === PacketType.STATE_MANIPULATE) {
        const m = decodeManipulate(packet.payload);
        throw new SessionError(
          `waiting for a state change after ${after}, got a ${m.apiName} manipulate`,
        );
      }
      const change = decodeStateChange64(packet.payload);
      if (change.malformed)
        throw new SessionError(`state change after ${after}: ${change.malformed}`);
      this.stateChanges++;
      this.log(`state change ${change.newStateName} at ${hex(change.programCounter)}`);
      return change;
    }
  }

  private expectBreak(change: DecodedStateChange64, after: string): void {
    if (change.newState !== StateChange.Exception) {
      throw new SessionError(
        `after ${after}: state change ${stateChangeName(change.newState)}, expected Exception`,
      );
    }
    const code = Number(change.fields.exceptionCode);
    if (code !== STATUS_BREAKPOINT) {
      throw new SessionError(
        `after ${after}: exception ${ntStatusName(code)}, expected STATUS_BREAKPOINT`,
      );
    }
  }

  private async continue2(): Promise<void> {
    this.requests++;
    await this.link.send(
      PacketType.STATE_MANIPULATE,
      buildManipulate({
        api: ManipulateApi.Continue2,
        fields: { continueStatus: DBG_CONTINUE, traceFlag: 0, dr7: 0n },
      }),
    );
  }

  private async readMemory(
    name: string,
    api: number,
    address: bigint,
    count: number,
  ): Promise<Uint8Array> {
    const reply = await this.request(`${name} ${hex(address)}`, {
      api,
      fields: { targetBaseAddress: address, transferCount: count },
    });
    const read = Number(reply.fields.actualBytesRead);
    if (read !== count || reply.data.length !== count) {
      throw new SessionError(
        `${name} ${hex(address)}: ${read} bytes read and ${reply.data.length} sent, expected ${count}`,
      );
    }
    return reply.data;
  }

  /** The RVA of the entry point, after checking the image headers. */
  private checkPe(headers: Uint8Array): number {
    const view = new DataView(headers.buffer, headers.byteOffset, headers.byteLength);
    if (view.getUint16(0, true) !== 0x5a4d)
      throw new SessionError('ReadVirtualMemory KernBase: no MZ header');
    const pe = view.getUint32(0x3c, true);
    if (pe + 0x40 > headers.length || view.getUint32(pe, true) !== 0x4550) {
      throw new SessionError(`ReadVirtualMemory KernBase: no PE signature at ${hex(pe)}`);
    }
    if (view.getUint16(pe + 4, true) !== 0x8664)
      throw new SessionError('ReadVirtualMemory KernBase: the image is not AMD64');
    const entry = view.getUint32(pe + 24 + 16, true);
    if (entry === 0)
      throw new SessionError('ReadVirtualMemory KernBase: the image has no entry point');
    return entry;
  }

  private async request(step: string, input: ManipulateInput): Promise<DecodedManipulate> {
    this.requests++;
    await this.link.send(PacketType.STATE_MANIPULATE, buildManipulate(input));
    const limit = this.options.replyTimeoutMs ?? 5000;
    const deadline = Date.now() + limit;
    for (;;) {
      let packet: LinkPacket;
      try {
        packet = await this.link.receive(
          [PacketType.STATE_MANIPULATE, PacketType.DEBUG_IO, PacketType.STATE_CHANGE64],
          Math.max(1, deadline - Date.now()),
        );
      } catch (error) {
        if (error instanceof LinkError && error.reason === 'timeout') {
          throw new SessionError(`${step}: no reply within ${limit} ms${this.linkTrouble()}`);
        }
        throw error;
      }
      if (packet.type === PacketType.DEBUG_IO) {
        this.prints++;
        continue;
      }
      if (packet.type === PacketType.STATE_CHANGE64) {
        throw new SessionError(`${step}: the target sent a state change instead of a reply`);
      }
      const reply = decodeManipulate(packet.payload);
      if (reply.malformed) throw new SessionError(`${step}: ${reply.malformed}`);
      if (reply.api !== input.api) {
        throw new SessionError(
          `${step}: reply ApiNumber ${hex(reply.api)} (${manipulateApiName(reply.api)}), expected ${hex(input.api)}`,
        );
      }
      if (reply.returnStatus !== 0) {
        throw new SessionError(`${step}: ReturnStatus ${ntStatusName(reply.returnStatus)}`);
      }
      return reply;
    }
  }

  private linkTrouble(): string {
    const s = this.link.stats;
    const parts: string[] = [];
    if (s.badChecksums) parts.push(`${s.badChecksums} bad checksums`);
    if (s.badPackets) parts.push(`${s.badPackets} bad packets`);
    if (s.garbageBytes) parts.push(`${s.garbageBytes} garbage bytes`);
    if (s.retransmits) parts.push(`${s.retransmits} retransmits`);
    return parts.length ? ` (${parts.join(', ')})` : '';
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Connects nothing itself: runs the script over an already connected stream. */
export function runScriptedDebugger(
  stream: Duplex,
  options: ScriptedDebuggerOptions = {},
): Promise<DebuggerReport> {
  return new ScriptedDebugger(options).runOver(stream);
}
