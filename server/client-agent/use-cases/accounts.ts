// Use cases of accounts: what signing up and deleting an account mean, for the REST route and
// the admin page alike. Routes parse and answer; the store and broker work, and what to do
// when half of it fails, is here.
import { HttpError } from '../../http/errors.js';
import { shortId } from '../../observability/logger.js';
import { hashPassword } from '../../security/passwords.js';
import type { Services } from '../../services.js';

export type AccountDeps = Pick<Services, 'store' | 'log'>;

/** Signs a user up; 409 `username_taken` when the (lower-cased) name is in use. */
export async function createAccount(
  { store, log }: AccountDeps,
  input: { username: string; password: string },
): Promise<{ userId: string }> {
  const account = await store.createAccount(input.username, await hashPassword(input.password));
  if (!account) throw new HttpError(409, 'username_taken', 'this username is already taken');
  log.info({ event: 'account.created', userId: shortId(account.userId) }, 'account created');
  return { userId: account.userId };
}

export type DeleteAccountDeps = Pick<Services, 'store' | 'broker' | 'log' | 'endpoints'>;

/**
 * Deletes an account, its clients and their queues, and its user exchange; its endpoints
 * answer 410 from then on (the subscriptions stay as tombstones). The rows go first, so
 * nothing can use the account while the broker is tidied; a broker failure is logged and
 * leaves only unreachable queues behind. `closeSockets` closes the devices' sockets on every
 * node (the admin page does it through the control bus) before their queues go. False when
 * there is no such account.
 */
export async function deleteAccount(
  { store, broker, log, endpoints }: DeleteAccountDeps,
  userId: string,
  options: { by: 'admin'; closeSockets(clientIds: string[]): void },
): Promise<boolean> {
  const clients = await store.listClients(userId);
  if (!(await store.deleteAccount(userId))) return false;
  endpoints.announce({ userIds: [userId] });
  const clientIds = clients.map((c) => c.clientId);
  options.closeSockets(clientIds);
  // Deleting a queue also cancels its consumer on whichever node holds the socket.
  for (const clientId of clientIds) {
    await broker.deleteClientQueue(clientId).catch((err: unknown) => {
      log.error({ event: 'client.queue_delete_failed', clientId: shortId(clientId), err });
    });
  }
  await broker.deleteUser(userId).catch((err: unknown) => {
    log.error({ event: 'account.exchange_delete_failed', userId: shortId(userId), err });
  });
  log.info(
    {
      event: 'account.deleted',
      userId: shortId(userId),
      clients: clientIds.length,
      by: options.by,
    },
    'account deleted',
  );
  return true;
}
