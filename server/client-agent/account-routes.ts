import { Hono } from 'hono';
import { CreateAccountRequest, type CreateAccountResponse } from '../../shared/protocol.js';
import type { AppEnv } from '../http/app-env.js';
import { readJson } from '../http/body.js';
import { HttpError } from '../http/errors.js';
import { shortId } from '../observability/logger.js';
import { hashPassword } from '../security/passwords.js';
import type { Services } from '../services.js';

export function accountRoutes({ store, log }: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/', async (c) => {
    const { username, password } = await readJson(c, CreateAccountRequest);
    const account = await store.createAccount(username, await hashPassword(password));
    if (!account) throw new HttpError(409, 'username_taken', 'this username is already taken');
    log.info({ event: 'account.created', userId: shortId(account.userId) }, 'account created');
    return c.json({ userId: account.userId } satisfies CreateAccountResponse, 201);
  });

  return app;
}
