// No import cycles in shipped code (type-only imports included: a cycle of types is a cycle of
// meaning, and the next value import turns it into a load-order bug).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function resolveImport(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const candidate of [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // try the next form
    }
  }
  return undefined;
}

function findCycles(files: string[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const specs = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+'(\.[^']+)'/gm)].map(
      (m) => m[1]!,
    );
    graph.set(
      file,
      specs.map((s) => resolveImport(file, s)).filter((p): p is string => p !== undefined),
    );
  }
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push(stack.slice(stack.indexOf(next)).concat(next));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return cycles.map((c) => c.map((f) => relative(ROOT, f)));
}

describe('imports', () => {
  it('have no cycles in protocol/, electron/ and renderer/', () => {
    const files = ['protocol', 'electron', 'renderer'].flatMap((d) => sources(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(100);
    expect(findCycles(files)).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const a = join(ROOT, 'test/fixtures/cycle/a.ts');
    const b = join(ROOT, 'test/fixtures/cycle/b.ts');
    expect(findCycles([a, b]).length).toBe(1);
  });
});
