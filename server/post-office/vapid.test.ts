// VAPID (RFC 8292) as docs/protocol.md §4 applies it: every refusal is a 401 invalid_vapid. Tokens
// are signed here with node:crypto, as a sender's library would, so the verifier is
// checked against real ES256 signatures rather than against itself.
import * as crypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpError } from '../http/errors.js';
import { parseVapidHeader, type VapidCredentials, VapidVerifier } from './vapid.js';

// Wraps node:crypto's verify so a test can tell whether the signature was checked again.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, verify: vi.fn(actual.verify) };
});

const AUDIENCE = 'https://push.example.com';
const NOW = 1_900_000_000;
/** The order of P-256: an ECDSA signature (r, s) also verifies as (r, n − s). */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

interface Signer {
  privateKey: crypto.KeyObject;
  /** base64url of the 65-byte uncompressed public point, as in `k=`. */
  publicKey: string;
}

function newSigner(): Signer {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x ?? '', 'base64url'),
    Buffer.from(jwk.y ?? '', 'base64url'),
  ]);
  return { privateKey, publicKey: point.toString('base64url') };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An ES256 JWT over any header and claims; signature in the JOSE (P1363, r‖s) form. */
function jwt(
  signer: Signer,
  claims: unknown,
  header: Record<string, unknown> = { typ: 'JWT', alg: 'ES256' },
): string {
  const signingInput = `${b64(header)}.${b64(claims)}`;
  const signature = crypto.sign('sha256', Buffer.from(signingInput), {
    key: signer.privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${signingInput}.${signature.toString('base64url')}`;
}

const validClaims = (overrides: Record<string, unknown> = {}) => ({
  aud: AUDIENCE,
  exp: NOW + 12 * 3600,
  sub: 'mailto:ops@example.com',
  ...overrides,
});

function rejection(run: () => unknown): HttpError {
  try {
    run();
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw new Error(`expected an HttpError, got ${String(err)}`);
  }
  throw new Error('expected the VAPID credentials to be refused');
}

function expectInvalid(run: () => unknown): void {
  const err = rejection(run);
  expect(err.status).toBe(401);
  expect(err.code).toBe('invalid_vapid');
}

const signer = newSigner();

afterEach(() => {
  vi.mocked(crypto.verify).mockClear();
});

describe('parseVapidHeader', () => {
  it('is null without an Authorization header (VAPID is optional without a key)', () => {
    expect(parseVapidHeader(undefined)).toBeNull();
  });

  it.each([
    ['vapid t=aaa.bbb.ccc, k=BKey', 'the form web-push sends'],
    ['vapid t=aaa.bbb.ccc,k=BKey', 'no space after the comma'],
    ['  vapid   t = aaa.bbb.ccc  ,   k = BKey  ', 'spaces everywhere'],
    ['vapid k=BKey, t=aaa.bbb.ccc', 'k first'],
    ['vapid t="aaa.bbb.ccc", k="BKey"', 'quoted values'],
    ['VAPID T=aaa.bbb.ccc, K=BKey', 'upper-case scheme and names'],
    ['vapid t=aaa.bbb.ccc, k=BKey==', 'a padded key'],
    ['vapid t=aaa.bbb.ccc, k=BKey, x=ignored', 'an unknown parameter'],
  ])('reads %j (%s)', (header) => {
    expect(parseVapidHeader(header)).toEqual({ token: 'aaa.bbb.ccc', key: 'BKey' });
  });

  it.each([
    'WebPush aaa.bbb.ccc',
    'Bearer aaa.bbb.ccc',
    'Basic dXNlcjpwYXNz',
    'vapidt=aaa.bbb.ccc, k=BKey',
    'vapid',
    'vapid t=aaa.bbb.ccc',
    'vapid k=BKey',
    'vapid t=, k=BKey',
    'vapid t=aaa.bbb.ccc, k=',
    '',
  ])('refuses %j with 401 invalid_vapid', (header) => {
    expectInvalid(() => parseVapidHeader(header));
  });
});

describe('parseVapidHeader, legacy WebPush scheme (draft-ietf-webpush-vapid-01)', () => {
  const dh = 'BDhKey';

  it.each([
    ['p256ecdsa=BKey', 'the key alone'],
    [`dh=${dh};p256ecdsa=BKey`, 'beside dh, as npm web-push writes it'],
    [`dh=${dh},p256ecdsa=BKey`, 'beside dh, comma-separated'],
    [`p256ecdsa="BKey"; dh=${dh}`, 'quoted, first'],
    ['keyid=p256dh;dh=x, P256ECDSA=BKey==', 'upper-case name, padded key'],
  ])('reads the key from Crypto-Key %j (%s)', (cryptoKey) => {
    expect(parseVapidHeader('WebPush aaa.bbb.ccc', cryptoKey)).toEqual({
      token: 'aaa.bbb.ccc',
      key: 'BKey',
    });
    expect(parseVapidHeader('  webpush   aaa.bbb.ccc ', cryptoKey)?.token).toBe('aaa.bbb.ccc');
  });

  it.each([
    ['WebPush aaa.bbb.ccc', undefined, 'no Crypto-Key'],
    ['WebPush aaa.bbb.ccc', `dh=${dh}`, 'a Crypto-Key without p256ecdsa'],
    ['WebPush aaa.bbb.ccc', 'p256ecdsa=a, p256ecdsa=b', 'two keys'],
    ['WebPush aaa.bbb.ccc', 'p256ecdsa', 'a malformed Crypto-Key'],
    ['WebPush', 'p256ecdsa=BKey', 'no token'],
    ['WebPush aaa.bbb.ccc, k=BKey', 'p256ecdsa=BKey', 'extra parameters'],
    ['WebPush aaa bbb', 'p256ecdsa=BKey', 'two tokens'],
  ])('refuses %j with Crypto-Key %j (%s) with 401 invalid_vapid', (header, cryptoKey, _why) => {
    expectInvalid(() => parseVapidHeader(header, cryptoKey));
  });

  it('reads the vapid scheme alone, whatever Crypto-Key says', () => {
    expect(parseVapidHeader('vapid t=aaa.bbb.ccc, k=BKey', 'p256ecdsa=BOther')).toEqual({
      token: 'aaa.bbb.ccc',
      key: 'BKey',
    });
  });

  it('is verified exactly like the vapid scheme', () => {
    const token = jwt(signer, validClaims());
    const parsed = parseVapidHeader(`WebPush ${token}`, `dh=${dh};p256ecdsa=${signer.publicKey}`);
    expect(() => new VapidVerifier(AUDIENCE).verify(parsed!, NOW)).not.toThrow();
    const other = newSigner();
    const mismatched = parseVapidHeader(`WebPush ${token}`, `p256ecdsa=${other.publicKey}`);
    expectInvalid(() => new VapidVerifier(AUDIENCE).verify(mismatched!, NOW));
  });
});

describe('VapidVerifier with PUBLIC_URL_ALIASES', () => {
  const aliases = [AUDIENCE, 'http://push.example.com:8080', 'https://push.example.org'];

  it('accepts aud equal to any of the origins, and nothing else', () => {
    const v = new VapidVerifier(aliases);
    for (const aud of aliases) {
      expect(() =>
        v.verify({ token: jwt(signer, validClaims({ aud })), key: signer.publicKey }, NOW),
      ).not.toThrow();
    }
    for (const aud of ['https://push.example.net', 'http://push.example.com', `${AUDIENCE}/`]) {
      expectInvalid(() =>
        v.verify({ token: jwt(signer, validClaims({ aud })), key: signer.publicKey }, NOW),
      );
    }
  });

  it('names the accepted origins when refusing', () => {
    const err = rejection(() =>
      new VapidVerifier(aliases).verify(
        {
          token: jwt(signer, validClaims({ aud: 'https://elsewhere.example' })),
          key: signer.publicKey,
        },
        NOW,
      ),
    );
    for (const aud of aliases) expect(err.message).toContain(aud);
  });
});

describe('VapidVerifier', () => {
  const verifier = () => new VapidVerifier(AUDIENCE);
  const credentials = (token: string, key = signer.publicKey): VapidCredentials => ({ token, key });

  it('accepts a token signed by k for our origin, with sub or without', () => {
    expect(() => verifier().verify(credentials(jwt(signer, validClaims())), NOW)).not.toThrow();
    const noSub = { aud: AUDIENCE, exp: NOW + 60 };
    expect(() => verifier().verify(credentials(jwt(signer, noSub)), NOW)).not.toThrow();
  });

  it('accepts what parseVapidHeader read from a real header', () => {
    const header = `vapid t=${jwt(signer, validClaims())}, k=${signer.publicKey}`;
    const parsed = parseVapidHeader(header);
    expect(parsed).not.toBeNull();
    expect(() => verifier().verify(parsed!, NOW)).not.toThrow();
  });

  it('accepts a high-S signature, as OpenSSL signers produce half the time', () => {
    // ECDSA (r, s) and (r, n − s) are both valid. Node's verify does not insist on low S,
    // and neither may we: libraries that sign with OpenSSL (Python, PHP, Go, node) emit
    // either form, and refusing one would drop half of their pushes.
    const token = jwt(signer, validClaims());
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const bytes = Buffer.from(signature, 'base64url');
    const s = BigInt(`0x${bytes.subarray(32).toString('hex')}`);
    const flipped = Buffer.concat([
      bytes.subarray(0, 32),
      Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex'),
    ]);
    const twin = `${header}.${payload}.${flipped.toString('base64url')}`;
    // Exactly one of the two is high-S whatever the signer chose, so both forms are covered.
    expect(s > P256_ORDER / 2n).not.toBe(P256_ORDER - s > P256_ORDER / 2n);
    expect(() => verifier().verify(credentials(token), NOW)).not.toThrow();
    expect(() => verifier().verify(credentials(twin), NOW)).not.toThrow();
  });

  it.each([
    ['another origin', { aud: 'https://evil.example.com' }],
    ['a trailing slash', { aud: `${AUDIENCE}/` }],
    ['a path', { aud: `${AUDIENCE}/push` }],
    ['an explicit default port', { aud: `${AUDIENCE}:443` }],
    ['http instead of https', { aud: 'http://push.example.com' }],
    ['an array', { aud: [AUDIENCE] }],
    ['no aud', { aud: undefined }],
  ])('refuses aud with %s', (_label, overrides) => {
    expectInvalid(() => verifier().verify(credentials(jwt(signer, validClaims(overrides))), NOW));
  });

  it('refuses an exp that has passed, or is now', () => {
    for (const exp of [NOW - 1, NOW, NOW - 86_400]) {
      expectInvalid(() => verifier().verify(credentials(jwt(signer, validClaims({ exp }))), NOW));
    }
  });

  it('refuses an exp more than 24 hours ahead, allowing a minute of clock skew', () => {
    const day = 24 * 3600;
    for (const exp of [NOW + day, NOW + day + 60]) {
      expect(() =>
        verifier().verify(credentials(jwt(signer, validClaims({ exp }))), NOW),
      ).not.toThrow();
    }
    for (const exp of [NOW + day + 61, NOW + 7 * day, Number.MAX_SAFE_INTEGER]) {
      expectInvalid(() => verifier().verify(credentials(jwt(signer, validClaims({ exp }))), NOW));
    }
  });

  it.each([
    ['missing', undefined],
    ['a string', String(NOW + 60)],
    ['null', null],
  ])('refuses an exp that is %s', (_label, exp) => {
    expectInvalid(() => verifier().verify(credentials(jwt(signer, validClaims({ exp }))), NOW));
  });

  it('refuses a sub that is not a string', () => {
    expectInvalid(() => verifier().verify(credentials(jwt(signer, validClaims({ sub: 42 }))), NOW));
  });

  it('refuses alg none, even with an empty signature', () => {
    const unsigned = `${b64({ typ: 'JWT', alg: 'none' })}.${b64(validClaims())}.`;
    expectInvalid(() => verifier().verify(credentials(unsigned), NOW));
    const signedAnyway = jwt(signer, validClaims(), { typ: 'JWT', alg: 'none' });
    expectInvalid(() => verifier().verify(credentials(signedAnyway), NOW));
  });

  it('refuses HS256, even keyed with the public key (the classic confusion attack)', () => {
    const input = `${b64({ typ: 'JWT', alg: 'HS256' })}.${b64(validClaims())}`;
    const mac = crypto
      .createHmac('sha256', Buffer.from(signer.publicKey, 'base64url'))
      .update(input)
      .digest('base64url');
    expectInvalid(() => verifier().verify(credentials(`${input}.${mac}`), NOW));
  });

  it('refuses a bad signature: another key, a changed claim, a flipped bit, DER form', () => {
    const other = newSigner();
    expectInvalid(() => verifier().verify(credentials(jwt(other, validClaims())), NOW));

    const token = jwt(signer, validClaims());
    const [header, , signature] = token.split('.') as [string, string, string];
    const forged = `${header}.${b64(validClaims({ sub: 'mailto:mallory@example.com' }))}.${signature}`;
    expectInvalid(() => verifier().verify(credentials(forged), NOW));

    const bytes = Buffer.from(signature, 'base64url');
    bytes[10] = (bytes[10] ?? 0) ^ 1;
    expectInvalid(() =>
      verifier().verify(
        credentials(`${token.slice(0, token.lastIndexOf('.'))}.${bytes.toString('base64url')}`),
        NOW,
      ),
    );

    const input = token.slice(0, token.lastIndexOf('.'));
    const der = crypto.sign('sha256', Buffer.from(input), signer.privateKey).toString('base64url');
    expectInvalid(() => verifier().verify(credentials(`${input}.${der}`), NOW));
  });

  it('refuses a payload that is not a JSON object, even when properly signed', () => {
    for (const claims of [[AUDIENCE], 'text', 42, null]) {
      expectInvalid(() => verifier().verify(credentials(jwt(signer, claims)), NOW));
    }
  });

  it('refuses a token that is not three dot-separated parts', () => {
    const token = jwt(signer, validClaims());
    for (const bad of ['', 'abc', token.split('.').slice(0, 2).join('.'), `${token}.x`]) {
      expectInvalid(() => verifier().verify(credentials(bad), NOW));
    }
  });

  it('refuses a k that is not an uncompressed P-256 point', () => {
    const token = jwt(signer, validClaims());
    const point = Buffer.from(signer.publicKey, 'base64url');
    const offCurve = Buffer.from(point);
    offCurve[64] = (offCurve[64] ?? 0) ^ 1;
    const compressed = Buffer.concat([
      Buffer.from([2 + ((point[64] ?? 0) & 1)]),
      point.subarray(1, 33),
    ]);
    const wrongPrefix = Buffer.from(point);
    wrongPrefix[0] = 5;
    for (const key of [
      offCurve.toString('base64url'),
      compressed.toString('base64url'),
      wrongPrefix.toString('base64url'),
      point.subarray(0, 64).toString('base64url'),
      Buffer.alloc(65).toString('base64url'),
      'not base64url!',
      '',
    ]) {
      expectInvalid(() => verifier().verify(credentials(token, key), NOW));
    }
  });

  it('remembers a verified token: the same one is not verified again until it expires', () => {
    const v = verifier();
    const token = jwt(signer, validClaims({ exp: NOW + 600 }));
    v.verify(credentials(token), NOW);
    expect(crypto.verify).toHaveBeenCalledTimes(1);

    v.verify(credentials(token), NOW + 1);
    v.verify(credentials(token), NOW + 599);
    expect(crypto.verify).toHaveBeenCalledTimes(1);

    // Past exp, the cache must not answer yes, now or later.
    expectInvalid(() => v.verify(credentials(token), NOW + 600));
    expectInvalid(() => v.verify(credentials(token), NOW + 601));
  });

  it('does not let a cached token vouch for another key or another token', () => {
    const v = verifier();
    const token = jwt(signer, validClaims());
    v.verify(credentials(token), NOW);
    const other = newSigner();
    expectInvalid(() => v.verify(credentials(token, other.publicKey), NOW));
    const [header, payload] = token.split('.') as [string, string];
    expectInvalid(() => v.verify(credentials(`${header}.${payload}.AAAA`), NOW));
  });

  it('never caches a refusal: a rejected token stays rejected, a valid one still passes', () => {
    const v = verifier();
    const expired = jwt(signer, validClaims({ exp: NOW - 1 }));
    expectInvalid(() => v.verify(credentials(expired), NOW));
    expectInvalid(() => v.verify(credentials(expired), NOW));
    expect(() => v.verify(credentials(jwt(signer, validClaims())), NOW)).not.toThrow();
  });
});
