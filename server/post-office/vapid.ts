// VAPID (RFC 8292): `Authorization: vapid t=<JWT>, k=<public key>`, or the legacy form of
// draft-ietf-webpush-vapid-01 that older libraries still send: `Authorization: WebPush <JWT>`
// with the key as `p256ecdsa=` in Crypto-Key. Both are checked the same way: the JWT must be
// ES256-signed by the key, for one of our origins, and expire within 24 hours. Verified
// tokens are cached until they expire, since a sender reuses one token for many pushes.
import { verify } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { parseParamList, singleParam } from '../../shared/crypto/aesgcm.js';
import { HttpError } from '../http/errors.js';
import { parseP256PublicKey } from '../security/ec-keys.js';

const MAX_EXPIRY_SECONDS = 24 * 60 * 60;
/** Allowance for senders whose clock runs a little ahead of ours. */
const CLOCK_SKEW_SECONDS = 60;

export interface VapidCredentials {
  token: string;
  /** base64url of the sender's 65-byte public key. */
  key: string;
}

const invalid = (message: string) => new HttpError(401, 'invalid_vapid', message);

/**
 * The credentials of a push, from its Authorization header and, for the legacy WebPush
 * scheme, its Crypto-Key header; null when there is no Authorization at all.
 */
export function parseVapidHeader(
  header: string | undefined,
  cryptoKey?: string,
): VapidCredentials | null {
  if (header === undefined) return null;
  const match = /^\s*vapid\s+(.*)$/i.exec(header);
  if (!match) {
    const legacy = /^\s*webpush\s+([^\s,;]+)\s*$/i.exec(header);
    if (legacy) return { token: legacy[1]!, key: legacyKey(cryptoKey) };
    throw invalid(
      'Authorization must be vapid t=<JWT>, k=<key> (or the legacy WebPush <JWT> with Crypto-Key: p256ecdsa=<key>)',
    );
  }
  const params = new Map<string, string>();
  for (const part of match[1]!.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    params.set(
      part.slice(0, eq).trim().toLowerCase(),
      part
        .slice(eq + 1)
        .trim()
        .replace(/^"|"$/g, ''),
    );
  }
  const token = params.get('t');
  const key = params.get('k');
  if (!token || !key) throw invalid('the vapid Authorization needs both t= and k=');
  return { token, key: key.replace(/=+$/, '') };
}

/** draft-ietf-webpush-vapid-01: the key is `p256ecdsa=` in Crypto-Key, maybe beside `dh=`. */
function legacyKey(cryptoKey: string | undefined): string {
  const missing = 'Authorization: WebPush needs the key in Crypto-Key: p256ecdsa=<key>';
  if (cryptoKey === undefined) throw invalid(missing);
  let key: string | null;
  try {
    key = singleParam(parseParamList(cryptoKey), 'p256ecdsa');
  } catch (err) {
    throw invalid(`Crypto-Key: ${(err as Error).message}`);
  }
  if (key === null) throw invalid(missing);
  return key.replace(/=+$/, '');
}

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

export class VapidVerifier {
  /** key → exp (seconds) of tokens whose signature and claims already checked out. */
  private readonly verified = new LRUCache<string, number>({ max: 10_000 });

  /** The origins accepted as `aud`: PUBLIC_URL's and PUBLIC_URL_ALIASES'. */
  private readonly audiences: ReadonlySet<string>;

  constructor(audiences: string | readonly string[]) {
    this.audiences = new Set(typeof audiences === 'string' ? [audiences] : audiences);
  }

  /** Throws 401 unless the token is valid and signed by `credentials.key`. */
  verify(credentials: VapidCredentials, nowSeconds: number = Date.now() / 1000): void {
    const cacheKey = `${credentials.key} ${credentials.token}`;
    const cachedExp = this.verified.get(cacheKey);
    if (cachedExp !== undefined) {
      if (cachedExp > nowSeconds) return;
      this.verified.delete(cacheKey);
      throw invalid('the VAPID token has expired');
    }
    const publicKey = parseP256PublicKey(credentials.key);
    if (!publicKey) throw invalid('k is not an uncompressed P-256 public key');
    const parts = credentials.token.split('.');
    if (parts.length !== 3) throw invalid('t is not a JWT');
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = decodeJson(headerPart);
    if (header?.alg !== 'ES256') throw invalid('the JWT must be signed with ES256');
    const signature = Buffer.from(signaturePart, 'base64url');
    const signed = verify(
      'sha256',
      Buffer.from(`${headerPart}.${payloadPart}`),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      signature,
    );
    if (signature.length !== 64 || !signed) throw invalid('the JWT signature does not match k');
    const claims = decodeJson(payloadPart);
    if (!claims) throw invalid('the JWT payload is not a JSON object');
    if (typeof claims.aud !== 'string' || !this.audiences.has(claims.aud)) {
      throw invalid(`the JWT aud must be exactly ${[...this.audiences].join(' or ')}`);
    }
    const exp = claims.exp;
    if (typeof exp !== 'number' || !Number.isFinite(exp))
      throw invalid('the JWT needs a numeric exp');
    if (exp <= nowSeconds) throw invalid('the VAPID token has expired');
    if (exp > nowSeconds + MAX_EXPIRY_SECONDS + CLOCK_SKEW_SECONDS) {
      throw invalid('the JWT exp must be at most 24 hours ahead');
    }
    if (claims.sub !== undefined && typeof claims.sub !== 'string')
      throw invalid('the JWT sub must be a string');
    this.verified.set(cacheKey, exp);
  }
}
