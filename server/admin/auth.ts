// Who may use /admin: whoever presents ADMIN_TOKEN as a Bearer token. Without ADMIN_TOKEN
// every /admin path answers 404 with a message saying how to turn it on.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/app-env.js';
import { secretsEqual } from '../security/tokens.js';

export const ADMIN_DISABLED_MESSAGE = 'admin is disabled: set ADMIN_TOKEN';

export function adminEnabled(adminToken: string | null): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!adminToken)
      return c.json({ error: 'admin_disabled', message: ADMIN_DISABLED_MESSAGE }, 404);
    await next();
  };
}

/** `Authorization: Bearer <ADMIN_TOKEN>`; a wrong token is a bad request for the DoS counters. */
export function requireAdminToken(adminToken: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '');
    if (!match || !secretsEqual(match[1]!, adminToken)) {
      return c.json(
        {
          error: 'unauthorized',
          message: 'a valid admin token is required (Authorization: Bearer <ADMIN_TOKEN>)',
        },
        401,
        { 'WWW-Authenticate': 'Bearer realm="admin"' },
      );
    }
    await next();
  };
}
