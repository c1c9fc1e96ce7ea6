// POST /v1/accounts (docs/protocol.md §2): parse, call the use case, answer.
import { Hono } from 'hono';
import { CreateAccountRequest, type CreateAccountResponse } from '../../shared/protocol.js';
import type { AppEnv } from '../http/app-env.js';
import { readJson } from '../http/body.js';
import type { Services } from '../services.js';
import { createAccount } from './use-cases/accounts.js';

export function accountRoutes(services: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/', async (c) => {
    const input = await readJson(c, CreateAccountRequest);
    const { userId } = await createAccount(services, input);
    return c.json({ userId } satisfies CreateAccountResponse, 201);
  });

  return app;
}
