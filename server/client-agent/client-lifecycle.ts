// What removing a device and asking after one mean, shared by the owner's REST calls and
// the admin page so both behave the same.
import { BrokerUnavailable } from '../broker/broker.js';
import { shortId } from '../observability/logger.js';
import type { Services } from '../services.js';

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
