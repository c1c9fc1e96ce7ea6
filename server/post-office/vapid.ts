// VAPID (RFC 8292): `Authorization: vapid t=<JWT>, k=<public key>`. The JWT must be
// ES256-signed by k, for our origin, and expire within 24 hours. Verified tokens are
// cached until they expire, since a sender reuses one token for many pushes.
import { verify } from 'node:crypto';
import { LRUCache } from 'lru-cache';
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

export function parseVapidHeader(header: string | undefined): VapidCredentials | null {
  if (header === undefined) return null;
  const match = /^\s*vapid\s+(.*)$/i.exec(header);
  if (!match) throw invalid('Authorization must use the vapid scheme: vapid t=<JWT>, k=<key>');
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

  constructor(private readonly audience: string) {}

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
    if (claims.aud !== this.audience) {
      throw invalid(`the JWT aud must be exactly ${this.audience}`);
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
