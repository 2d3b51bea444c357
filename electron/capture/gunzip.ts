// Decompresses a .gz capture in memory. A cut or corrupt stream still yields every byte
// before the damage, plus the error to report once those bytes have been delivered.

import type * as Zlib from 'node:zlib';
import { errorText } from './capture-error';

/** node:zlib, loaded on first use: most captures are not compressed (it costs ~1 ms). */
let zlibModule: typeof Zlib | undefined;
const zlib = (): typeof Zlib => (zlibModule ??= process.getBuiltinModule('node:zlib'));

export interface Gunzipped {
  readonly bytes: Uint8Array;
  /** Set when the stream is damaged: `bytes` is then the readable prefix. */
  readonly error?: string;
}

export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

function partial(input: Uint8Array): Uint8Array | undefined {
  try {
    const { constants, gunzipSync } = zlib();
    return gunzipSync(input, { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return undefined;
  }
}

export function gunzipCapture(input: Uint8Array): Gunzipped {
  try {
    return { bytes: zlib().gunzipSync(input) };
  } catch (err) {
    const message = errorText(err);
    const cut = partial(input);
    if (cut) return { bytes: cut, error: `truncated gzip stream (${message})` };
    // Corrupt data: inflate fails on every prefix that reaches the damage and succeeds on
    // every shorter one, so the longest readable prefix is found by bisection.
    let good = 0;
    let bad = input.length;
    let best: Uint8Array = new Uint8Array(0);
    while (bad - good > 1) {
      const mid = (good + bad) >>> 1;
      const out = partial(input.subarray(0, mid));
      if (out) {
        good = mid;
        best = out;
      } else {
        bad = mid;
      }
    }
    return { bytes: best, error: `corrupt gzip data near compressed byte ${good} (${message})` };
  }
}
