// A small, strict argument parser: unknown flags are usage errors, not silently ignored.

import { UsageError } from './command';

export interface FlagSpec {
  /** Flags that take a value (`--key VALUE` or `--key=VALUE`). */
  readonly values?: readonly string[];
  /** Flags that take no value. */
  readonly booleans?: readonly string[];
  /** Flags that may be given more than once (values collected in order). */
  readonly repeatable?: readonly string[];
}

export interface ParsedArgs {
  readonly positional: string[];
  readonly values: Map<string, string[]>;
  readonly booleans: Set<string>;
  value(name: string): string | undefined;
}

export function parseArgs(args: readonly string[], spec: FlagSpec): ParsedArgs {
  const valueFlags = new Set(spec.values ?? []);
  const booleanFlags = new Set(spec.booleans ?? []);
  const repeatable = new Set(spec.repeatable ?? []);
  const positional: string[] = [];
  const values = new Map<string, string[]>();
  const booleans = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    // Every option is spelled --name: `-x` is a mistyped option, not a second file (a file
    // named -x comes after `--`, or as ./-x).
    if (!arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (booleanFlags.has(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      booleans.add(name);
    } else if (valueFlags.has(name)) {
      let value: string | undefined;
      if (eq >= 0) value = arg.slice(eq + 1);
      else {
        value = args[i + 1];
        i++;
      }
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      const list = values.get(name) ?? [];
      if (list.length > 0 && !repeatable.has(name)) throw new UsageError(`--${name} given twice`);
      list.push(value);
      values.set(name, list);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return {
    positional,
    values,
    booleans,
    value: (name) => values.get(name)?.[0],
  };
}
