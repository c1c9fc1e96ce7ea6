import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PAIRING_ALPHABET, PAIRING_CHANNEL_PATTERN } from '../../protocol';
import { formatPairingCode, generatePairingPassword, parsePairingCode } from './code';
import { expectJpakeError } from './test-helpers';

const codeChar = fc.constantFrom(...PAIRING_ALPHABET);
const word = (n: number) =>
  fc.array(codeChar, { minLength: n, maxLength: n }).map((a) => a.join(''));

describe('generatePairingPassword', () => {
  it('returns 8 characters of the pairing alphabet', () => {
    for (let i = 0; i < 100; i++) {
      const p = generatePairingPassword();
      expect(p).toHaveLength(8);
      for (const ch of p) expect(PAIRING_ALPHABET).toContain(ch);
    }
  });

  it('cuts 5 random bytes into eight 5-bit indices, most significant first', () => {
    expect(generatePairingPassword(() => new Uint8Array(5))).toBe('aaaaaaaa');
    expect(generatePairingPassword(() => new Uint8Array(5).fill(255))).toBe('99999999');
    // indices 0..7 = 00000 00001 00010 00011 00100 00101 00110 00111
    expect(generatePairingPassword(() => new Uint8Array([0x00, 0x44, 0x32, 0x14, 0xc7]))).toBe(
      'abcdefgh',
    );
    let asked = 0;
    generatePairingPassword((n) => {
      asked = n;
      return new Uint8Array(n);
    });
    expect(asked).toBe(5);
  });

  it('is uniform over the alphabet at every position (chi-square, loose bound)', () => {
    const samples = 4000;
    const counts = Array.from({ length: 8 }, () => new Array<number>(32).fill(0));
    for (let i = 0; i < samples; i++) {
      const p = generatePairingPassword();
      for (let j = 0; j < 8; j++) counts[j]![PAIRING_ALPHABET.indexOf(p[j]!)]!++;
    }
    const expected = samples / 32;
    for (const row of counts) {
      const chi2 = row.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
      expect(chi2).toBeLessThan(80); // 31 degrees of freedom: p ≈ 1e-6
    }
  });
});

describe('formatPairingCode / parsePairingCode', () => {
  it('formats cccc-pppp-pppp in lower case', () => {
    expect(formatPairingCode('ABCD', 'efghIJKM')).toBe('abcd-efgh-ijkm');
  });

  it('parses with or without dashes, in any case, with spaces', () => {
    const expected = { channel: 'abcd', password: 'efghijkm' };
    for (const input of [
      'abcd-efgh-ijkm',
      'ABCD-EFGH-IJKM',
      'abcdefghijkm',
      ' abcd efgh ijkm ',
      'abcd – efgh – ijkm',
      'ab-cd-ef-gh-ij-km',
      'abcd\tefgh\nijkm',
    ]) {
      expect(parsePairingCode(input)).toEqual(expected);
    }
  });

  it('round-trips any channel and password', () => {
    fc.assert(
      fc.property(word(4), word(8), (channel, password) => {
        const code = formatPairingCode(channel, password);
        expect(code).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
        expect(PAIRING_CHANNEL_PATTERN.test(channel)).toBe(true);
        expect(parsePairingCode(code)).toEqual({ channel, password });
        expect(parsePairingCode(code.toUpperCase().replaceAll('-', ' '))).toEqual({
          channel,
          password,
        });
      }),
      { numRuns: 100 },
    );
  });

  it('explains a wrong length in plain words', () => {
    const short = expectJpakeError(() => parsePairingCode('abcd-efgh-ijk'), 'invalid_message');
    expect(short.message).toMatch(/too short.*11 characters.*12/);
    const long = expectJpakeError(() => parsePairingCode('abcd-efgh-ijkmn'), 'invalid_message');
    expect(long.message).toMatch(/too long.*13 characters.*12/);
    expectJpakeError(() => parsePairingCode(''), 'invalid_message');
  });

  it('explains characters that are not used in codes', () => {
    for (const [input, ch] of [
      ['abcd-efgh-ijk0', '0'],
      ['abcd-efgh-ijk1', '1'],
      ['abcd-efgh-ijkl', 'l'],
      ['abcd-efgh-ijko', 'o'],
      ['abcd_efgh_ijkm', '_'],
    ] as const) {
      const e = expectJpakeError(() => parsePairingCode(input), 'invalid_message');
      expect(e.message).toContain(`“${ch}”`);
      expect(e.message).toMatch(/letters a–z without l and o, and the digits 2–9/);
    }
  });

  it('format rejects a bad channel or password', () => {
    expectJpakeError(() => formatPairingCode('abc', 'efghijkm'), 'invalid_message');
    expectJpakeError(() => formatPairingCode('abcd', 'efghijk0'), 'invalid_message');
  });
});
