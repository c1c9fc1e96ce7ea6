import { Hono } from 'hono';
import {
  CreateSubscriptionRequest,
  type CreateSubscriptionResponse,
  type SubscriptionInfo,
} from '../../shared/protocol.js';
import type { AppEnv } from '../http/app-env.js';
import { readJson } from '../http/body.js';
import { badRequest, notFound, serviceUnavailable } from '../http/errors.js';
import { shortId } from '../observability/logger.js';
import { parseP256PublicKey } from '../security/ec-keys.js';
import { newSecretToken } from '../security/tokens.js';
import type { Services } from '../services.js';
import type { Subscription } from '../store/store.js';
import { requireClient } from './auth.js';

export function endpointFor(publicUrl: string, token: string): string {
  return `${publicUrl}/push/${token}`;
}

export function subscriptionRoutes({
  config,
  store,
  broker,
  log,
  endpoints,
}: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', requireClient(store));

  const info = (s: Subscription): SubscriptionInfo => ({
    subscriptionId: s.subscriptionId,
    endpoint: endpointFor(config.publicUrl, s.token),
    meta: s.meta,
    createdAt: s.createdAt,
  });

  app.post('/', async (c) => {
    const { client, account } = c.get('identity');
    const body = await readJson(c, CreateSubscriptionRequest);
    if (body.applicationServerKey !== undefined && !parseP256PublicKey(body.applicationServerKey)) {
      throw badRequest('applicationServerKey: not an uncompressed P-256 public key');
    }
    const subscription = await store.createSubscription({
      userId: account.userId,
      clientId: client.clientId,
      token: newSecretToken(),
      applicationServerKey: body.applicationServerKey ?? null,
      meta: body.meta ?? null,
    });
    try {
      await broker.bindSubscription(account.userId, subscription.token);
    } catch (err) {
      await store.deleteSubscription(account.userId, subscription.subscriptionId);
      log.error({ event: 'subscription.bind_failed', err });
      throw serviceUnavailable('the message broker is not reachable; try again');
    }
    log.info(
      {
        event: 'subscription.created',
        userId: shortId(account.userId),
        subscriptionId: shortId(subscription.subscriptionId),
        vapid: subscription.applicationServerKey !== null,
      },
      'subscription created',
    );
    const { subscriptionId, endpoint } = info(subscription);
    return c.json({ subscriptionId, endpoint } satisfies CreateSubscriptionResponse, 201);
  });

  app.get('/', async (c) => {
    const { account } = c.get('identity');
    return c.json((await store.listSubscriptions(account.userId)).map(info));
  });

  app.delete('/:subscriptionId', async (c) => {
    const { account } = c.get('identity');
    const deleted = await store.deleteSubscription(account.userId, c.req.param('subscriptionId'));
    if (!deleted) throw notFound('no such subscription');
    endpoints.announce({ subscriptionIds: [deleted.subscriptionId] });
    // The store already answers 410 for this endpoint; unbinding stops the broker too.
    await broker.unbindSubscription(account.userId, deleted.token).catch((err: unknown) => {
      log.error({ event: 'subscription.unbind_failed', err });
    });
    log.info(
      {
        event: 'subscription.deleted',
        userId: shortId(account.userId),
        subscriptionId: shortId(deleted.subscriptionId),
      },
      'subscription deleted',
    );
    return c.body(null, 204);
  });

  return app;
}
