// /v1/oidc (docs/protocol.md §9): parse, call the use case, answer.
import { Hono } from 'hono';
import {
  OidcClientRequest,
  type OidcClientResponse,
  type OidcNonceResponse,
} from '../../shared/protocol.js';
import { IpAllowance } from '../dos/ip-allowance.js';
import type { AppEnv } from '../http/app-env.js';
import { readJson } from '../http/body.js';
import { HttpError, serviceUnavailable } from '../http/errors.js';
import type { Services } from '../services.js';
import { SharedStateUnavailable } from '../shared-state/memcached.js';
import { signInWithOidc } from './use-cases/oidc.js';

export function oidcRoutes(services: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // One per process: it falls back to counting here while memcached is down.
  const nonceAllowance = new IpAllowance(
    services.cache,
    'oidc-nonce',
    () => services.config.limits.oidcNoncesPerIpPerHour,
    3600,
  );

  // Without OIDC_ISSUERS there is nothing to sign in with: say so rather than hand out nonces.
  app.use('*', async (_c, next) => {
    if (services.idTokens.issuers.length === 0) {
      throw new HttpError(404, 'oidc_disabled', 'this server accepts no OpenID Connect sign-in');
    }
    await next();
  });

  app.post('/nonce', async (c) => {
    const ip = c.get('clientIp');
    if (!services.dos.isAllowListed(ip)) {
      const allowance = await nonceAllowance.take(ip);
      if (!allowance.allowed) {
        throw new HttpError(
          429,
          'too_many_nonces',
          `at most ${services.config.limits.oidcNoncesPerIpPerHour} sign-in nonces can be asked for from one address per hour; try again later`,
          { 'Retry-After': String(allowance.retryAfter) },
        );
      }
    }
    try {
      const issued = await services.nonces.issue();
      return c.json(issued satisfies OidcNonceResponse, 201, { 'Cache-Control': 'no-store' });
    } catch (err) {
      if (err instanceof SharedStateUnavailable) {
        throw serviceUnavailable('sign-in nonces cannot be kept right now; try again');
      }
      throw err;
    }
  });

  app.post('/clients', async (c) => {
    const input = await readJson(c, OidcClientRequest);
    const created = await signInWithOidc(services, input);
    return c.json(created satisfies OidcClientResponse, 201);
  });

  return app;
}
