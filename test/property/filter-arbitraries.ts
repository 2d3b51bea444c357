// Random PacketRecords for the columnar, table and filter tests: mostly plausible KD traffic
// (so filters match something), with edge values (0, 2^32-1, huge `no`, empty and non-ASCII
// strings) mixed in.
import fc from 'fast-check';
import { ManipulateApi, PacketType, StateChange } from '../../protocol/kd/constants';
import { FIELD_ALIASES, FIELDS } from '../../protocol/filter/fields';
import type { FieldDef } from '../../protocol/filter/fields';
import { quoteString } from '../../protocol/filter/format';
import type { PacketRecord } from '../../protocol/session/record';

const u32 = fc.oneof(
  fc.constantFrom(0, 1, 0xffffffff, 0x80800000, 0xc0000005),
  fc.integer({ min: 0, max: 0xffffffff }),
);
const u16 = fc.oneof(fc.constantFrom(0, 0xffff), fc.integer({ min: 0, max: 0xffff }));
const apiValue = fc.oneof(fc.constantFrom(...Object.values(ManipulateApi)), u32);
const typeValue = fc.oneof(fc.constantFrom(...Object.values(PacketType)), u16);
const stateValue = fc.oneof(fc.constantFrom(...Object.values(StateChange)), u32);
const name = fc.oneof(
  fc.constantFrom(
    ...Object.keys(ManipulateApi),
    ...Object.keys(PacketType),
    ...Object.keys(StateChange),
  ),
  fc.string({ maxLength: 12 }),
);
const text = fc.oneof(
  fc.constantFrom('hello world', 'Hello\n', 'ntoskrnl.exe', ''),
  fc.string({ unit: 'binary', maxLength: 24 }),
);

/** A record whose `no` is `no` (pair/ack stay within 2^31 of it, as the columns require). */
export function recordWithNo(no: number): fc.Arbitrary<PacketRecord> {
  const partner = fc
    .integer({ min: Math.max(1, no - 0x7fffffff), max: no + 0x7fffffff })
    .filter((p) => p !== no);
  return fc.record(
    {
      no: fc.constant(no),
      time: fc.oneof(fc.constant(1.7e12), fc.double({ noNaN: true })),
      dir: fc.constantFrom('debugger->target', 'target->debugger'),
      kind: fc.constantFrom('packet', 'packet', 'breakin', 'garbage'),
      offset: fc.oneof(fc.nat(10_000), fc.maxSafeNat()),
      frame: fc.nat(0xffffffff),
      length: u32,
      leader: fc.constantFrom('data', 'control'),
      type: typeValue,
      typeName: name,
      id: u32,
      byteCount: u16,
      checksumOk: fc.boolean(),
      api: apiValue,
      apiName: name,
      returnStatus: u32,
      newState: stateValue,
      newStateName: name,
      text,
      info: text,
      garbageReason: fc.constantFrom('noise', 'bad-length', 'bad-trailer', 'truncated'),
      flags: fc.oneof(fc.nat(0x3ff), u32),
      pair: partner,
      ack: partner,
      rttMs: fc.oneof(fc.double({ min: 0, max: 1e4, noNaN: true }), fc.constant(0)),
    },
    { requiredKeys: ['no', 'time', 'dir', 'kind', 'offset', 'length', 'flags'] },
  ) as fc.Arbitrary<PacketRecord>;
}

/** Records numbered from `first` on, in order. */
export function recordsArb(maxLength = 60, first?: number): fc.Arbitrary<PacketRecord[]> {
  return fc
    .tuple(
      first === undefined
        ? fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 2 ** 40 }))
        : fc.constant(first),
      fc.integer({ min: 0, max: maxLength }),
    )
    .chain(([start, n]) =>
      fc.tuple(...Array.from({ length: n }, (_, k) => recordWithNo(start + k))),
    );
}

// ---- filter expressions, as source text built from the grammar ----------------------------

const FIELD_NAMES = [...FIELDS.keys()];
const ws = fc.constantFrom(' ', ' ', '  ', '\t');
const regexes = fc.constantFrom(
  'hel+o',
  '^Read',
  'Memory$',
  '.',
  '[0-9]',
  'STATE_(MANIP|CHANGE)',
  '',
);
const numberText = fc.oneof(
  fc.nat(20).map(String),
  fc.nat(0xffffffff).map(String),
  fc.nat(0xffffffff).map((n) => `0x${n.toString(16)}`),
  fc.constantFrom('0x3130', '0x3030', '2', '0.5', '5.25', '1e3', '4294967295'),
);
const stringText = fc
  .oneof(
    fc.constantFrom('hello', 'Read', 'memory', 'STATE_MANIPULATE', ''),
    fc.string({ maxLength: 8 }),
  )
  .map(quoteString);

function term(name: string): fc.Arbitrary<string> {
  const def = FIELDS.get(name) as FieldDef;
  const alias = [...FIELD_ALIASES].filter(([, to]) => to === name).map(([from]) => from);
  const spelled = fc.constantFrom(name, ...alias);
  const cmp = (ops: string[], value: fc.Arbitrary<string>): fc.Arbitrary<string> =>
    fc.oneof(
      fc.tuple(spelled, ws, fc.constantFrom(...ops), ws, value).map((p) => p.join('')),
      ...(ops.includes('==') && def.kind !== 'boolean'
        ? [
            fc
              .tuple(
                spelled,
                fc.array(value, { minLength: 1, maxLength: 4 }),
                fc.constantFrom(', ', ' ', ','),
              )
              .map(([f, vs, sep]) => `${f} in {${vs.join(sep)}}`),
          ]
        : []),
    );
  switch (def.kind) {
    case 'boolean':
      return fc.oneof(spelled, cmp(['==', '!='], fc.constantFrom('true', 'false')));
    case 'number':
      return fc.oneof(spelled, cmp(['==', '!=', '<', '<=', '>', '>='], numberText));
    case 'string':
      return fc.oneof(
        spelled,
        cmp(['==', '!=', 'contains'], stringText),
        cmp(['matches'], regexes.map(quoteString)),
      );
    case 'enum': {
      const names = [...(def.values?.keys() ?? [])];
      return fc.oneof(
        spelled,
        cmp(['==', '!=', '<', '<=', '>', '>='], fc.oneof(fc.constantFrom(...names), numberText)),
        cmp(['contains'], fc.oneof(stringText, fc.constantFrom(...names))),
        cmp(['matches'], regexes.map(quoteString)),
      );
    }
  }
}

/** Source text of a valid filter, with random spacing, keyword spellings and parentheses. */
export const filterSource: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...FIELD_NAMES).chain(term),
    tie('expr').map((e) => `(${e})`),
    fc.tuple(fc.constantFrom('!', '! ', 'not ', 'NOT '), tie('expr')).map(([n, e]) => n + e),
    fc
      .tuple(tie('expr'), ws, fc.constantFrom('&&', 'and', '||', 'or', 'AND'), ws, tie('expr'))
      .map((p) => p.join('')),
  ),
})).expr;
