// `kdscope serve --capture-limit SIZE`: bytes or binary K/M/G/T, with an optional B or iB.
import { describe, expect, it } from 'vitest';
import { parseSize } from '../../electron/cli/serve';

describe('parseSize', () => {
  it('reads bytes and binary units', () => {
    expect(parseSize('1073741824')).toBe(1024 ** 3);
    expect(parseSize('512M')).toBe(512 * 1024 ** 2);
    expect(parseSize('2G')).toBe(2 * 1024 ** 3);
    expect(parseSize('2gib')).toBe(2 * 1024 ** 3);
    expect(parseSize('1.5G')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('64KB')).toBe(64 * 1024);
    expect(parseSize('1T')).toBe(1024 ** 4);
  });

  it('refuses what is not a size', () => {
    for (const bad of ['', 'G', '-1M', '12Q', '0', '1e9', '1,5G', '1 G B', 'Infinity'])
      expect(parseSize(bad), bad).toBeUndefined();
  });
});
