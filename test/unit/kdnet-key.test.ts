import { describe, expect, it } from 'vitest';
import {
  KdnetKeyError,
  hmacKeyOf,
  kdnetLuaPartLayout,
  littleEndianPartLayout,
  parseKdnetKey,
} from '../../protocol/kdnet/key';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('KDNET starting key', () => {
  it('8.8.8.8 is 08 then seven zero bytes, four times (the real capture key)', () => {
    expect(hex(parseKdnetKey('8.8.8.8'))).toBe('0800000000000000'.repeat(4));
  });

  it('both candidate part layouts agree for every part below 256', () => {
    for (let n = 0; n < 256; n++) {
      expect(hex(kdnetLuaPartLayout(BigInt(n)))).toBe(hex(littleEndianPartLayout(BigInt(n))));
    }
  });

  it('the layouts differ from 256 on, and each is what its source writes', () => {
    expect(hex(littleEndianPartLayout(256n))).toBe('0001000000000000');
    expect(hex(kdnetLuaPartLayout(256n))).toBe('0100000000000000');
    expect(hex(littleEndianPartLayout(0x0102030405060708n))).toBe('0807060504030201');
    expect(hex(kdnetLuaPartLayout(0x0102030405060708n))).toBe('0102030405060708');
    const key = 'zz.1.abc.3w5e11264sgsf';
    expect(parseKdnetKey(key)).not.toEqual(parseKdnetKey(key, kdnetLuaPartLayout));
  });

  it('parts are base 36, case-insensitive, up to 2^64 - 1', () => {
    expect(hex(parseKdnetKey('z.10.ZZ.0').subarray(0, 24))).toBe(
      '2300000000000000' + '2400000000000000' + '0f05000000000000',
    );
    // 2^64 - 1 in base 36.
    expect(hex(parseKdnetKey('3w5e11264sgsf.1.1.1').subarray(0, 8))).toBe('ffffffffffffffff');
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '1..3.4', '1.2.3.-4', '1.2.3.4!', '3w5e11264sgsg.1.1.1'])(
    'rejects %j with one clear line',
    (text) => {
      expect(() => parseKdnetKey(text)).toThrow(KdnetKeyError);
      expect(() => parseKdnetKey(text)).toThrow(/^bad KDNET key ".*": expected w\.x\.y\.z/);
    },
  );

  it('the HMAC key is the bitwise NOT of the starting key', () => {
    expect(hex(hmacKeyOf(parseKdnetKey('8.8.8.8')))).toBe('f7ffffffffffffff'.repeat(4));
  });
});
