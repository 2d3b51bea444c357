// Byte sums at memory speed: the KD payload checksum (a plain byte sum) and the Internet
// checksum of the capture's UDP wrap (16-bit big-endian words) are both sums of the bytes at
// even and at odd positions. The relay's decoder and recorder run these over every byte
// relayed, so they run as WebAssembly SIMD where that can be compiled (16 bytes a step: 4-5x
// the JavaScript below, the copy into its memory included), and otherwise read 32-bit words,
// adding two 16-bit lanes at a time (about 3x a byte loop).

import { LANE_SUMS_WASM } from './lane-sums-wasm';

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
/** Below this a byte loop is as fast (a typed-array view costs an allocation). */
const WORDS_FROM = 64;
/** Each 16-bit lane takes at most 256 words of 255 before it must be folded out. */
const FOLD_EVERY = 256;
/** Where the module's data starts, and the most it sums in one call (even: parity carries). */
const WASM_DATA = 64;
const WASM_PIECE = 1 << 20;

let evenSum = 0;
let oddSum = 0;

/** Sets evenSum/oddSum to the sums of bytes[start..end) at even/odd distance from start. */
function laneSums(bytes: Uint8Array, start: number, end: number): void {
  const w = wasm ?? loadWasm();
  if (w !== false && end - start >= WORDS_FROM) wasmLaneSums(w, bytes, start, end);
  else jsLaneSums(bytes, start, end);
}

function jsLaneSums(bytes: Uint8Array, start: number, end: number): void {
  let even = 0;
  let odd = 0;
  let i = start;
  if (LITTLE_ENDIAN && end - start >= WORDS_FROM) {
    const head = (4 - ((bytes.byteOffset + i) & 3)) & 3;
    for (let k = 0; k < head; k++, i++) {
      if (((i - start) & 1) === 0) even += bytes[i]!;
      else odd += bytes[i]!;
    }
    const words = (end - i) >>> 2;
    const view = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words);
    // Lanes of x & 0x00ff00ff hold the bytes at i, i+2; of (x >>> 8) & 0x00ff00ff, i+1, i+3.
    let low = 0;
    let high = 0;
    for (let k = 0; k < words;) {
      const stop = Math.min(words, k + FOLD_EVERY);
      let a = 0;
      let b = 0;
      for (; k < stop; k++) {
        const x = view[k]!;
        a += x & 0x00ff00ff;
        b += (x >>> 8) & 0x00ff00ff;
      }
      low += (a & 0xffff) + (a >>> 16);
      high += (b & 0xffff) + (b >>> 16);
    }
    if ((head & 1) === 0) {
      even += low;
      odd += high;
    } else {
      even += high;
      odd += low;
    }
    i += words * 4;
  }
  for (; i < end; i++) {
    if (((i - start) & 1) === 0) even += bytes[i]!;
    else odd += bytes[i]!;
  }
  evenSum = even;
  oddSum = odd;
}

/** Sum of the unsigned bytes in [start, end), modulo 2^32 (the KD packet checksum). */
export function byteSum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  laneSums(bytes, start, end);
  return (evenSum + oddSum) >>> 0;
}

/**
 * Sum of the 16-bit big-endian words in [start, end) (an odd last byte is the high byte of a
 * zero-padded word), not folded: what an Internet checksum folds and inverts.
 */
export function sum16BigEndian(bytes: Uint8Array, start: number, end: number): number {
  laneSums(bytes, start, end);
  return evenSum * 256 + oddSum;
}

// What is used of WebAssembly: protocol/ compiles against no platform's library types.
declare const WebAssembly: {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: object };
};
interface LaneSumsExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  readonly sums: (length: number) => void;
}

interface WasmSums {
  readonly sums: (length: number) => void;
  readonly memory: Uint8Array;
  /** memory[0] and memory[4]: the even and odd sums of the last call. */
  readonly results: Uint32Array;
}

/** The compiled module; false when it cannot be (no WebAssembly or SIMD), or is switched off. */
let wasm: WasmSums | false | undefined;

/**
 * Compiles the module on first use, in Node only: the renderer's content security policy
 * forbids compiling WebAssembly, and it sums no more than the packet a user opened.
 */
function loadWasm(): WasmSums | false {
  wasm = false;
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions
    ?.node;
  if (node === undefined || !LITTLE_ENDIAN) return wasm;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(LANE_SUMS_WASM), {});
    const { memory, sums } = instance.exports as LaneSumsExports;
    const pages = Math.ceil((WASM_DATA + WASM_PIECE) / 65536);
    memory.grow(pages - memory.buffer.byteLength / 65536);
    wasm = {
      sums,
      memory: new Uint8Array(memory.buffer),
      results: new Uint32Array(memory.buffer, 0, 2),
    };
  } catch {
    // No SIMD (an old engine): the JavaScript sums give the same answers.
  }
  return wasm;
}

function wasmLaneSums(w: WasmSums, bytes: Uint8Array, start: number, end: number): void {
  let even = 0;
  let odd = 0;
  for (let from = start; from < end; from += WASM_PIECE) {
    const n = Math.min(WASM_PIECE, end - from);
    w.memory.set(new Uint8Array(bytes.buffer, bytes.byteOffset + from, n), WASM_DATA);
    w.sums(n);
    even += w.results[0]!;
    odd += w.results[1]!;
  }
  evenSum = even;
  oddSum = odd;
}

/**
 * Which implementation sums from here on ('wasm' falls back to 'js' where it cannot be
 * compiled); returns the one in use. For tests and benches that compare the two.
 */
export function useByteSums(kind: 'wasm' | 'js'): 'wasm' | 'js' {
  wasm = kind === 'js' ? false : undefined;
  return kind === 'wasm' && loadWasm() !== false ? 'wasm' : 'js';
}
