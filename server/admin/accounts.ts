// What the admin page does to accounts and clients. A disabled account's clients are
// refused (REST 403, WebSocket hello 4401) and its endpoints answer 410 — both read the
// account's state from the store — and its open sockets are closed at once, on every
// node, through the control bus.

import type { ControlBus } from '../broker/control-bus.js';
import { deleteAccount } from '../client-agent/use-cases/accounts.js';
import { clientPresence, clientQuota, removeClient } from '../client-agent/use-cases/clients.js';
import { subscriptionQuota } from '../client-agent/use-cases/subscriptions.js';
import { shortId } from '../observability/logger.js';
import type { Services } from '../services.js';
import type { Account, AccountSummary, Client, QuotaChange } from '../store/store.js';

export interface ClientDetail extends Omit<Client, 'userId'> {
  /** Connected to any node (the queue has a consumer); null when RabbitMQ cannot say. */
  connected: boolean | null;
  queuedMessages: number | null;
}

/** One quota of an account: what it uses, its limit, and whether an admin set that limit. */
export interface Quota {
  used: number;
  limit: number;
  /** The server's default (ACCOUNT_MAX_CLIENTS / ACCOUNT_MAX_SUBSCRIPTIONS), or set for it. */
  source: 'default' | 'admin';
}

export interface AccountDetail
  extends Omit<Account, 'passwordHash' | 'maxClients' | 'maxSubscriptions' | 'oidcSubject'> {
  clients: ClientDetail[];
  subscriptions: number;
  quotas: { clients: Quota; subscriptions: Quota };
}

export class AccountAdmin {
  constructor(
    private readonly services: Services,
    private readonly control: ControlBus,
  ) {}

  search(query: string, limit: number): Promise<AccountSummary[]> {
    return this.services.store.searchAccounts(query, limit);
  }

  async detail(userId: string): Promise<AccountDetail | null> {
    const { store } = this.services;
    const account = await store.getAccount(userId);
    if (!account) return null;
    const [clients, subscriptions] = await Promise.all([
      store.listClients(userId),
      store.listSubscriptions(userId),
    ]);
    const details = await Promise.all(
      clients.map(
        async (client): Promise<ClientDetail> => ({
          clientId: client.clientId,
          name: client.name,
          createdAt: client.createdAt,
          lastSeenAt: client.lastSeenAt,
          ...(await clientPresence(this.services, client.clientId)),
        }),
      ),
    );
    const { config } = this.services;
    return {
      userId: account.userId,
      username: account.username,
      createdAt: account.createdAt,
      disabledAt: account.disabledAt,
      oidcIssuer: account.oidcIssuer,
      clients: details,
      subscriptions: subscriptions.length,
      quotas: {
        clients: {
          used: clients.length,
          limit: clientQuota(config, account),
          source: account.maxClients === null ? 'default' : 'admin',
        },
        subscriptions: {
          used: subscriptions.length,
          limit: subscriptionQuota(config, account),
          source: account.maxSubscriptions === null ? 'default' : 'admin',
        },
      },
    };
  }

  /**
   * Sets (a number) or resets (null) an account's quotas. Lowering one below what the
   * account has removes nothing: it only refuses new devices or subscriptions until the
   * account is under it again. False when there is no such account.
   */
  setQuotas(userId: string, change: QuotaChange): Promise<boolean> {
    return this.services.store.setAccountQuotas(userId, change);
  }

  /** False when there is no such account. */
  async setDisabled(userId: string, disabled: boolean): Promise<boolean> {
    const { store, log } = this.services;
    if (!(await store.setAccountDisabled(userId, disabled))) return false;
    this.services.endpoints.announce({ userIds: [userId] });
    if (disabled) {
      const clients = await store.listClients(userId);
      this.closeSockets(clients.map((c) => c.clientId));
    }
    log.info(
      {
        event: disabled ? 'account.disabled' : 'account.enabled',
        userId: shortId(userId),
        by: 'admin',
      },
      disabled ? 'account disabled' : 'account enabled',
    );
    return true;
  }

  /** Deletes the account, its clients and their queues; its endpoints answer 410 from now on. */
  delete(userId: string): Promise<boolean> {
    return deleteAccount(this.services, userId, {
      by: 'admin',
      closeSockets: (clientIds) => this.closeSockets(clientIds),
    });
  }

  /** Like DELETE /v1/clients/{id} by its owner. Null when there is no such client. */
  async revokeClient(clientId: string): Promise<{ userId: string } | null> {
    const client = await this.services.store.getClient(clientId);
    if (!client || !(await removeClient(this.services, client.userId, clientId, 'admin')))
      return null;
    this.control.publish({ type: 'close-clients', clientIds: [clientId] });
    return { userId: client.userId };
  }

  /** Closes the sockets here at once, and asks every other node to do the same. */
  private closeSockets(clientIds: string[]): void {
    if (clientIds.length === 0) return;
    for (const clientId of clientIds) this.services.sessions.revoke(clientId);
    this.control.publish({ type: 'close-clients', clientIds });
  }
}
