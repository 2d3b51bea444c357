// Runtime checks of each operation's arguments, before any handler sees them. The Record type
// makes a new operation in the contract a compile error here until it has a validator.

import { MAX_ROWS_REQUEST, MAX_SELECTION_PART, type OpArgs, type OpName } from './contract';

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
/** Endpoint texts, paths and command lines: generous, but bounded. */
export const MAX_TEXT = 4096;
export const MAX_NAME = 256;

const isText = (v: unknown, max = MAX_TEXT): v is string =>
  typeof v === 'string' && v.length <= max && !v.includes('\0');
const isNonEmpty = (v: unknown, max = MAX_TEXT): v is string => isText(v, max) && v.trim() !== '';
const optional = (v: unknown, check: (v: unknown) => boolean): boolean =>
  v === undefined || check(v);
const oneOf =
  <T extends string>(...values: readonly T[]) =>
  (v: unknown): v is T =>
    typeof v === 'string' && (values as readonly string[]).includes(v);
const isMode = oneOf('com', 'vmbus', 'kdnet');
const isFormat = oneOf('pcap', 'pcapng');
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';

const START_KEYS = [
  'debugger',
  'target',
  'mode',
  'feedback',
  'key',
  'captureFormat',
  'captureDir',
  'rate',
  'launch',
  'profile',
] as const;

/** Shapes only: whether the endpoints parse and fit together is the engine's to say. */
function isStartOptions(o: unknown): boolean {
  return (
    isPlainObject(o) &&
    onlyKeys(o, START_KEYS) &&
    isNonEmpty(o.debugger) &&
    isNonEmpty(o.target) &&
    optional(o.mode, isMode) &&
    optional(o.feedback, isBool) &&
    optional(o.key, (v) => isText(v, MAX_NAME)) &&
    optional(o.captureFormat, isFormat) &&
    optional(o.captureDir, (v) => isNonEmpty(v)) &&
    optional(o.rate, (v) => isCount(v, MAX_SIM_RATE) && v > 0) &&
    optional(o.launch, (v) => isNonEmpty(v)) &&
    optional(o.profile, (v) => isNonEmpty(v, MAX_NAME))
  );
}

const PROFILE_KEYS = [
  'name',
  'target',
  'debugger',
  'channel',
  'mode',
  'feedback',
  'key',
  'launch',
  'captureDir',
  'captureFormat',
] as const;

function isProfile(o: unknown): boolean {
  return (
    isPlainObject(o) &&
    onlyKeys(o, PROFILE_KEYS) &&
    isNonEmpty(o.name, MAX_NAME) &&
    isNonEmpty(o.target) &&
    isNonEmpty(o.debugger) &&
    optional(o.channel, (v) => isText(v, MAX_NAME)) &&
    optional(o.mode, isMode) &&
    optional(o.feedback, isBool) &&
    optional(o.key, (v) => isText(v, MAX_NAME)) &&
    optional(o.launch, (v) => isText(v)) &&
    optional(o.captureDir, (v) => isText(v)) &&
    optional(o.captureFormat, isFormat)
  );
}

const OPEN_KEYS = ['path', 'debugger', 'target', 'key', 'replace'] as const;

/** A capture path, or a raw pair's two paths; not both. */
function isOpenRequest(o: unknown): boolean {
  if (!isPlainObject(o) || !onlyKeys(o, OPEN_KEYS)) return false;
  const pair = o.debugger !== undefined || o.target !== undefined;
  return (
    (pair
      ? o.path === undefined && isNonEmpty(o.debugger) && isNonEmpty(o.target)
      : isNonEmpty(o.path)) &&
    optional(o.key, (v) => isText(v, MAX_NAME)) &&
    optional(o.replace, isBool)
  );
}

const EXPORT_KEYS = ['packets', 'format', 'decrypt', 'out', 'name'] as const;

function isExportRequest(o: unknown): boolean {
  return (
    isPlainObject(o) &&
    onlyKeys(o, EXPORT_KEYS) &&
    oneOf('all', 'selected')(o.packets) &&
    isFormat(o.format) &&
    optional(o.decrypt, isBool) &&
    optional(o.out, (v) => isNonEmpty(v)) &&
    optional(o.name, (v) => isNonEmpty(v, MAX_NAME))
  );
}

export const validators: { readonly [K in OpName]: ArgsValidator<K> } = {
  'session.plan': (args): args is OpArgs<'session.plan'> =>
    args.length === 1 && isStartOptions(args[0]),
  'session.start': (args): args is OpArgs<'session.start'> =>
    args.length === 1 && isStartOptions(args[0]),
  'session.stop': (args): args is [] => none(args),
  'session.status': (args): args is [] => none(args),
  'vms.list': (args): args is [] => none(args),
  'profiles.list': (args): args is [] => none(args),
  'profiles.save': (args): args is OpArgs<'profiles.save'> =>
    args.length === 1 && isProfile(args[0]),
  'profiles.delete': (args): args is [string] => args.length === 1 && isNonEmpty(args[0], MAX_NAME),
  'session.stats': (args): args is [] => none(args),
  'engine.log': (args): args is [] => none(args),
  'captures.list': (args): args is [] => none(args),
  'packets.bytes': (args): args is [number] =>
    args.length === 1 && isCount(args[0], Number.MAX_SAFE_INTEGER) && args[0] >= 1,
  'packets.rows': (args): args is OpArgs<'packets.rows'> => {
    const o = args[0];
    return (
      args.length === 1 &&
      isPlainObject(o) &&
      onlyKeys(o, ['from', 'count']) &&
      isCount(o.from, Number.MAX_SAFE_INTEGER) &&
      o.from >= 1 &&
      isCount(o.count, MAX_ROWS_REQUEST) &&
      o.count >= 1
    );
  },
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
  'captures.open': (args): args is OpArgs<'captures.open'> =>
    args.length === 1 && isOpenRequest(args[0]),
  'captures.recent': (args): args is [] => none(args),
  'captures.rates': (args): args is [] => none(args),
  'export.select': (args): args is [Uint8Array] =>
    args.length === 1 &&
    args[0] instanceof Uint8Array &&
    args[0].length > 0 &&
    args[0].length <= MAX_SELECTION_PART,
  'export.start': (args): args is OpArgs<'export.start'> =>
    args.length === 1 && isExportRequest(args[0]),
  'export.cancel': (args): args is [string] => args.length === 1 && isNonEmpty(args[0], MAX_NAME),
  'dialog.openCapture': (args): args is OpArgs<'dialog.openCapture'> => {
    const o = args[0];
    return (
      args.length === 1 && isPlainObject(o) && onlyKeys(o, ['title']) && isText(o.title, MAX_NAME)
    );
  },
  'dialog.saveExport': (args): args is OpArgs<'dialog.saveExport'> => {
    const o = args[0];
    return (
      args.length === 1 &&
      isPlainObject(o) &&
      onlyKeys(o, ['name', 'format']) &&
      isNonEmpty(o.name, MAX_NAME) &&
      isFormat(o.format)
    );
  },
};

export function validateArgs<K extends OpName>(op: K, args: readonly unknown[]): args is OpArgs<K> {
  return validators[op](args);
}
