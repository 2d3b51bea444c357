import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DebugIoApi,
  FileIoApi,
  ManipulateApi,
  PacketType,
  StateChange,
} from '../../protocol/kd/constants';
import { encodeDataPacket } from '../../protocol/kd/encoder';
import { DIRECTIONS } from '../../protocol/kd/events';
import type { FieldNode } from '../../protocol/kd/summary';
import {
  ansiBytes,
  buildDebugIo,
  buildFileIo,
  buildManipulate,
  buildStateChange64,
  debugIoMember,
  decodeDebugIo,
  decodeFileIo,
  decodeManipulate,
  decodeStateChange32,
  decodeStateChange64,
  describePacket,
  dissectPacket,
  fileIoMember,
  manipulateMember,
  stateChangeMember,
} from '../../protocol/kd/payloads';
import type { FieldValue, Layout } from '../../protocol/kd/payloads';

const selectors = [
  ...Object.values(ManipulateApi),
  ...Object.values(StateChange),
  ...Object.values(DebugIoApi),
  ...Object.values(FileIoApi),
  0x3330,
  0x4300,
  0x4301,
];

/** Random payloads whose first u32 is usually a known ApiNumber/NewState, so every union is hit. */
const payloadArb = fc
  .tuple(
    fc.oneof(fc.constantFrom(...selectors), fc.integer({ min: 0, max: 0xffffffff })),
    fc.uint8Array({ maxLength: 400 }),
    fc.nat({ max: 400 }),
  )
  .map(([selector, body, length]) => {
    const out = new Uint8Array(Math.min(length, 400));
    out.set(body.subarray(0, out.length));
    for (let i = 0; i < 4 && i < out.length; i++) out[i] = (selector >>> (8 * i)) & 0xff;
    return out;
  });

const typeArb = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 0xffff }));

function checkRanges(nodes: readonly FieldNode[], lo: number, hi: number): void {
  for (const n of nodes) {
    expect(Number.isInteger(n.offset) && Number.isInteger(n.length)).toBe(true);
    expect(n.length).toBeGreaterThanOrEqual(0);
    expect(n.offset).toBeGreaterThanOrEqual(lo);
    expect(n.offset + n.length).toBeLessThanOrEqual(hi);
    expect(typeof n.name).toBe('string');
    expect(typeof n.value).toBe('string');
    if (n.children) checkRanges(n.children, n.offset, n.offset + n.length);
  }
}

const minimum: Record<number, number> = {
  [PacketType.STATE_MANIPULATE]: 56,
  [PacketType.STATE_CHANGE64]: 0xf0,
  [PacketType.STATE_CHANGE32]: 144,
  [PacketType.DEBUG_IO]: 16,
  [PacketType.FILE_IO]: 64,
  [PacketType.TRACE_IO]: 64,
  [PacketType.CONTROL_REQUEST]: 12,
};

describe('text in summaries', () => {
  it('quotes a one-line text as JSON does, escaping every control character', () => {
    const jsonAlike = fc.string({
      unit: fc.constantFrom('a', 'Z', ' ', '~', '"', '\\', '\n', '\r', '\t', 'é'),
    });
    fc.assert(
      fc.property(jsonAlike, (text) => {
        const info = describePacket(
          PacketType.DEBUG_IO,
          buildDebugIo({ api: DebugIoApi.GetString }, ansiBytes(text)),
        ).info!;
        const shown = text.length > 120 ? `${text.slice(0, 120)}…` : text;
        expect(info).toBe(`GetString ${JSON.stringify(shown)} max 0x0`);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const info = describePacket(
          PacketType.DEBUG_IO,
          buildDebugIo({ api: DebugIoApi.GetString }, bytes),
        ).info!;
        expect([...info].some((c) => c.charCodeAt(0) < 0x20 || c === '\x7f')).toBe(false);
      }),
    );
  });
});

describe('payload decoders on random bytes', () => {
  it('describePacket always returns a one-line summary, malformed when short', () => {
    fc.assert(
      fc.property(typeArb, payloadArb, (type, payload) => {
        const s = describePacket(type, payload);
        expect(typeof s).toBe('object');
        if (s.info !== undefined) expect(s.info).not.toMatch(/[\r\n]/);
        const min = minimum[type];
        if (min !== undefined) {
          expect(s.info).toBeTypeOf('string');
          if (payload.length < min) expect(s.malformed).toBeTypeOf('string');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('the typed decoders never throw and copy their data', () => {
    fc.assert(
      fc.property(payloadArb, (payload) => {
        for (const d of [
          decodeManipulate(payload),
          decodeStateChange64(payload),
          decodeStateChange32(payload),
          decodeDebugIo(payload),
          decodeFileIo(payload),
        ]) {
          expect(d.data.buffer).not.toBe(payload.buffer);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('dissectPacket, with or without a direction, keeps every range inside the packet and children inside parents', () => {
    const packetArb = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc
        .tuple(
          typeArb,
          fc.integer({ min: 0, max: 0xffffffff }),
          payloadArb,
          fc.nat({ max: 500 }),
          fc.boolean(),
        )
        .map(([type, id, payload, cut, corrupt]) => {
          const p = encodeDataPacket(type, id, payload, corrupt ? { checksum: 1, trailer: 0 } : {});
          return cut < p.length ? p.subarray(0, cut) : p;
        }),
    );
    const dirArb = fc.constantFrom(undefined, ...DIRECTIONS);
    fc.assert(
      fc.property(packetArb, dirArb, (packet, dir) => {
        checkRanges(dissectPacket(packet, dir), 0, packet.length);
      }),
      { numRuns: 1500 },
    );
  });

  it('a manipulate reply dissects as the C type says; a request only hides what it leaves unset', () => {
    const flat = (nodes: readonly FieldNode[]): FieldNode[] =>
      nodes.flatMap((n) => [n, ...flat(n.children ?? [])]);
    const at = (n: FieldNode): string => `${n.name}@${n.offset}+${n.length}`;
    fc.assert(
      fc.property(payloadArb, fc.nat({ max: 600 }), (payload, cut) => {
        const p = encodeDataPacket(PacketType.STATE_MANIPULATE, 0x80800000, payload);
        const packet = cut < p.length ? p.subarray(0, cut) : p;
        const plain = dissectPacket(packet);
        expect(dissectPacket(packet, 'target->debugger')).toEqual(plain);
        const request = dissectPacket(packet, 'debugger->target');
        checkRanges(request, 0, packet.length);
        // Same nodes at the same places (a whole union shown unset loses its fields only).
        const places = new Set(flat(plain).map(at));
        for (const n of flat(request)) expect(places.has(at(n))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('a whole, well-formed packet dissects without errors in its header and trailer', () => {
    fc.assert(
      fc.property(fc.constantFrom(2, 3, 7, 11), payloadArb, (type, payload) => {
        const tree = dissectPacket(encodeDataPacket(type, 0x80800000, payload));
        expect(tree[0]?.children?.every((n) => n.error === undefined)).toBe(true);
        const trailer = tree.find((n) => n.name === 'Trailer');
        expect(trailer?.error).toBeUndefined();
        expect(tree.some((n) => n.name.startsWith('Extra'))).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

function valuesArb(layout: Layout): fc.Arbitrary<Record<string, FieldValue>> {
  const parts: Record<string, fc.Arbitrary<FieldValue>> = {};
  for (const [key, f] of Object.entries(layout)) {
    switch (f.kind) {
      case 'u8':
        parts[key] = fc.integer({ min: 0, max: 0xff });
        break;
      case 'u16':
        parts[key] = fc.integer({ min: 0, max: 0xffff });
        break;
      case 'u32':
        parts[key] = fc.integer({ min: 0, max: 0xffffffff });
        break;
      case 'u64':
        parts[key] = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
        break;
      case 'bytes':
        parts[key] = fc.uint8Array({ minLength: f.count, maxLength: f.count });
        break;
      case 'u64s':
        parts[key] = fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), {
          minLength: f.count,
          maxLength: f.count,
        });
        break;
    }
  }
  return fc.record(parts);
}

const data = fc.uint8Array({ maxLength: 64 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });

describe('builders round-trip with random field values', () => {
  it('STATE_MANIPULATE', () => {
    const arb = fc
      .oneof(fc.constantFrom(...Object.values(ManipulateApi)), u32)
      .chain((api) =>
        fc.tuple(fc.constant(api), valuesArb(manipulateMember(api).layout), u16, u16, u32, data),
      );
    fc.assert(
      fc.property(arb, ([api, fields, processorLevel, processor, returnStatus, extra]) => {
        const m = decodeManipulate(
          buildManipulate({ api, fields, processorLevel, processor, returnStatus }, extra),
        );
        expect(m).toMatchObject({ api, processorLevel, processor, returnStatus });
        expect(m.fields).toEqual(fields);
        expect(m.data).toEqual(extra);
      }),
      { numRuns: 500 },
    );
  });

  it('STATE_CHANGE64', () => {
    const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    const arb = fc
      .oneof(fc.constantFrom(...Object.values(StateChange)), u32)
      .chain((newState) =>
        fc.tuple(
          fc.constant(newState),
          valuesArb(stateChangeMember(newState).layout),
          u16,
          u64,
          u64,
          data,
        ),
      );
    fc.assert(
      fc.property(arb, ([newState, fields, processor, thread, programCounter, extra]) => {
        const s = decodeStateChange64(
          buildStateChange64({ newState, fields, processor, thread, programCounter }, extra),
        );
        expect(s).toMatchObject({ newState, processor, thread, programCounter });
        expect(s.fields).toEqual(fields);
        expect(s.data).toEqual(extra);
      }),
      { numRuns: 300 },
    );
  });

  it('DEBUG_IO and FILE_IO', () => {
    const dbg = fc
      .oneof(fc.constantFrom(...Object.values(DebugIoApi)), u32)
      .chain((api) => fc.tuple(fc.constant(api), valuesArb(debugIoMember(api).layout), data));
    fc.assert(
      fc.property(dbg, ([api, fields, extra]) => {
        const d = decodeDebugIo(buildDebugIo({ api, fields }, extra));
        expect(d.api).toBe(api);
        expect(d.fields).toEqual(fields);
        expect(d.data).toEqual(extra);
      }),
      { numRuns: 300 },
    );
    const file = fc
      .oneof(fc.constantFrom(...Object.values(FileIoApi)), u32)
      .chain((api) => fc.tuple(fc.constant(api), valuesArb(fileIoMember(api).layout), u32, data));
    fc.assert(
      fc.property(file, ([api, fields, status, extra]) => {
        const d = decodeFileIo(buildFileIo({ api, fields, status }, extra));
        expect(d).toMatchObject({ api, status });
        expect(d.fields).toEqual(fields);
        expect(d.data).toEqual(extra);
      }),
      { numRuns: 300 },
    );
  });
});
