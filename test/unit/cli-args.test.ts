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

  it('refuses single-dash options by their name, not as a second positional', () => {
    expect(() => parseArgs(['a.pcap', '-x'], spec)).toThrow(/^unknown option -x$/);
    expect(() => parseArgs(['-format', 'table'], spec)).toThrow(/^unknown option -format$/);
    // '-' stays a positional, and `--` lets a file named -x through.
    expect(parseArgs(['-'], spec).positional).toEqual(['-']);
    expect(parseArgs(['--', '-x'], spec).positional).toEqual(['-x']);
  });
});
