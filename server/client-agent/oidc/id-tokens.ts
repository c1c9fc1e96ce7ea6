// Checks ID tokens of the OpenID Connect providers in OIDC_ISSUERS (docs/protocol.md §9): the
// signature against the provider's published keys (JWKS, found through its discovery
// document), then `iss`, `aud`, `exp`. The nonce is checked by the caller against the ones
// this server issued (nonces.ts). jose does the JWT work; this module decides which
// provider a token belongs to and turns jose's failures into the protocol's answers.
import {
  createRemoteJWKSet,
  decodeJwt,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import type { OidcIssuer } from '../../config.js';
import { HttpError, serviceUnavailable } from '../../http/errors.js';

/** Why a token was refused; the message is safe to show and to log (it quotes no token). */
export class IdTokenRejected extends HttpError {
  constructor(
    message: string,
    /** The configured issuer the token claimed, when it claimed one of them. */
    readonly issuer: string | null,
  ) {
    super(401, 'invalid_id_token', message, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    this.name = 'IdTokenRejected';
  }
}

/** The identity a verified ID token names. */
export interface VerifiedIdToken {
  issuer: string;
  subject: string;
  /** The token's `nonce`, still to be matched with one this server issued. */
  nonce: string;
}

export interface IdTokenVerifierOptions {
  /** Least time between two JWKS fetches of one provider (OIDC_JWKS_COOLDOWN_SECONDS). */
  jwksCooldownMs: number;
  /** The longest a discovery or JWKS fetch may take: a request answers within 2 s (§4). */
  fetchTimeoutMs?: number;
  /** How long fetched keys are used before being fetched again, even without a new kid. */
  jwksMaxAgeMs?: number;
}

/** Public-key algorithms only: a provider's JWKS never holds a shared secret for HS256. */
const ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/** Clocks of the provider and this server differ by a few seconds; a minute is plenty. */
const CLOCK_TOLERANCE_SECONDS = 60;

interface Provider {
  config: OidcIssuer;
  /** Resolved once per process; forgotten on failure so the next sign-in tries again. */
  keys: Promise<JWTVerifyGetKey> | null;
}

export class IdTokenVerifier {
  private readonly providers = new Map<string, Provider>();

  constructor(
    issuers: OidcIssuer[],
    private readonly options: IdTokenVerifierOptions,
  ) {
    for (const config of issuers) this.providers.set(config.issuer, { config, keys: null });
  }

  /** The configured issuers, as GET /v1/info lists them. */
  get issuers(): OidcIssuer[] {
    return [...this.providers.values()].map((p) => p.config);
  }

  async verify(idToken: string): Promise<VerifiedIdToken> {
    let claimed: JWTPayload;
    try {
      claimed = decodeJwt(idToken);
    } catch {
      throw new IdTokenRejected('the ID token is not a JWT', null);
    }
    // Only to choose whose keys to check against: jwtVerify below checks `iss` again.
    const provider = typeof claimed.iss === 'string' ? this.providers.get(claimed.iss) : undefined;
    if (!provider) {
      throw new IdTokenRejected(
        'the ID token comes from an issuer this server does not accept (see GET /v1/info)',
        null,
      );
    }
    const { issuer, clientId } = provider.config;
    const keys = await this.keysOf(provider);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, keys, {
        issuer,
        audience: clientId,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub', 'exp', 'iat', 'nonce'],
      }));
    } catch (err) {
      throw this.explain(err, issuer);
    }
    // With several audiences, `azp` must name this client (docs/protocol.md §9).
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== clientId) {
      throw new IdTokenRejected('the ID token was issued to another client (azp)', issuer);
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
      throw new IdTokenRejected('the ID token has no subject', issuer);
    }
    if (typeof payload.nonce !== 'string') {
      throw new IdTokenRejected('the ID token has no nonce', issuer);
    }
    return { issuer, subject: payload.sub, nonce: payload.nonce };
  }

  private explain(err: unknown, issuer: string): HttpError {
    if (err instanceof errors.JWTExpired) {
      return new IdTokenRejected('the ID token has expired', issuer);
    }
    if (err instanceof errors.JWTClaimValidationFailed) {
      const what =
        err.claim === 'aud'
          ? 'was issued to another client (aud)'
          : err.claim === 'iss'
            ? 'names another issuer (iss)'
            : `has a missing or wrong "${err.claim}" claim`;
      return new IdTokenRejected(`the ID token ${what}`, issuer);
    }
    if (
      err instanceof errors.JWSSignatureVerificationFailed ||
      err instanceof errors.JWKSNoMatchingKey ||
      err instanceof errors.JWKSMultipleMatchingKeys
    ) {
      return new IdTokenRejected(
        "the ID token's signature does not match the issuer's published keys",
        issuer,
      );
    }
    if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) {
      return providerUnavailable(issuer);
    }
    if (err instanceof errors.JOSEError) {
      return new IdTokenRejected(`the ID token is malformed (${err.code})`, issuer);
    }
    // Anything else is fetch failing to reach the JWKS.
    return providerUnavailable(issuer);
  }

  private keysOf(provider: Provider): Promise<JWTVerifyGetKey> {
    provider.keys ??= this.discover(provider.config.issuer).catch((err: unknown) => {
      provider.keys = null;
      throw err;
    });
    return provider.keys;
  }

  /** The JWKS address, from the issuer's own discovery document (docs/protocol.md §9). */
  private async discover(issuer: string): Promise<JWTVerifyGetKey> {
    const timeoutMs = this.options.fetchTimeoutMs ?? 1500;
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let document: unknown;
    try {
      const res = await fetch(url, {
        signal: AbortSignal.timeout(timeoutMs),
        headers: { accept: 'application/json' },
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      document = await res.json();
    } catch {
      throw providerUnavailable(issuer);
    }
    const fields = (document ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
    // A document naming another issuer must not be used (docs/protocol.md §9).
    if (fields.issuer !== issuer || typeof fields.jwks_uri !== 'string') {
      throw providerUnavailable(issuer);
    }
    return createRemoteJWKSet(new URL(fields.jwks_uri), {
      timeoutDuration: timeoutMs,
      cooldownDuration: this.options.jwksCooldownMs,
      cacheMaxAge: this.options.jwksMaxAgeMs ?? 10 * 60_000,
    });
  }
}

const providerUnavailable = (issuer: string) => {
  const err = serviceUnavailable(
    `the sign-in provider ${issuer} cannot be reached to check the ID token; try again`,
  );
  return new HttpError(err.status, 'provider_unavailable', err.message, err.headers);
};
