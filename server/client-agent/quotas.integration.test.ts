// Per-account quotas against a real server: devices and subscriptions past the account's
// limit are refused with a clear 409, and the admin page can raise (or reset) the limit of
// one account.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBody } from '../../shared/protocol.js';
import {
  bearer,
  createClient,
  createSiblingClient,
  createSubscription,
  createUserWithClient,
} from '../testing/api.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

const ADMIN_TOKEN = `admin-${randomBytes(16).toString('hex')}`;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    env: { ADMIN_TOKEN, ACCOUNT_MAX_CLIENTS: '2', ACCOUNT_MAX_SUBSCRIPTIONS: '2' },
  });
});
afterAll(async () => {
  await server?.close();
});

const admin = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${server.url}/admin/api${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const post = (path: string, token: string, body: unknown) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: bearer(token), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('per-account quotas', () => {
  it('refuse a device past the quota with 409 too_many_clients, until an admin raises it', async () => {
    const user = await createUserWithClient(server.url, 'quota');
    await createSiblingClient(server.url, user, 'second');
    const third = await post('/v1/clients', user.clientToken, { name: 'third' });
    expect(third.status).toBe(409);
    const error = ErrorBody.parse(await third.json());
    expect(error.error).toBe('too_many_clients');
    expect(error.message).toMatch(/2 devices/);
    // Basic auth is no way around it.
    await expect(createClient(server.url, user, 'by password')).rejects.toThrow(/409/);

    const detail = await admin('GET', `/accounts/${user.userId}`);
    expect(detail.body.quotas).toEqual({
      clients: { used: 2, limit: 2, source: 'default' },
      subscriptions: { used: 0, limit: 2, source: 'default' },
    });
    const raised = await admin('PUT', `/accounts/${user.userId}/quotas`, { maxClients: 3 });
    expect(raised.status).toBe(200);
    expect(raised.body.quotas).toMatchObject({ clients: { used: 2, limit: 3, source: 'admin' } });
    expect((await post('/v1/clients', user.clientToken, { name: 'third' })).status).toBe(201);
    expect((await post('/v1/clients', user.clientToken, { name: 'fourth' })).status).toBe(409);

    const audit = await admin('GET', '/audit?limit=5');
    expect(audit.body.entries).toContainEqual(
      expect.objectContaining({ action: 'account.quotas', target: user.userId }),
    );
    const reset = await admin('PUT', `/accounts/${user.userId}/quotas`, { maxClients: null });
    expect(reset.body.quotas).toMatchObject({ clients: { used: 3, limit: 2, source: 'default' } });
  });

  it('refuse a subscription past the quota with 409 too_many_subscriptions; unsubscribing frees a place', async () => {
    const user = await createUserWithClient(server.url, 'subquota');
    const first = await createSubscription(server.url, user);
    await createSubscription(server.url, user);
    const third = await post('/v1/subscriptions', user.clientToken, {});
    expect(third.status).toBe(409);
    expect(ErrorBody.parse(await third.json()).error).toBe('too_many_subscriptions');

    const gone = await fetch(`${server.url}/v1/subscriptions/${first.subscriptionId}`, {
      method: 'DELETE',
      headers: { authorization: bearer(user.clientToken) },
    });
    expect(gone.status).toBe(204);
    expect((await post('/v1/subscriptions', user.clientToken, {})).status).toBe(201);

    expect(
      (await admin('PUT', `/accounts/${user.userId}/quotas`, { maxSubscriptions: 5 })).status,
    ).toBe(200);
    expect((await post('/v1/subscriptions', user.clientToken, {})).status).toBe(201);
  });

  it('validates a quota change like every admin input', async () => {
    const user = await createUserWithClient(server.url, 'badquota');
    for (const body of [{}, { maxClients: 0 }, { maxClients: 1.5 }, { other: 1 }]) {
      const res = await admin('PUT', `/accounts/${user.userId}/quotas`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    }
    expect((await admin('PUT', '/accounts/nobody/quotas', { maxClients: 5 })).status).toBe(404);
  });
});
