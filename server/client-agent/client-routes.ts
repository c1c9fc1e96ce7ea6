// /v1/clients (docs/protocol.md §2): parse, call the use case, answer.
import { Hono } from 'hono';
import { CreateClientRequest, type CreateClientResponse } from '../../shared/protocol.js';
import type { AppEnv } from '../http/app-env.js';
import { readJson } from '../http/body.js';
import { notFound } from '../http/errors.js';
import type { Services } from '../services.js';
import { accountFromBasicOrBearer, requireClient } from './auth.js';
import { listClients, registerClient, removeClient } from './use-cases/clients.js';

export function clientRoutes(services: Services): Hono<AppEnv> {
  const { store } = services;
  const app = new Hono<AppEnv>();

  app.post('/', async (c) => {
    const account = await accountFromBasicOrBearer(services, c.req.header('authorization'));
    const { name } = await readJson(c, CreateClientRequest);
    const created = await registerClient(services, account, name);
    return c.json(created satisfies CreateClientResponse, 201);
  });

  app.get('/', requireClient(store), async (c) => {
    return c.json(await listClients(services, c.get('identity').account.userId));
  });

  app.delete('/:clientId', requireClient(store), async (c) => {
    const { account } = c.get('identity');
    if (!(await removeClient(services, account.userId, c.req.param('clientId'), 'user'))) {
      throw notFound('no such client');
    }
    return c.body(null, 204);
  });

  return app;
}
