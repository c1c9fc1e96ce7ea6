// docs/protocol.md §4's header rules, one function at a time and then together. Every refusal must
// be the HttpError the route answers with: 400 for TTL/Urgency/Topic and aesgcm's Encryption and
// Crypto-Key, 415 for the encoding.
import { describe, expect, it } from 'vitest';
import { MAX_TTL_SECONDS } from '../../shared/protocol.js';
import { HttpError } from '../http/errors.js';
import {
  parseAesgcmHeaders,
  parseEncoding,
  parsePushHeaders,
  parseTopic,
  parseTtl,
  parseUrgency,
} from './push-headers.js';

function refusal(run: () => unknown): HttpError {
  try {
    run();
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw new Error(`expected an HttpError, got ${String(err)}`);
  }
  throw new Error('expected a refusal, but the value was accepted');
}

describe('TTL', () => {
  it('is the 30-day cap the protocol fixes', () => {
    expect(MAX_TTL_SECONDS).toBe(2_592_000);
  });

  it.each([
    ['0', 0],
    ['1', 1],
    ['60', 60],
    ['0060', 60],
    ['000', 0],
    ['2592000', 2_592_000],
  ])('accepts %j as %i seconds', (value, seconds) => {
    expect(parseTtl(value)).toBe(seconds);
  });

  it.each([
    '2592001',
    '9999999999',
    '10000000000',
    '99999999999999999999999999999999',
    `1${'0'.repeat(400)}`,
    `000${'9'.repeat(20)}`,
  ])('caps %j at 30 days', (value) => {
    expect(parseTtl(value)).toBe(2_592_000);
  });

  it('does not count leading zeros towards the size of a large value', () => {
    // Eleven characters but only 60 seconds: the cap must look at the number.
    expect(parseTtl('00000000060')).toBe(60);
  });

  it('ignores whitespace around the digits (HTTP strips it from field values)', () => {
    expect(parseTtl(' 60')).toBe(60);
    expect(parseTtl('60 \t')).toBe(60);
  });

  it.each([
    undefined,
    '',
    ' ',
    '-1',
    '+5',
    '1.5',
    '1e3',
    '0x10',
    '6 0',
    '60s',
    'sixty',
    '６０', // full-width digits are not ASCII digits
    '٦٠', // nor are Arabic-Indic ones
    'Infinity',
  ])('refuses %j with 400 invalid_ttl', (value) => {
    const err = refusal(() => parseTtl(value));
    expect(err.status).toBe(400);
    expect(err.code).toBe('invalid_ttl');
  });
});

describe('Urgency', () => {
  it('defaults to normal when absent', () => {
    expect(parseUrgency(undefined)).toBe('normal');
  });

  it.each(['very-low', 'low', 'normal', 'high'] as const)('accepts %s', (urgency) => {
    expect(parseUrgency(urgency)).toBe(urgency);
    expect(parseUrgency(` ${urgency} `)).toBe(urgency);
  });

  it.each(['', 'urgent', 'HIGH', 'very low', 'verylow', 'high, low', 'critical'])(
    'refuses %j with 400 invalid_urgency',
    (value) => {
      const err = refusal(() => parseUrgency(value));
      expect(err.status).toBe(400);
      expect(err.code).toBe('invalid_urgency');
    },
  );
});

describe('Topic', () => {
  it('is absent when the header is', () => {
    expect(parseTopic(undefined)).toBeNull();
  });

  it.each(['a', 'score', 'A-Z_0-9', 'x'.repeat(32), '-_-_'])('accepts %j', (topic) => {
    expect(parseTopic(topic)).toBe(topic);
  });

  it('ignores surrounding whitespace', () => {
    expect(parseTopic(' score ')).toBe('score');
  });

  it.each(['', ' ', 'x'.repeat(33), 'a+b', 'a/b', 'abc=', 'a b', 'a.b', 'é', 'a\u0000'])(
    'refuses %j with 400 invalid_topic',
    (value) => {
      const err = refusal(() => parseTopic(value));
      expect(err.status).toBe(400);
      expect(err.code).toBe('invalid_topic');
    },
  );
});

describe('Content-Encoding', () => {
  it('is not needed, and ignored, for an empty body', () => {
    for (const value of [undefined, 'aesgcm', 'gzip', 'aes128gcm']) {
      expect(parseEncoding(value, 0)).toBeNull();
    }
  });

  it('accepts aes128gcm and the legacy aesgcm for a body, in any case (codings are case-insensitive)', () => {
    expect(parseEncoding('aes128gcm', 1)).toBe('aes128gcm');
    expect(parseEncoding(' AES128GCM ', 4096)).toBe('aes128gcm');
    expect(parseEncoding('aesgcm', 1)).toBe('aesgcm');
    expect(parseEncoding('AesGcm', 1)).toBe('aesgcm');
  });

  it.each([undefined, '', 'aesgcm128', 'gzip', 'identity', 'aes128gcm, gzip', 'aesgcm, aes128gcm'])(
    'refuses %j for a body with 415, naming both accepted codings',
    (value) => {
      const err = refusal(() => parseEncoding(value, 10));
      expect(err.status).toBe(415);
      expect(err.code).toBe('unsupported_encoding');
      expect(err.headers).toEqual({ 'Accept-Encoding': 'aes128gcm, aesgcm' });
    },
  );
});

describe('aesgcm headers (Encryption, Crypto-Key)', () => {
  const salt = 'lngarbyKfMoi9Z75xYXmkg';
  const dh =
    'BNoRDbb84JGm8g5Z5CFxurSqsXWJ11ItfXEWYVLE85Y7CYkDjXsIEc4aqxYaQ1G8BqkXCJ6DPpDrWtdWj_mugHU';

  it('keeps both exactly as received once they are usable', () => {
    for (const [encryption, cryptoKey] of [
      [`salt=${salt}`, `dh=${dh}`],
      [`salt="${salt}"; rs=4096`, `keyid="p256dh"; dh="${dh}"`],
      [`salt=${salt}`, `dh=${dh};p256ecdsa=BVapidKey`],
      [`salt=${salt}`, `p256ecdsa=BVapidKey, dh=${dh}`],
    ] as const) {
      expect(parseAesgcmHeaders(encryption, cryptoKey)).toEqual({ encryption, cryptoKey });
    }
  });

  it.each([
    [undefined, 'missing'],
    ['', 'empty'],
    ['rs=4096', 'without salt'],
    ['salt=AAAA', 'a salt that is not 16 bytes'],
    [`salt=${salt}+`, 'a salt that is not base64url'],
    [`salt=${salt};rs=1`, 'a record size too small to hold anything'],
    [`salt=${salt};rs=ten`, 'a record size that is not a number'],
    [`salt=${salt}, salt=${salt}`, 'two salts'],
    [`salt="${salt}`, 'an unclosed quote'],
    [`salt=${salt};rs=${'9'.repeat(2000)}`, 'more than 1024 characters'],
  ])('answers 400 invalid_encryption for an Encryption header %j (%s)', (encryption, _why) => {
    const err = refusal(() => parseAesgcmHeaders(encryption, `dh=${dh}`));
    expect(err.status).toBe(400);
    expect(err.code).toBe('invalid_encryption');
    expect(err.message).toMatch(/Encryption/);
  });

  it.each([
    [undefined, 'missing'],
    ['', 'empty'],
    ['p256ecdsa=BVapidKey', 'only the VAPID key'],
    ['dh=BAAA', 'a dh that is not 65 bytes'],
    [`dh=${'A'.repeat(87)}`, 'a dh that is not an uncompressed point (no 0x04)'],
    [`dh=${dh}, dh=${dh}`, 'two dh'],
    [`dh ${dh}`, 'no ='],
    [`dh=${dh};keyid=${'k'.repeat(1100)}`, 'more than 1024 characters'],
  ])('answers 400 invalid_crypto_key for a Crypto-Key header %j (%s)', (cryptoKey, _why) => {
    const err = refusal(() => parseAesgcmHeaders(`salt=${salt}`, cryptoKey));
    expect(err.status).toBe(400);
    expect(err.code).toBe('invalid_crypto_key');
    expect(err.message).toMatch(/Crypto-Key/);
  });

  it('checks Encryption before Crypto-Key when both are wrong', () => {
    expect(refusal(() => parseAesgcmHeaders(undefined, undefined)).code).toBe('invalid_encryption');
  });
});

describe('parsePushHeaders', () => {
  const reader = (headers: Record<string, string>) => (name: string) => headers[name];
  const salt = 'lngarbyKfMoi9Z75xYXmkg';
  const dh =
    'BNoRDbb84JGm8g5Z5CFxurSqsXWJ11ItfXEWYVLE85Y7CYkDjXsIEc4aqxYaQ1G8BqkXCJ6DPpDrWtdWj_mugHU';

  it('reads all four headers by their lower-case names', () => {
    expect(
      parsePushHeaders(
        reader({ ttl: '0090', urgency: 'high', topic: 'score', 'content-encoding': 'aes128gcm' }),
        100,
      ),
    ).toEqual({
      ttl: 90,
      urgency: 'high',
      topic: 'score',
      encoding: 'aes128gcm',
      encryption: null,
      cryptoKey: null,
    });
  });

  it('keeps Encryption and Crypto-Key for aesgcm only', () => {
    const headers = { ttl: '60', encryption: `salt=${salt}`, 'crypto-key': `dh=${dh}` };
    expect(parsePushHeaders(reader({ ...headers, 'content-encoding': 'aesgcm' }), 10)).toEqual({
      ttl: 60,
      urgency: 'normal',
      topic: null,
      encoding: 'aesgcm',
      encryption: `salt=${salt}`,
      cryptoKey: `dh=${dh}`,
    });
    expect(
      parsePushHeaders(reader({ ...headers, 'content-encoding': 'aes128gcm' }), 10),
    ).toMatchObject({ encoding: 'aes128gcm', encryption: null, cryptoKey: null });
    // An empty push has nothing to decrypt, so unusable aesgcm headers do not matter.
    expect(
      parsePushHeaders(reader({ ttl: '60', 'content-encoding': 'aesgcm', encryption: 'x' }), 0),
    ).toMatchObject({ encoding: null, encryption: null, cryptoKey: null });
  });

  it('fills in the defaults of an empty push with only a TTL', () => {
    expect(parsePushHeaders(reader({ ttl: '60' }), 0)).toEqual({
      ttl: 60,
      urgency: 'normal',
      topic: null,
      encoding: null,
      encryption: null,
      cryptoKey: null,
    });
  });

  it('requires TTL', () => {
    expect(refusal(() => parsePushHeaders(reader({}), 0)).code).toBe('invalid_ttl');
  });

  it('answers the 400 of a bad header before the 415 of a bad encoding', () => {
    const err = refusal(() =>
      parsePushHeaders(reader({ ttl: '60', urgency: 'soon', 'content-encoding': 'gzip' }), 10),
    );
    expect(err.status).toBe(400);
    expect(err.code).toBe('invalid_urgency');
  });
});
