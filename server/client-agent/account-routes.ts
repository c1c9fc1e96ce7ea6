// POST /v1/accounts (docs/protocol.md §2): parse, call the use case, answer.
import { Hono } from 'hono';
import { CreateAccountRequest, type CreateAccountResponse } from '../../shared/protocol.js';
import { IpAllowance } from '../dos/ip-allowance.js';
import type { AppEnv } from '../http/app-env.js';
import { readJson } from '../http/body.js';
import type { Services } from '../services.js';
import { createAccount } from './use-cases/accounts.js';

const HOUR_SECONDS = 3600;

export function accountRoutes(services: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // One per process: it falls back to counting here while memcached is down.
  const signUps = new IpAllowance(
    services.cache,
    'signup',
    () => services.config.limits.signupsPerIpPerHour,
    HOUR_SECONDS,
  );

  app.post('/', async (c) => {
    const input = await readJson(c, CreateAccountRequest);
    const { userId } = await createAccount({ ...services, signUps }, input, c.get('clientIp'));
    return c.json({ userId } satisfies CreateAccountResponse, 201);
  });

  return app;
}
