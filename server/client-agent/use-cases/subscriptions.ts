// Use cases of subscriptions: creating one (a store row and its broker binding, undone
// together), listing them, deleting one (the row answers 410 at once, then the binding goes).
import type { SubscriptionInfo } from '../../../shared/protocol.js';
import type { Broker } from '../../broker/broker.js';
import type { Config } from '../../config.js';
import { badRequest, HttpError, serviceUnavailable } from '../../http/errors.js';
import { type Logger, shortId } from '../../observability/logger.js';
import { parseP256PublicKey } from '../../security/ec-keys.js';
import type { EndpointTokens } from '../../security/endpoint-tokens.js';
import { hashToken, newId } from '../../security/tokens.js';
import type { Services } from '../../services.js';
import type { Account, Store, Subscription } from '../../store/store.js';

export interface CreateSubscriptionDeps {
  config: Pick<Config, 'publicUrl'> & {
    limits: Pick<Config['limits'], 'maxSubscriptionsPerAccount'>;
  };
  store: Pick<Store, 'createSubscription' | 'deleteSubscription'>;
  broker: Pick<Broker, 'bindSubscription'>;
  log: Logger;
  endpointTokens: Pick<EndpointTokens, 'derive'>;
}

export type DeleteSubscriptionDeps = Pick<Services, 'store' | 'broker' | 'log' | 'endpoints'>;

/** docs/protocol.md §2: the endpoint is PUBLIC_URL + "/push/" + token. */
export function endpointFor(publicUrl: string, token: string): string {
  return `${publicUrl}/push/${token}`;
}

function info(
  publicUrl: string,
  tokens: Pick<EndpointTokens, 'tokenOf'>,
  s: Subscription,
): SubscriptionInfo {
  return {
    subscriptionId: s.subscriptionId,
    endpoint: endpointFor(publicUrl, tokens.tokenOf(s)),
    meta: s.meta,
    createdAt: s.createdAt,
  };
}

/** How many live subscriptions `account` may have: its own quota, or the server's default. */
export function subscriptionQuota(
  config: CreateSubscriptionDeps['config'],
  account: Pick<Account, 'maxSubscriptions'>,
): number {
  return account.maxSubscriptions ?? config.limits.maxSubscriptionsPerAccount;
}

/**
 * Subscribes on behalf of `clientId` of `account`: the row, then the binding that routes the
 * endpoint's pushes to the user's exchange. The endpoint token is derived from the new
 * subscription's id and kept nowhere: the row and the binding hold only its hash. Past the account's quota the answer is 409
 * `too_many_subscriptions`. A subscription RabbitMQ cannot route would take pushes it can
 * never store, so when the binding fails the row is deleted again (503).
 */
export async function createSubscription(
  { config, store, broker, log, endpointTokens }: CreateSubscriptionDeps,
  owner: { account: Pick<Account, 'userId' | 'maxSubscriptions'>; clientId: string },
  input: { applicationServerKey?: string | undefined; meta?: string | undefined },
): Promise<{ subscriptionId: string; endpoint: string }> {
  if (input.applicationServerKey !== undefined && !parseP256PublicKey(input.applicationServerKey)) {
    throw badRequest('applicationServerKey: not an uncompressed P-256 public key');
  }
  const { userId } = owner.account;
  const quota = subscriptionQuota(config, owner.account);
  const subscriptionId = newId();
  const token = endpointTokens.derive(subscriptionId);
  const subscription = await store.createSubscription(
    {
      subscriptionId,
      userId,
      clientId: owner.clientId,
      tokenHash: hashToken(token),
      applicationServerKey: input.applicationServerKey ?? null,
      meta: input.meta ?? null,
    },
    quota,
  );
  if (!subscription) {
    throw new HttpError(
      409,
      'too_many_subscriptions',
      `this account has ${quota} subscriptions, the most this server allows; unsubscribe from sites you no longer need first`,
    );
  }
  try {
    await broker.bindSubscription(userId, subscription.tokenHash);
  } catch (err) {
    await store.deleteSubscription(userId, subscription.subscriptionId);
    log.error({ event: 'subscription.bind_failed', err });
    throw serviceUnavailable('the message broker is not reachable; try again');
  }
  log.info(
    {
      event: 'subscription.created',
      userId: shortId(userId),
      subscriptionId: shortId(subscription.subscriptionId),
      vapid: subscription.applicationServerKey !== null,
    },
    'subscription created',
  );
  return { subscriptionId, endpoint: endpointFor(config.publicUrl, token) };
}

/** Every live subscription of the user, whichever device made it (docs/protocol.md §2). */
export async function listSubscriptions(
  { config, store, endpointTokens }: Pick<Services, 'config' | 'store' | 'endpointTokens'>,
  userId: string,
): Promise<SubscriptionInfo[]> {
  return (await store.listSubscriptions(userId)).map((s) =>
    info(config.publicUrl, endpointTokens, s),
  );
}

/**
 * Unsubscribes: the row is marked deleted first, so the endpoint answers 410 at once on
 * every node (cached endpoints are forgotten through the control bus); unbinding then stops
 * RabbitMQ routing it. An unbinding that fails is logged: the 410 holds regardless. False
 * when the user has no such live subscription.
 */
export async function deleteSubscription(
  { store, broker, log, endpoints }: DeleteSubscriptionDeps,
  userId: string,
  subscriptionId: string,
): Promise<boolean> {
  const deleted = await store.deleteSubscription(userId, subscriptionId);
  if (!deleted) return false;
  endpoints.announce({ subscriptionIds: [deleted.subscriptionId] });
  await broker.unbindSubscription(userId, deleted.tokenHash).catch((err: unknown) => {
    log.error({ event: 'subscription.unbind_failed', err });
  });
  log.info(
    {
      event: 'subscription.deleted',
      userId: shortId(userId),
      subscriptionId: shortId(deleted.subscriptionId),
    },
    'subscription deleted',
  );
  return true;
}
