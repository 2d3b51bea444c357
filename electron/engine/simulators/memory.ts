// The simulated machine's memory: one deterministic PE-ish kernel image mapped both at a
// kernel virtual base and at a physical address; everything else reads as zeros (what the
// seed's UEFI target answers for memory it cannot read) and ignores writes.

export const IMAGE_BASE = 0xfffff80000000000n;
export const IMAGE_SIZE = 0x20000;
/** Physical address of the image's first byte. */
export const IMAGE_PHYSICAL = 0x200000n;
export const IMAGE_PATH = '\\SystemRoot\\system32\\ntoskrnl.exe';

const E_LFANEW = 0x100;
const TEXT_RVA = 0x1000;
const TEXT_SIZE = 0x8000;
const DATA_RVA = 0x9000;
const DATA_SIZE = 0x17000;

/** Where things are in the image (RVAs), for the target's replies and the debugger's checks. */
export const ImageLayout = {
  entryPoint: TEXT_RVA + 0x400,
  /** DbgBreakPointWithStatus: where a break-in stops (int3; ret). */
  breakInPoint: TEXT_RVA + 0x40,
  /** Where the target idles after a continue: a loop around a `hlt`. */
  idleLoop: TEXT_RVA + 0x800,
  psLoadedModuleList: DATA_RVA + 0x100,
  debuggerDataList: DATA_RVA + 0x200,
  kpcr: DATA_RVA + 0x1000,
  kprcb: DATA_RVA + 0x1180,
  thread: DATA_RVA + 0x3000,
  stackTop: DATA_RVA + 0x16000,
} as const;

/** mulberry32: small, fast, deterministic per seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
}
function put32(b: Uint8Array, at: number, v: number): void {
  put16(b, at, v & 0xffff);
  put16(b, at + 2, (v >>> 16) & 0xffff);
}
function put64(b: Uint8Array, at: number, v: bigint): void {
  put32(b, at, Number(v & 0xffffffffn));
  put32(b, at + 4, Number((v >> 32n) & 0xffffffffn));
}

function section(
  b: Uint8Array,
  at: number,
  name: string,
  rva: number,
  size: number,
  flags: number,
) {
  for (let i = 0; i < name.length; i++) b[at + i] = name.charCodeAt(i);
  put32(b, at + 8, size); // VirtualSize
  put32(b, at + 12, rva);
  put32(b, at + 16, size); // SizeOfRawData
  put32(b, at + 20, rva); // PointerToRawData (file layout = memory layout)
  put32(b, at + 36, flags);
}

/** Builds the image: headers a debugger can parse, seeded "code" and data. */
export function buildImage(seed: number): {
  bytes: Uint8Array;
  checkSum: number;
  timeDateStamp: number;
} {
  const b = new Uint8Array(IMAGE_SIZE);
  const next = prng(seed);
  for (let i = TEXT_RVA; i < DATA_RVA + DATA_SIZE; i += 4) put32(b, i, next());
  const timeDateStamp = next();
  b[0] = 0x4d; // "MZ"
  b[1] = 0x5a;
  put32(b, 0x3c, E_LFANEW);
  put32(b, E_LFANEW, 0x00004550); // "PE\0\0"
  const file = E_LFANEW + 4;
  put16(b, file, 0x8664);
  put16(b, file + 2, 3); // NumberOfSections
  put32(b, file + 4, timeDateStamp);
  put16(b, file + 16, 0xf0); // SizeOfOptionalHeader
  put16(b, file + 18, 0x22); // EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE
  const opt = file + 20;
  put16(b, opt, 0x20b); // PE32+
  put32(b, opt + 4, TEXT_SIZE); // SizeOfCode
  put32(b, opt + 16, ImageLayout.entryPoint);
  put32(b, opt + 20, TEXT_RVA); // BaseOfCode
  put64(b, opt + 24, IMAGE_BASE);
  put32(b, opt + 32, 0x1000); // SectionAlignment
  put32(b, opt + 36, 0x200); // FileAlignment
  put16(b, opt + 40, 10); // OS version 10.0
  put32(b, opt + 56, IMAGE_SIZE);
  put32(b, opt + 60, 0x400); // SizeOfHeaders
  put16(b, opt + 68, 1); // Subsystem: native
  put32(b, opt + 108, 16); // NumberOfRvaAndSizes
  const sections = opt + 0xf0;
  section(b, sections, '.text', TEXT_RVA, TEXT_SIZE, 0x68000020);
  section(b, sections + 40, '.data', DATA_RVA, DATA_SIZE, 0xc8000040);
  section(b, sections + 80, 'INIT', DATA_RVA + DATA_SIZE - 0x1000, 0x1000, 0x62000020);
  // DbgBreakPointWithStatus: int3; ret.  Idle loop: sti; hlt; jmp $-2.  Entry: sub rsp,28h.
  b.set([0xcc, 0xc3], ImageLayout.breakInPoint);
  b.set([0xfb, 0xf4, 0xeb, 0xfc], ImageLayout.idleLoop);
  b.set([0x48, 0x83, 0xec, 0x28], ImageLayout.entryPoint);
  // PsLoadedModuleList: an empty LIST_ENTRY pointing at itself.
  const list = IMAGE_BASE + BigInt(ImageLayout.psLoadedModuleList);
  put64(b, ImageLayout.psLoadedModuleList, list);
  put64(b, ImageLayout.psLoadedModuleList + 8, list);
  let checkSum = 0;
  for (let i = 0; i < b.length; i++) checkSum = (checkSum + b[i]!) >>> 0;
  put32(b, opt + 64, checkSum);
  return { bytes: b, checkSum, timeDateStamp };
}

export class SimMemory {
  readonly image: Uint8Array;
  readonly checkSum: number;

  constructor(seed: number) {
    const built = buildImage(seed);
    this.image = built.bytes;
    this.checkSum = built.checkSum;
  }

  readVirtual(address: bigint, count: number): Uint8Array {
    return this.read(address - IMAGE_BASE, count);
  }
  readPhysical(address: bigint, count: number): Uint8Array {
    return this.read(address - IMAGE_PHYSICAL, count);
  }
  /** Returns the bytes written (those that fall inside the image). */
  writeVirtual(address: bigint, data: Uint8Array): number {
    return this.write(address - IMAGE_BASE, data);
  }
  writePhysical(address: bigint, data: Uint8Array): number {
    return this.write(address - IMAGE_PHYSICAL, data);
  }
  /** Whether a virtual address lies in mapped (image) memory. */
  mapped(address: bigint): boolean {
    const offset = address - IMAGE_BASE;
    return offset >= 0n && offset < BigInt(IMAGE_SIZE);
  }

  private read(offset: bigint, count: number): Uint8Array {
    const out = new Uint8Array(count);
    const [from, to] = overlap(offset, count);
    if (to > from) out.set(this.image.subarray(from, to), Number(BigInt(from) - offset));
    return out;
  }

  private write(offset: bigint, data: Uint8Array): number {
    const [from, to] = overlap(offset, data.length);
    if (to <= from) return 0;
    const skip = Number(BigInt(from) - offset);
    this.image.set(data.subarray(skip, skip + (to - from)), from);
    return to - from;
  }
}

/** The part of [offset, offset + count) inside the image, as image offsets. */
function overlap(offset: bigint, count: number): [number, number] {
  const start = offset < 0n ? 0n : offset;
  const endWanted = offset + BigInt(count);
  const end = endWanted > BigInt(IMAGE_SIZE) ? BigInt(IMAGE_SIZE) : endWanted;
  if (end <= start) return [0, 0];
  return [Number(start), Number(end)];
}
