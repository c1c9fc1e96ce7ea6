import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { VapidVerifier } from '../../server/post-office/vapid.js';
import {
  audienceOf,
  generateVapidKeys,
  vapidAuthorization,
  vapidAuthorizationFor,
} from './vapid.js';

function parse(header: string) {
  const match = /^vapid t=([^,]+), k=(.+)$/.exec(header);
  if (!match) throw new Error(`not a vapid header: ${header}`);
  return { token: match[1]!, key: match[2]! };
}

describe('VAPID signing', () => {
  it('signs an ES256 JWT that node:crypto verifies with the public key', () => {
    const keys = generateVapidKeys();
    const { token, key } = parse(vapidAuthorization(keys, { aud: 'https://push.example', exp: 1 }));
    expect(key).toBe(keys.publicKey);
    const [h, p, s] = token.split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({
      typ: 'JWT',
      alg: 'ES256',
    });
    expect(JSON.parse(Buffer.from(p, 'base64url').toString())).toEqual({
      aud: 'https://push.example',
      exp: 1,
    });
    const pub = Buffer.from(keys.publicKey, 'base64url');
    const publicKey = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: pub.subarray(1, 33).toString('base64url'),
        y: pub.subarray(33).toString('base64url'),
      },
      format: 'jwk',
    });
    const ok = verify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(s, 'base64url'),
    );
    expect(ok).toBe(true);
  });

  it('is accepted by the POST Office verifier, and keys from npm web-push work too', () => {
    const endpoint = 'http://localhost:8080/push/abc';
    const verifier = new VapidVerifier(audienceOf(endpoint));
    expect(audienceOf(endpoint)).toBe('http://localhost:8080');
    const ours = generateVapidKeys();
    expect(() =>
      verifier.verify(parse(vapidAuthorizationFor(endpoint, ours, 'mailto:a@example.com'))),
    ).not.toThrow();
    const theirs = webpush.generateVAPIDKeys();
    expect(() =>
      verifier.verify(parse(vapidAuthorizationFor(endpoint, theirs, 'mailto:a@example.com'))),
    ).not.toThrow();
  });

  it('makes tokens the verifier refuses when the claims are wrong', () => {
    const verifier = new VapidVerifier('http://localhost:8080');
    const keys = generateVapidKeys();
    const wrongAud = vapidAuthorizationFor(
      'http://localhost:9999/push/x',
      keys,
      'mailto:a@example.com',
    );
    expect(() => verifier.verify(parse(wrongAud))).toThrow(/aud/);
  });
});
