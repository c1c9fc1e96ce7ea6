// Use cases of accounts: what signing up and deleting an account mean, for the REST route and
// the admin page alike. Routes parse and answer; the store and broker work, and what to do
// when half of it fails, is here.
import type { IpAllowance } from '../../dos/ip-allowance.js';
import { HttpError, serviceUnavailable } from '../../http/errors.js';
import { shortId } from '../../observability/logger.js';
import { HashingBusy } from '../../security/password-hasher.js';
import type { Services } from '../../services.js';

export interface CreateAccountDeps extends Pick<Services, 'store' | 'log' | 'passwords' | 'dos'> {
  /** Sign-ups per address per hour (SIGNUPS_PER_IP_PER_HOUR). */
  signUps: Pick<IpAllowance, 'take'>;
  config: { limits: Pick<Services['config']['limits'], 'signupsPerIpPerHour'> };
}

/**
 * Signs a user up from `ip`. The cheap refusals come before the expensive hash: a taken name
 * is a 409 without hashing anything (and without using the address's allowance: an honest
 * user trying names is not an attack), and an address past its few sign-ups for the hour
 * (SIGNUPS_PER_IP_PER_HOUR, shared by every node) gets 429 — a sign-up costs a scrypt hash,
 * some ten thousand ordinary requests' worth of CPU, so it is counted on a scale of its own
 * rather than as one request of DOS_MAX_REQUESTS. The hash itself waits for its turn in the
 * sign-up lane (PasswordHasher), so a flood of sign-ups from many addresses cannot hold up
 * sign-ins; when that lane is full the answer is 503 with Retry-After.
 */
export async function createAccount(
  { store, log, passwords, dos, signUps, config }: CreateAccountDeps,
  input: { username: string; password: string },
  ip: string,
): Promise<{ userId: string }> {
  const taken = () => new HttpError(409, 'username_taken', 'this username is already taken');
  if (await store.findAccountByUsername(input.username)) throw taken();
  if (!dos.isAllowListed(ip)) {
    const allowance = await signUps.take(ip);
    if (!allowance.allowed) {
      throw new HttpError(
        429,
        'too_many_signups',
        `at most ${config.limits.signupsPerIpPerHour} accounts can be created from one address per hour; try again later`,
        { 'Retry-After': String(allowance.retryAfter) },
      );
    }
  }
  let passwordHash: string;
  try {
    passwordHash = await passwords.hashForSignUp(input.password);
  } catch (err) {
    if (err instanceof HashingBusy) {
      throw serviceUnavailable('too many sign-ups are being processed right now; try again');
    }
    throw err;
  }
  // Taken meanwhile by a sign-up that raced this one: the database's unique name decides.
  const account = await store.createAccount(input.username, passwordHash);
  if (!account) throw taken();
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
