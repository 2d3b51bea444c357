// The AMD64 CONTEXT (winnt.h, 0x4D0 bytes) that GetContext returns and SetContext sends after
// the 56-byte manipulate structure (GetContextEx / SetContextEx carry a slice of it from an
// offset). Offsets checked against winnt.h's CONTEXT and XMM_SAVE_AREA32 as reproduced by
// clrmd's Amd64Context and the ntdiff headers; they agree with the simulated target's
// (electron/engine/simulators/context.ts).

import { hex, u16At, u32At } from './bytes';

export const AMD64_CONTEXT_SIZE = 0x4d0;

/** CONTEXT_AMD64 and the parts ContextFlags says are filled in. */
const CONTEXT_FLAG_NAMES: readonly [number, string][] = [
  [0x1, 'CONTROL'],
  [0x2, 'INTEGER'],
  [0x4, 'SEGMENTS'],
  [0x8, 'FLOATING_POINT'],
  [0x10, 'DEBUG_REGISTERS'],
  [0x40, 'XSTATE'],
];
const CONTEXT_AMD64 = 0x100000;

export type RegisterGroup = 'integer' | 'control' | 'segments' | 'debug' | 'float' | 'other';

export interface ContextRegister {
  readonly name: string;
  readonly group: RegisterGroup;
  /** Byte offset in CONTEXT. */
  readonly offset: number;
  readonly size: 2 | 4 | 8 | 16;
}

const FLT_SAVE = 0x100;

const reg = (
  name: string,
  group: RegisterGroup,
  offset: number,
  size: ContextRegister['size'],
): ContextRegister => ({ name, group, offset, size });

/** In the order a debugger shows them (WinDbg's `r`), not the order in memory. */
export const AMD64_CONTEXT_REGISTERS: readonly ContextRegister[] = [
  reg('Rax', 'integer', 0x78, 8),
  reg('Rbx', 'integer', 0x90, 8),
  reg('Rcx', 'integer', 0x80, 8),
  reg('Rdx', 'integer', 0x88, 8),
  reg('Rsi', 'integer', 0xa8, 8),
  reg('Rdi', 'integer', 0xb0, 8),
  reg('Rbp', 'integer', 0xa0, 8),
  reg('R8', 'integer', 0xb8, 8),
  reg('R9', 'integer', 0xc0, 8),
  reg('R10', 'integer', 0xc8, 8),
  reg('R11', 'integer', 0xd0, 8),
  reg('R12', 'integer', 0xd8, 8),
  reg('R13', 'integer', 0xe0, 8),
  reg('R14', 'integer', 0xe8, 8),
  reg('R15', 'integer', 0xf0, 8),
  reg('Rip', 'control', 0xf8, 8),
  reg('Rsp', 'control', 0x98, 8),
  reg('EFlags', 'control', 0x44, 4),
  reg('SegCs', 'control', 0x38, 2),
  reg('SegSs', 'control', 0x42, 2),
  reg('SegDs', 'segments', 0x3a, 2),
  reg('SegEs', 'segments', 0x3c, 2),
  reg('SegFs', 'segments', 0x3e, 2),
  reg('SegGs', 'segments', 0x40, 2),
  reg('Dr0', 'debug', 0x48, 8),
  reg('Dr1', 'debug', 0x50, 8),
  reg('Dr2', 'debug', 0x58, 8),
  reg('Dr3', 'debug', 0x60, 8),
  reg('Dr6', 'debug', 0x68, 8),
  reg('Dr7', 'debug', 0x70, 8),
  reg('MxCsr', 'float', 0x34, 4),
  // XMM_SAVE_AREA32 at 0x100: ControlWord 0, StatusWord 2, TagWord 4, XmmRegisters at 0xA0.
  reg('FpControlWord', 'float', FLT_SAVE, 2),
  reg('FpStatusWord', 'float', FLT_SAVE + 2, 2),
  ...Array.from({ length: 16 }, (_, i) => reg(`Xmm${i}`, 'float', FLT_SAVE + 0xa0 + i * 16, 16)),
  reg('ContextFlags', 'other', 0x30, 4),
  reg('DebugControl', 'other', 0x4a8, 8),
  reg('LastBranchToRip', 'other', 0x4b0, 8),
  reg('LastBranchFromRip', 'other', 0x4b8, 8),
  reg('LastExceptionToRip', 'other', 0x4c0, 8),
  reg('LastExceptionFromRip', 'other', 0x4c8, 8),
];

const EFLAGS: readonly [number, string][] = [
  [0, 'CF'],
  [2, 'PF'],
  [4, 'AF'],
  [6, 'ZF'],
  [7, 'SF'],
  [8, 'TF'],
  [9, 'IF'],
  [10, 'DF'],
  [11, 'OF'],
  [14, 'NT'],
  [16, 'RF'],
  [17, 'VM'],
  [18, 'AC'],
  [21, 'ID'],
];

/** `0x246 (PF ZF IF iopl=0)`. */
export function eflagsText(v: number): string {
  const set = EFLAGS.filter(([bit]) => (v >>> bit) & 1).map(([, name]) => name);
  return `${hex(v)} (${[...set, `iopl=${(v >>> 12) & 3}`].join(' ')})`;
}

/** `0x10001f (AMD64 CONTROL|INTEGER|SEGMENTS|FLOATING_POINT|DEBUG_REGISTERS)`. */
export function contextFlagsText(v: number): string {
  const names = CONTEXT_FLAG_NAMES.filter(([bit]) => v & bit).map(([, n]) => n);
  const arch = (v & CONTEXT_AMD64) !== 0 ? 'AMD64' : 'not AMD64';
  return `${hex(v)} (${arch}${names.length ? ` ${names.join('|')}` : ''})`;
}

function hexDigits(b: Uint8Array, at: number, size: number): string {
  let s = '';
  for (let i = size - 1; i >= 0; i--) s += (b[at + i] ?? 0).toString(16).padStart(2, '0');
  return s;
}

export interface RegisterValue extends ContextRegister {
  /** Hex, zero-padded to the register's width (`0xfffff80012345678`). */
  readonly value: string;
  /** EFlags and ContextFlags spelled out. */
  readonly note?: string;
}

/**
 * The registers of a CONTEXT slice: `data` holds CONTEXT bytes from `contextOffset` on (0 for
 * GetContext, the requested offset for GetContextEx). Registers not wholly inside are left out.
 */
export function contextRegisters(data: Uint8Array, contextOffset = 0): RegisterValue[] {
  const out: RegisterValue[] = [];
  const end = contextOffset + data.length;
  for (const r of AMD64_CONTEXT_REGISTERS) {
    if (r.offset < contextOffset || r.offset + r.size > end) continue;
    const at = r.offset - contextOffset;
    const value = `0x${hexDigits(data, at, r.size)}`;
    let note: string | undefined;
    if (r.name === 'EFlags') note = eflagsText(u32At(data, at));
    else if (r.name === 'ContextFlags') note = contextFlagsText(u32At(data, at));
    else if (r.name === 'SegCs') note = (u16At(data, at) & 3) === 0 ? 'kernel mode' : 'user mode';
    out.push(note === undefined ? { ...r, value } : { ...r, value, note });
  }
  return out;
}
