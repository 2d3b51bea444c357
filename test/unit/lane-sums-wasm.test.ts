import { describe, expect, it } from 'vitest';
import { LANE_SUMS_WASM } from '../../protocol/kd/lane-sums-wasm';
// @ts-expect-error: a plain script without types
import { assembleLaneSums } from '../../scripts/assemble-wasm.mjs';

describe('lane sums WebAssembly module', () => {
  it('is lane-sums.wat as assembled by wabt (run scripts/assemble-wasm.mjs after an edit)', async () => {
    const assembled = (await assembleLaneSums()) as Uint8Array;
    expect(Array.from(LANE_SUMS_WASM)).toEqual(Array.from(assembled));
  });
});
