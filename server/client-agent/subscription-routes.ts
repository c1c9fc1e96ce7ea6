// /v1/subscriptions (docs/protocol.md §2): parse, call the use case, answer.
import { Hono } from 'hono';
import {
  CreateSubscriptionRequest,
  type CreateSubscriptionResponse,
} from '../../shared/protocol.js';
import type { AppEnv } from '../http/app-env.js';
import { readJson } from '../http/body.js';
import { notFound } from '../http/errors.js';
import type { Services } from '../services.js';
import { requireClient } from './auth.js';
import {
  createSubscription,
  deleteSubscription,
  listSubscriptions,
} from './use-cases/subscriptions.js';

export function subscriptionRoutes(services: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', requireClient(services.store));

  app.post('/', async (c) => {
    const { client, account } = c.get('identity');
    const body = await readJson(c, CreateSubscriptionRequest);
    const created = await createSubscription(
      services,
      { account, clientId: client.clientId },
      body,
    );
    return c.json(created satisfies CreateSubscriptionResponse, 201);
  });

  app.get('/', async (c) => {
    return c.json(await listSubscriptions(services, c.get('identity').account.userId));
  });

  app.delete('/:subscriptionId', async (c) => {
    const { account } = c.get('identity');
    if (!(await deleteSubscription(services, account.userId, c.req.param('subscriptionId')))) {
      throw notFound('no such subscription');
    }
    return c.body(null, 204);
  });

  return app;
}
