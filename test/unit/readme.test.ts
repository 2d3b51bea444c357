// The README names only what the repository has: the files its examples and links point at
// exist, and it sends no one to a folder outside the repository.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it('decodes, in its examples, a capture the repository has', () => {
    const files = [...readme.matchAll(/kdscope decode (\S+\/\S+)/g)].map((m) => m[1]!);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(existsSync(join(ROOT, file)), file).toBe(true);
  });

  it('links only to files in the repository', () => {
    const links = [...readme.matchAll(/\]\(([^)#:]+)\)/g)].map((m) => m[1]!);
    expect(links).toContain('docs/PROTOCOL.md');
    for (const link of links) expect(existsSync(join(ROOT, link)), link).toBe(true);
    expect(readme).not.toMatch(/\bshared\b[^.]*PROTOCOL\.md|\.\.\/shared/);
  });
});
