import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  base32Encode,
  formatRecoveryKey,
  parseRecoveryKey,
  RecoveryKeyError,
} from './recovery-key.js';
import { generateSecretKey } from './subscription-keys.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('base32 (RFC 4648 §6)', () => {
  // RFC 4648 §10 test vectors, lower-cased and without padding as the recovery key uses them.
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'my'],
    ['fo', 'mzxq'],
    ['foo', 'mzxw6'],
    ['foob', 'mzxw6yq'],
    ['fooba', 'mzxw6ytb'],
    ['foobar', 'mzxw6ytboi'],
  ];

  it.each(vectors)('encodes %j as %j', (plain, encoded) => {
    expect(base32Encode(bytes(plain))).toBe(encoded);
  });

  it.each(vectors)('decodes %j from %j, in either case', (plain, encoded) => {
    expect(base32Decode(encoded)).toEqual(bytes(plain));
    expect(base32Decode(encoded.toUpperCase())).toEqual(bytes(plain));
  });

  it('round-trips every length up to 40', () => {
    for (let n = 0; n <= 40; n++) {
      const input = crypto.getRandomValues(new Uint8Array(n));
      expect(base32Decode(base32Encode(input))).toEqual(input);
    }
  });

  it.each(['m', 'mzx', 'mzxw6y', 'my0', 'mz!q', 'mz', 'mzxr'])('rejects %j', (text) => {
    // "mz" and "mzxr" have non-zero unused bits in their last character.
    expect(() => base32Decode(text)).toThrow(Error);
  });
});

describe('recovery key', () => {
  it('is 52 lower-case base32 characters in groups of four', () => {
    const key = formatRecoveryKey(generateSecretKey());
    expect(key).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){12}$/);
  });

  it('formats a known key', () => {
    expect(formatRecoveryKey(new Uint8Array(32))).toBe(
      'aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa',
    );
    expect(formatRecoveryKey(new Uint8Array(32).fill(0xff))).toBe(
      '7777-7777-7777-7777-7777-7777-7777-7777-7777-7777-7777-7777-777q',
    );
  });

  it('round-trips', () => {
    for (let i = 0; i < 20; i++) {
      const secret = generateSecretKey();
      expect(parseRecoveryKey(formatRecoveryKey(secret))).toEqual(secret);
    }
  });

  it('ignores case, spaces and dashes', () => {
    const secret = generateSecretKey();
    const key = formatRecoveryKey(secret);
    const compact = key.replaceAll('-', '');
    expect(parseRecoveryKey(key.toUpperCase())).toEqual(secret);
    expect(parseRecoveryKey(compact)).toEqual(secret);
    expect(parseRecoveryKey(key.replaceAll('-', ' '))).toEqual(secret);
    expect(parseRecoveryKey(`  ${key.replaceAll('-', ' - ')}\n`)).toEqual(secret);
    expect(parseRecoveryKey(compact.replace(/(.{8})/g, '$1--'))).toEqual(secret);
  });

  it('refuses too short, too long, and a wrong last character with plain-words errors', () => {
    const key = formatRecoveryKey(generateSecretKey());
    for (const bad of [key.slice(0, -1), `${key}a`, '', key.replace(/.$/, 'b')]) {
      expect(() => parseRecoveryKey(bad)).toThrow(RecoveryKeyError);
    }
    expect(() => parseRecoveryKey(key.slice(0, -2))).toThrow(/52 letters and digits, but 50/);
  });

  it.each(['0', '1', '8', '9', '=', '!', 'é'])('refuses the character %j and names it', (c) => {
    const key = formatRecoveryKey(generateSecretKey());
    const bad = `${c}${key.slice(1)}`;
    expect(() => parseRecoveryKey(bad)).toThrow(RecoveryKeyError);
    expect(() => parseRecoveryKey(bad)).toThrow(`"${c}"`);
  });

  it('has a named error class', () => {
    try {
      parseRecoveryKey('nope');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RecoveryKeyError);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe('RecoveryKeyError');
    }
  });

  it('formats only 32-byte secrets', () => {
    expect(() => formatRecoveryKey(new Uint8Array(16))).toThrow(RangeError);
  });
});
