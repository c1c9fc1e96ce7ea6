// Who is calling: Basic (username:password) for registering a device, Bearer (a client
// token) for everything else. Wrong credentials are 401; a disabled account is 403.
import type { MiddlewareHandler } from 'hono';
import { normalizeUsername } from '../../shared/protocol.js';
import type { AppEnv } from '../http/app-env.js';
import { HttpError, serviceUnavailable, unauthorized } from '../http/errors.js';
import { type Logger, shortId } from '../observability/logger.js';
import { HashingBusy, type PasswordHasher } from '../security/password-hasher.js';
import { hashToken } from '../security/tokens.js';
import type { Account, ClientIdentity, Store } from '../store/store.js';

export interface SignInDeps {
  store: Store;
  passwords: PasswordHasher;
  log: Logger;
}

const accountDisabled = () => new HttpError(403, 'account_disabled', 'this account is disabled');

function parseAuthorization(header: string | undefined): { scheme: string; value: string } | null {
  if (!header) return null;
  const match = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(header);
  if (!match) return null;
  return { scheme: match[1]!.toLowerCase(), value: match[2]! };
}

export async function identifyClientToken(
  store: Store,
  token: string,
): Promise<ClientIdentity | null> {
  return store.findClientByTokenHash(hashToken(token));
}

async function bearerIdentity(store: Store, token: string): Promise<ClientIdentity> {
  const identity = await identifyClientToken(store, token);
  if (!identity) throw unauthorized('unknown or revoked client token');
  if (identity.account.disabledAt) throw accountDisabled();
  return identity;
}

async function basicAccount(deps: SignInDeps, encoded: string): Promise<Account> {
  const { store, passwords } = deps;
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64'));
  } catch {
    throw unauthorized('malformed Basic credentials');
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) throw unauthorized('malformed Basic credentials');
  const username = normalizeUsername(decoded.slice(0, colon));
  const password = decoded.slice(colon + 1);
  const account = await store.findAccountByUsername(username);
  let ok = false;
  try {
    // An account made by an OpenID Connect sign-in has no password (docs/protocol.md §9):
    // it is checked like an unknown name, so the timing does not tell it apart either.
    if (account && account.oidcIssuer === null) {
      const verified = await passwords.verify(password, account.passwordHash);
      ok = verified.ok;
      if (ok && verified.outdated) rehashLater(deps, account, password);
    } else {
      await passwords.verifyUnknown(password);
    }
  } catch (err) {
    if (err instanceof HashingBusy) {
      throw serviceUnavailable('too many sign-ins are being checked right now; try again');
    }
    throw err;
  }
  if (!account || !ok) throw unauthorized('wrong username or password');
  if (account.disabledAt) throw accountDisabled();
  return account;
}

/**
 * A hash made at an older, lower cost is replaced, now that the password is at hand, after
 * the answer: the user does not wait for it. The store swaps it only if it is still the
 * hash that was checked (a password changed meanwhile stays changed).
 */
function rehashLater({ store, passwords, log }: SignInDeps, account: Account, password: string) {
  void (async () => {
    const fresh = await passwords.rehash(password);
    if (fresh === null) return; // the lane is full: the next sign-in tries again
    if (await store.replacePasswordHash(account.userId, account.passwordHash, fresh)) {
      log.info(
        { event: 'account.password_rehashed', userId: shortId(account.userId) },
        'password hash made again at the current cost',
      );
    }
  })().catch((err: unknown) => {
    log.warn({ event: 'account.rehash_failed', userId: shortId(account.userId), err });
  });
}

/** Bearer <clientToken>; sets `identity`. */
export function requireClient(store: Store): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const auth = parseAuthorization(c.req.header('authorization'));
    if (auth?.scheme !== 'bearer') throw unauthorized('a Bearer client token is required');
    c.set('identity', await bearerIdentity(store, auth.value));
    await next();
  };
}

/** The account behind Basic credentials, or behind the Bearer token of one of its clients. */
export async function accountFromBasicOrBearer(
  deps: SignInDeps,
  header: string | undefined,
): Promise<Account> {
  const auth = parseAuthorization(header);
  if (auth?.scheme === 'basic') return basicAccount(deps, auth.value);
  if (auth?.scheme === 'bearer') return (await bearerIdentity(deps.store, auth.value)).account;
  throw new HttpError(401, 'unauthorized', 'Basic or Bearer credentials are required', {
    'WWW-Authenticate': 'Basic realm="push"',
  });
}
