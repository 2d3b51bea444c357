// Runtime checks of each operation's arguments, before any handler sees them. The Record type
// makes a new operation in the contract a compile error here until it has a validator.

import type { OpArgs, OpName } from './contract';

export type ArgsValidator<K extends OpName> = (args: readonly unknown[]) => args is OpArgs<K>;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
const onlyKeys = (v: Record<string, unknown>, allowed: readonly string[]): boolean =>
  Object.keys(v).every((k) => allowed.includes(k));
const isCount = (v: unknown, max: number): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;

const none = (args: readonly unknown[]): boolean =>
  args.length === 0 || (args.length === 1 && args[0] === undefined);

export const MAX_SIM_RATE = 1_000_000;
export const MAX_WINDOW = 64;

export const validators: { readonly [K in OpName]: ArgsValidator<K> } = {
  'session.start': (args): args is OpArgs<'session.start'> => {
    const o = args[0];
    if (args.length !== 1 || !isPlainObject(o) || !onlyKeys(o, ['target', 'rate'])) return false;
    if (o.target !== 'sim') return false;
    return o.rate === undefined || (isCount(o.rate, MAX_SIM_RATE) && o.rate > 0);
  },
  'session.stop': (args): args is [] => none(args),
  'session.status': (args): args is [] => none(args),
  'packets.bytes': (args): args is [number] =>
    args.length === 1 && isCount(args[0], Number.MAX_SAFE_INTEGER) && args[0] >= 1,
  'stream.ready': (args): args is OpArgs<'stream.ready'> => {
    const o = args[0];
    return (
      args.length === 1 &&
      isPlainObject(o) &&
      onlyKeys(o, ['window']) &&
      isCount(o.window, MAX_WINDOW) &&
      o.window >= 1
    );
  },
  'stream.ack': (args): args is [number] =>
    args.length === 1 && isCount(args[0], Number.MAX_SAFE_INTEGER),
  'view.clear': (args): args is [] => none(args),
};

export function validateArgs<K extends OpName>(op: K, args: readonly unknown[]): args is OpArgs<K> {
  return validators[op](args);
}
