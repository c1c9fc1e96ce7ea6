// Use cases of clients (devices): registering one (a store row and its queue, undone
// together), listing them with their presence, removing one. Shared by the owner's REST
// calls and the admin page, so both behave the same.
import type { ClientInfo } from '../../../shared/protocol.js';
import { type Broker, BrokerUnavailable } from '../../broker/broker.js';
import type { Config } from '../../config.js';
import { HttpError, serviceUnavailable } from '../../http/errors.js';
import { type Logger, shortId } from '../../observability/logger.js';
import { hashToken, newSecretToken } from '../../security/tokens.js';
import type { Services } from '../../services.js';
import type { Account, Store } from '../../store/store.js';

export interface RegisterClientDeps {
  store: Pick<Store, 'createClient' | 'deleteClient'>;
  broker: Pick<Broker, 'createClientQueue'>;
  log: Logger;
  config: { limits: Pick<Config['limits'], 'maxClientsPerAccount'> };
}

/** How many devices `account` may have: its own quota, or the server's default. */
export function clientQuota(config: RegisterClientDeps['config'], account: Account): number {
  return account.maxClients ?? config.limits.maxClientsPerAccount;
}

/**
 * Registers a device of `account`: its row (the token stored only as a hash), then its
 * durable queue. Every device's queue holds a copy of every push, so the number of devices
 * is what multiplies the storage one account can take: past its quota the answer is
 * 409 `too_many_clients`. A client without a queue could never receive anything, so when
 * RabbitMQ fails the row is deleted again and the caller is told to retry (503).
 */
export async function registerClient(
  { store, broker, log, config }: RegisterClientDeps,
  account: Account,
  name: string,
): Promise<{ clientId: string; clientToken: string }> {
  const clientToken = newSecretToken();
  const quota = clientQuota(config, account);
  const client = await store.createClient(account.userId, name, hashToken(clientToken), quota);
  if (!client) {
    throw new HttpError(
      409,
      'too_many_clients',
      `this account has ${quota} devices, the most this server allows; remove one you no longer use first`,
    );
  }
  try {
    await broker.createClientQueue(account.userId, client.clientId);
  } catch (err) {
    await store.deleteClient(account.userId, client.clientId);
    log.error({ event: 'client.queue_failed', clientId: shortId(client.clientId), err });
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
  return { clientId: client.clientId, clientToken };
}

export interface ClientPresence {
  /** A WebSocket of the client is open on some node; null when nobody can say. */
  connected: boolean | null;
  /** Messages waiting in its queue; null when RabbitMQ cannot be asked. */
  queuedMessages: number | null;
}

/**
 * RabbitMQ knows about consumers on every server node; when it cannot be asked, this
 * node's own sessions are the best answer left.
 */
export async function clientPresence(
  { broker, sessions }: Pick<Services, 'broker' | 'sessions'>,
  clientId: string,
): Promise<ClientPresence> {
  const stats = await broker.queueStats(clientId).catch((err: unknown) => {
    if (err instanceof BrokerUnavailable) return undefined;
    throw err;
  });
  if (stats === undefined)
    return { connected: sessions.has(clientId) ? true : null, queuedMessages: null };
  return { connected: (stats?.consumers ?? 0) > 0, queuedMessages: stats?.messages ?? null };
}

/** The user's devices as `GET /v1/clients` shows them (docs/protocol.md §2). */
export async function listClients(
  services: Pick<Services, 'store' | 'broker' | 'sessions'>,
  userId: string,
): Promise<ClientInfo[]> {
  const clients = await services.store.listClients(userId);
  return Promise.all(
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
}

/**
 * Deletes a client of `userId`: its token stops working at once (the row goes first), its
 * socket here closes with 4401, and deleting its queue ends its consumer on whichever node
 * holds it. False when the user has no such client.
 */
export async function removeClient(
  { store, broker, log, sessions }: Pick<Services, 'store' | 'broker' | 'log' | 'sessions'>,
  userId: string,
  clientId: string,
  by: 'user' | 'admin',
): Promise<boolean> {
  if (!(await store.deleteClient(userId, clientId))) return false;
  sessions.revoke(clientId);
  await broker.deleteClientQueue(clientId).catch((err: unknown) => {
    log.error({
      event: 'client.queue_delete_failed',
      clientId: shortId(clientId),
      err,
    });
  });
  log.info(
    { event: 'client.revoked', userId: shortId(userId), clientId: shortId(clientId), by },
    'client revoked',
  );
  return true;
}
