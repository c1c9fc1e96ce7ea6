// The two-phase use cases undo their store row when the broker half fails, so no client
// without a queue and no subscription without a binding is left behind.

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../http/errors.js';
import { EndpointTokens } from '../../security/endpoint-tokens.js';
import type { Account, Client, NewSubscription, Subscription } from '../../store/store.js';
import { captureLogs } from '../../testing/dos-fakes.js';
import { registerClient } from './clients.js';
import { createSubscription } from './subscriptions.js';

const account: Account = {
  userId: 'user-1',
  username: 'alice',
  passwordHash: 'x',
  createdAt: '2026-01-01T00:00:00.000Z',
  disabledAt: null,
  maxClients: null,
  maxSubscriptions: null,
  oidcIssuer: null,
  oidcSubject: null,
};

function brokerDown(): Promise<never> {
  return Promise.reject(new Error('RabbitMQ is not reachable'));
}

describe('registerClient', () => {
  it('deletes the client row again when its queue cannot be made, and answers 503', async () => {
    const rows = new Map<string, Client>();
    const store = {
      async createClient(userId: string, name: string): Promise<Client> {
        const client = { clientId: `c${rows.size}`, userId, name, createdAt: '', lastSeenAt: null };
        rows.set(client.clientId, client);
        return client;
      },
      async deleteClient(_userId: string, clientId: string) {
        return rows.delete(clientId);
      },
    };
    const { log, events } = captureLogs();
    const err = await registerClient(
      {
        store,
        broker: { createClientQueue: brokerDown },
        log,
        config: { limits: { maxClientsPerAccount: 20 } },
      },
      account,
      'phone',
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(503);
    expect(rows.size).toBe(0);
    expect(events.map((e) => e.event)).toContain('client.queue_failed');
  });
});

describe('createSubscription', () => {
  it('deletes the subscription row again when it cannot be bound, and answers 503', async () => {
    const live = new Map<string, Subscription>();
    const store = {
      async createSubscription(input: NewSubscription): Promise<Subscription> {
        const subscription: Subscription = {
          ...input,
          legacyTokenSealed: null,
          createdAt: '',
          deletedAt: null,
        };
        live.set(subscription.subscriptionId, subscription);
        return subscription;
      },
      async deleteSubscription(_userId: string, subscriptionId: string) {
        const found = live.get(subscriptionId) ?? null;
        live.delete(subscriptionId);
        return found;
      },
    };
    const { log, events } = captureLogs();
    const err = await createSubscription(
      {
        config: {
          publicUrl: 'http://localhost:8080',
          limits: { maxSubscriptionsPerAccount: 500 },
        },
        store,
        broker: { bindSubscription: brokerDown },
        log,
        endpointTokens: new EndpointTokens(randomBytes(32)),
      },
      { account, clientId: 'c0' },
      {},
    ).catch((e: unknown) => e);
    expect((err as HttpError).status).toBe(503);
    expect(live.size).toBe(0);
    expect(events.map((e) => e.event)).toContain('subscription.bind_failed');
  });
});
