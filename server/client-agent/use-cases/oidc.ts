// Use case of signing in with an OpenID Connect provider (docs/protocol.md §9): a verified ID
// token whose nonce this server issued buys a device (client) of the account of its
// (issuer, subject), made on first use, exactly as POST /v1/clients registers one.
import type { OidcClientResponse } from '../../../shared/protocol.js';
import { HttpError, serviceUnavailable } from '../../http/errors.js';
import { shortId } from '../../observability/logger.js';
import type { Services } from '../../services.js';
import { SharedStateUnavailable } from '../../shared-state/memcached.js';
import { IdTokenRejected } from '../oidc/id-tokens.js';
import { type RegisterClientDeps, registerClient } from './clients.js';

export type OidcSignInDeps = RegisterClientDeps &
  Pick<Services, 'idTokens' | 'nonces'> & {
    store: RegisterClientDeps['store'] & Pick<Services['store'], 'findOrCreateOidcAccount'>;
  };

const nonceRefused = () =>
  new HttpError(
    401,
    'invalid_nonce',
    'the nonce of this ID token was not issued by this server, has expired or was used already; ask POST /v1/oidc/nonce for a new one and sign in again',
    { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
  );

/**
 * The nonce is consumed only after the token verified: a forged token must not be able to
 * spend somebody else's nonce. A refused token is logged with its reason and issuer, never
 * the token itself (it would sign its holder in until it expires).
 */
export async function signInWithOidc(
  deps: OidcSignInDeps,
  input: { idToken: string; name: string },
): Promise<OidcClientResponse> {
  const { idTokens, nonces, store, log } = deps;
  let identity: Awaited<ReturnType<typeof idTokens.verify>>;
  try {
    identity = await idTokens.verify(input.idToken);
  } catch (err) {
    if (err instanceof IdTokenRejected) {
      log.warn(
        { event: 'oidc.token_rejected', issuer: err.issuer, reason: err.message },
        'ID token refused',
      );
    }
    throw err;
  }
  let fresh: boolean;
  try {
    fresh = await nonces.consume(identity.nonce);
  } catch (err) {
    if (err instanceof SharedStateUnavailable) {
      throw serviceUnavailable('sign-in nonces cannot be checked right now; try again');
    }
    throw err;
  }
  if (!fresh) {
    log.warn(
      { event: 'oidc.nonce_rejected', issuer: identity.issuer },
      'ID token with an unknown, expired or used nonce',
    );
    throw nonceRefused();
  }
  const { account, created } = await store.findOrCreateOidcAccount(
    identity.issuer,
    identity.subject,
  );
  if (account.disabledAt) {
    throw new HttpError(403, 'account_disabled', 'this account is disabled');
  }
  if (created) {
    log.info(
      { event: 'account.created', userId: shortId(account.userId), issuer: identity.issuer },
      'account created by an OpenID Connect sign-in',
    );
  }
  const client = await registerClient(deps, account, input.name);
  return { ...client, accountCreated: created };
}
