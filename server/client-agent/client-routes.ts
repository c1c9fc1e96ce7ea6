import { Hono } from 'hono';
import {
  type ClientInfo,
  CreateClientRequest,
  type CreateClientResponse,
} from '../../shared/protocol.js';
import type { AppEnv } from '../http/app-env.js';
import { readJson } from '../http/body.js';
import { notFound, serviceUnavailable } from '../http/errors.js';
import { shortId } from '../observability/logger.js';
import { hashToken, newSecretToken } from '../security/tokens.js';
import type { Services } from '../services.js';
import { accountFromBasicOrBearer, requireClient } from './auth.js';
import { clientPresence, removeClient } from './client-lifecycle.js';

export function clientRoutes(services: Services): Hono<AppEnv> {
  const { store, broker, log } = services;
  const app = new Hono<AppEnv>();

  app.post('/', async (c) => {
    const account = await accountFromBasicOrBearer(store, c.req.header('authorization'));
    const { name } = await readJson(c, CreateClientRequest);
    const clientToken = newSecretToken();
    const client = await store.createClient(account.userId, name, hashToken(clientToken));
    try {
      await broker.createClientQueue(account.userId, client.clientId);
    } catch (err) {
      // A client without a queue could never receive anything: undo and let the caller retry.
      await store.deleteClient(account.userId, client.clientId);
      log.error({
        event: 'client.queue_failed',
        clientId: shortId(client.clientId),
        err,
      });
      throw serviceUnavailable('the message broker is not reachable; try again');
    }
    log.info(
      {
        event: 'client.registered',
        userId: shortId(account.userId),
        clientId: shortId(client.clientId),
      },
      'client registered',
    );
    return c.json({ clientId: client.clientId, clientToken } satisfies CreateClientResponse, 201);
  });

  app.get('/', requireClient(store), async (c) => {
    const { account } = c.get('identity');
    const clients = await store.listClients(account.userId);
    const list = await Promise.all(
      clients.map(async (client): Promise<ClientInfo> => {
        const { connected } = await clientPresence(services, client.clientId);
        return {
          clientId: client.clientId,
          name: client.name,
          createdAt: client.createdAt,
          lastSeenAt: client.lastSeenAt,
          connected: connected === true,
        };
      }),
    );
    return c.json(list);
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
