import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, fromBase64Url, lengthPrefixed, toBase64Url } from './encoding';
import { expectJpakeError } from './test-helpers';

describe('strict base64url', () => {
  it('matches Node’s base64url for any bytes and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = toBase64Url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(fromBase64Url(text)).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects padding, foreign characters, impossible lengths and non-canonical tails', () => {
    for (const bad of ['AA==', 'AA=', 'A', 'AB+/', 'AB C', 'AB\n', 'AÉ', 'AB', 'AAB']) {
      // 'AB' and 'AAB' leave non-zero unused bits
      expectJpakeError(() => fromBase64Url(bad), 'invalid_message');
    }
    expect(fromBase64Url('AA')).toEqual(new Uint8Array([0]));
    expect(fromBase64Url('AAA')).toEqual(new Uint8Array([0, 0]));
    expect(fromBase64Url('')).toEqual(new Uint8Array());
  });

  it('checks the expected length', () => {
    expectJpakeError(() => fromBase64Url('AAAA', 2), 'invalid_message');
    expect(fromBase64Url('AAAA', 3)).toHaveLength(3);
  });
});

describe('lengthPrefixed', () => {
  it('prefixes every part with its 4-byte big-endian length; strings are UTF-8', () => {
    expect(lengthPrefixed('ab', new Uint8Array([7]), '')).toEqual(
      new Uint8Array([0, 0, 0, 2, 97, 98, 0, 0, 0, 1, 7, 0, 0, 0, 0]),
    );
    expect(lengthPrefixed('é')).toEqual(new Uint8Array([0, 0, 0, 2, 0xc3, 0xa9]));
  });

  it('is injective: moving a byte between parts changes the encoding', () => {
    expect(lengthPrefixed('ab', 'c')).not.toEqual(lengthPrefixed('a', 'bc'));
  });
});

describe('constantTimeEqual', () => {
  it('compares bytes', () => {
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(), new Uint8Array())).toBe(true);
  });
});
