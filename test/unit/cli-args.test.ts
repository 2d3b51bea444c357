import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../electron/cli/args';
import { UsageError } from '../../electron/cli/command';

describe('parseArgs', () => {
  const spec = { values: ['format', 'key'], booleans: ['feedback'] };

  it('reads values in both spellings, booleans and positionals', () => {
    const parsed = parseArgs(['a.pcap', '--format', 'table', '--key=8.8.8.8', '--feedback'], spec);
    expect(parsed.positional).toEqual(['a.pcap']);
    expect(parsed.value('format')).toBe('table');
    expect(parsed.value('key')).toBe('8.8.8.8');
    expect(parsed.booleans.has('feedback')).toBe(true);
  });

  it('refuses unknown flags, missing values and repeats', () => {
    expect(() => parseArgs(['--nope'], spec)).toThrow(UsageError);
    expect(() => parseArgs(['--format'], spec)).toThrow(/needs a value/);
    expect(() => parseArgs(['--key', 'a', '--key', 'b'], spec)).toThrow(/twice/);
  });
});
