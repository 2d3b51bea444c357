// The simulated processor's AMD64 CONTEXT (winnt.h, 0x4D0 bytes), as GetContext returns it
// after the 56-byte manipulate structure.

import { prng } from './memory';

export const CONTEXT_SIZE = 0x4d0;
/** CONTEXT_AMD64 | CONTROL | INTEGER | SEGMENTS | FLOATING_POINT | DEBUG_REGISTERS. */
export const CONTEXT_ALL = 0x10001f;

/** Byte offsets of the AMD64 CONTEXT fields the simulators read or set. */
export const ContextOffset = {
  contextFlags: 0x30,
  mxCsr: 0x34,
  segCs: 0x38,
  segDs: 0x3a,
  segEs: 0x3c,
  segFs: 0x3e,
  segGs: 0x40,
  segSs: 0x42,
  eFlags: 0x44,
  dr7: 0x70,
  rax: 0x78,
  rcx: 0x80,
  rdx: 0x88,
  rbx: 0x90,
  rsp: 0x98,
  rbp: 0xa0,
  rsi: 0xa8,
  rdi: 0xb0,
  r8: 0xb8,
  rip: 0xf8,
  fltSave: 0x100,
} as const;

export const KERNEL_CS = 0x10;
export const KERNEL_SS = 0x18;
export const USER_DS = 0x2b;
export const KERNEL_FS = 0x53;

export class SimContext {
  readonly bytes = new Uint8Array(CONTEXT_SIZE);
  private readonly view = new DataView(this.bytes.buffer);

  constructor(seed: number, rip: bigint, rsp: bigint) {
    const next = prng(seed ^ 0x5eed);
    const v = this.view;
    v.setUint32(ContextOffset.contextFlags, CONTEXT_ALL, true);
    v.setUint32(ContextOffset.mxCsr, 0x1f80, true);
    v.setUint16(ContextOffset.segCs, KERNEL_CS, true);
    v.setUint16(ContextOffset.segDs, USER_DS, true);
    v.setUint16(ContextOffset.segEs, USER_DS, true);
    v.setUint16(ContextOffset.segFs, KERNEL_FS, true);
    v.setUint16(ContextOffset.segGs, USER_DS, true);
    v.setUint16(ContextOffset.segSs, KERNEL_SS, true);
    v.setUint32(ContextOffset.eFlags, 0x246, true);
    // General registers: plausible noise, deterministic per seed.
    for (let at = ContextOffset.rax; at <= ContextOffset.r8 + 7 * 8; at += 8) {
      v.setUint32(at, next(), true);
    }
    this.rsp = rsp;
    this.set64(ContextOffset.rbp, rsp + 0x80n);
    this.rip = rip;
    // XMM_SAVE_AREA32: ControlWord 0x27F, MxCsr 0x1F80, MxCsr_Mask 0xFFFF.
    v.setUint16(ContextOffset.fltSave, 0x27f, true);
    v.setUint32(ContextOffset.fltSave + 0x18, 0x1f80, true);
    v.setUint32(ContextOffset.fltSave + 0x1c, 0xffff, true);
  }

  get rip(): bigint {
    return this.view.getBigUint64(ContextOffset.rip, true);
  }
  set rip(value: bigint) {
    this.set64(ContextOffset.rip, value);
  }
  get rsp(): bigint {
    return this.view.getBigUint64(ContextOffset.rsp, true);
  }
  set rsp(value: bigint) {
    this.set64(ContextOffset.rsp, value);
  }
  get eFlags(): number {
    return this.view.getUint32(ContextOffset.eFlags, true);
  }
  get dr7(): bigint {
    return this.view.getBigUint64(ContextOffset.dr7, true);
  }

  /** Overwrites `data.length` bytes from `offset` (SetContext / SetContextEx); returns the count copied. */
  write(offset: number, data: Uint8Array): number {
    if (offset >= CONTEXT_SIZE) return 0;
    const count = Math.min(data.length, CONTEXT_SIZE - offset);
    this.bytes.set(data.subarray(0, count), offset);
    return count;
  }

  read(offset: number, count: number): Uint8Array {
    if (offset >= CONTEXT_SIZE) return new Uint8Array(0);
    return this.bytes.slice(offset, Math.min(CONTEXT_SIZE, offset + count));
  }

  private set64(at: number, value: bigint): void {
    this.view.setBigUint64(at, BigInt.asUintN(64, value), true);
  }
}
