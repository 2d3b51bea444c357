// makeDirs(): a folder and its parents, and a plain error (never a spin) where it cannot.
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDirs } from '../../electron/engine/make-dirs';
import { makeTempDir } from '../support/pcap-fixtures';

const tmp = makeTempDir('kdscope-make-dirs-');
afterAll(() => tmp.cleanup());

describe('makeDirs', () => {
  it('makes the missing parents, and does nothing for a folder that is there', () => {
    const deep = join(tmp.dir, 'a', 'b', 'c');
    makeDirs(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    makeDirs(deep);
    makeDirs(tmp.dir);
  });

  it('says a file is in the way', () => {
    writeFileSync(tmp.file('plain'), 'x');
    expect(() => makeDirs(join(tmp.dir, 'plain', 'sub'))).toThrow(/ENOTDIR.*plain/);
    expect(() => makeDirs(tmp.file('plain'))).toThrow(/ENOTDIR/);
  });

  it('gives up at once where the file system refuses new entries (/proc)', () => {
    expect(() => makeDirs('/proc/kdscope-make-dirs/x')).toThrow(/ENOENT/);
  });
});
