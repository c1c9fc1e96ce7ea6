import { describe, expect, it } from 'vitest';
import {
  concatBytes,
  decodeBase64Url,
  encodeBase64Url,
  randomBytes,
  utf8Decode,
  utf8Encode,
} from './base64url.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('base64url', () => {
  // RFC 4648 §10 test vectors (the base64 and base64url alphabets agree on these).
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ];

  it.each(vectors)('encodes %j as %j without padding', (plain, encoded) => {
    expect(encodeBase64Url(bytes(plain))).toBe(encoded);
  });

  it.each(vectors)('decodes %j back from %j', (plain, encoded) => {
    expect(decodeBase64Url(encoded)).toEqual(bytes(plain));
  });

  it('accepts padded input', () => {
    expect(decodeBase64Url('Zg==')).toEqual(bytes('f'));
    expect(decodeBase64Url('Zm8=')).toEqual(bytes('fo'));
    expect(decodeBase64Url('Zm9vYmE=')).toEqual(bytes('fooba'));
  });

  it('uses - and _ instead of + and /', () => {
    expect(encodeBase64Url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
    expect(decodeBase64Url('-_-_')).toEqual(new Uint8Array([0xfb, 0xff, 0xbf]));
  });

  it('agrees with Node for random inputs of every length up to 100', () => {
    for (let n = 0; n <= 100; n++) {
      const input = randomBytes(n);
      const encoded = encodeBase64Url(input);
      expect(encoded).toBe(Buffer.from(input).toString('base64url'));
      expect(decodeBase64Url(encoded)).toEqual(input);
    }
  });

  it.each([
    'Zm9v+mFy',
    'Zm9v/mFy',
    'Zm9 v',
    'Zm9v!',
    'Zm9vé',
    'Z',
    'Zm9vY',
    'Zg=',
    'Zm8==',
    'Z=g=',
  ])('rejects %j', (text) => {
    expect(() => decodeBase64Url(text)).toThrow(Error);
  });
});

describe('utf8', () => {
  it('round-trips non-ASCII text', () => {
    const text = 'Grüße, 世界 🍉';
    expect(utf8Decode(utf8Encode(text))).toBe(text);
    expect(utf8Encode('é')).toEqual(new Uint8Array([0xc3, 0xa9]));
  });

  it('replaces malformed bytes instead of throwing', () => {
    expect(utf8Decode(new Uint8Array([0x61, 0xff, 0x62]))).toBe('a\uFFFDb');
  });
});

describe('concatBytes', () => {
  it('joins parts in order', () => {
    expect(concatBytes(new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3]))).toEqual(
      new Uint8Array([1, 2, 3]),
    );
    expect(concatBytes()).toEqual(new Uint8Array(0));
  });

  it('copies subarrays by their own bounds', () => {
    const base = new Uint8Array([9, 8, 7, 6]);
    expect(concatBytes(base.subarray(1, 3))).toEqual(new Uint8Array([8, 7]));
  });
});

describe('randomBytes', () => {
  it('returns the requested length, beyond the 64 KiB getRandomValues limit too', () => {
    expect(randomBytes(0)).toHaveLength(0);
    expect(randomBytes(16)).toHaveLength(16);
    const big = randomBytes(70_000);
    expect(big).toHaveLength(70_000);
    // The tail past the first chunk must be filled as well.
    expect(big.subarray(65_536).some((b) => b !== 0)).toBe(true);
  });

  it('does not repeat itself', () => {
    expect(randomBytes(32)).not.toEqual(randomBytes(32));
  });

  it('rejects a bad length', () => {
    expect(() => randomBytes(-1)).toThrow(RangeError);
    expect(() => randomBytes(1.5)).toThrow(RangeError);
  });
});
