// docs/protocol.md §4's header rules, one function at a time and then together. Every refusal must
// be the HttpError the route answers with: 400 for TTL/Urgency/Topic, 415 for the encoding.
import { describe, expect, it } from 'vitest';
import { MAX_TTL_SECONDS } from '../../shared/protocol.js';
import { HttpError } from '../http/errors.js';
import {
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

  it('accepts aes128gcm for a body, in any case (content codings are case-insensitive)', () => {
    expect(parseEncoding('aes128gcm', 1)).toBe('aes128gcm');
    expect(parseEncoding(' AES128GCM ', 4096)).toBe('aes128gcm');
  });

  it.each([undefined, '', 'aesgcm', 'gzip', 'identity', 'aes128gcm, gzip'])(
    'refuses %j for a body with 415, pointing at aes128gcm',
    (value) => {
      const err = refusal(() => parseEncoding(value, 10));
      expect(err.status).toBe(415);
      expect(err.code).toBe('unsupported_encoding');
      expect(err.headers).toEqual({ 'Accept-Encoding': 'aes128gcm' });
    },
  );
});

describe('parsePushHeaders', () => {
  const reader = (headers: Record<string, string>) => (name: string) => headers[name];

  it('reads all four headers by their lower-case names', () => {
    expect(
      parsePushHeaders(
        reader({ ttl: '0090', urgency: 'high', topic: 'score', 'content-encoding': 'aes128gcm' }),
        100,
      ),
    ).toEqual({ ttl: 90, urgency: 'high', topic: 'score', encoding: 'aes128gcm' });
  });

  it('fills in the defaults of an empty push with only a TTL', () => {
    expect(parsePushHeaders(reader({ ttl: '60' }), 0)).toEqual({
      ttl: 60,
      urgency: 'normal',
      topic: null,
      encoding: null,
    });
  });

  it('requires TTL', () => {
    expect(refusal(() => parsePushHeaders(reader({}), 0)).code).toBe('invalid_ttl');
  });

  it('answers the 400 of a bad header before the 415 of a bad encoding', () => {
    const err = refusal(() =>
      parsePushHeaders(reader({ ttl: '60', urgency: 'soon', 'content-encoding': 'aesgcm' }), 10),
    );
    expect(err.status).toBe(400);
    expect(err.code).toBe('invalid_urgency');
  });
});
