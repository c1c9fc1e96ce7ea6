// The Client Agent's REST calls (docs/protocol.md §2) against a real server, RabbitMQ and SQLite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientList, ErrorBody, SubscriptionList } from '../../shared/protocol.js';
import {
  basic,
  bearer,
  createClient,
  createSubscription,
  createUser,
  json,
  uniqueUsername,
} from '../testing/api.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function expectError(res: Response, status: number, code?: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = ErrorBody.parse(await json(res));
  if (code) expect(body.error).toBe(code);
}

describe('POST /v1/accounts', () => {
  it('creates an account, lower-casing the username, and refuses it twice with 409', async () => {
    const name = uniqueUsername('Case');
    const res = await post('/v1/accounts', { username: name, password: 'longenough' });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ userId: expect.any(String) });
    await expectError(
      await post('/v1/accounts', { username: name.toLowerCase(), password: 'longenough' }),
      409,
      'username_taken',
    );
    // Sign-in works with any case.
    const client = await post(
      '/v1/clients',
      { name: 'x' },
      { authorization: basic(name.toUpperCase(), 'longenough') },
    );
    expect(client.status).toBe(201);
  });

  it('refuses bad usernames and short passwords with 400', async () => {
    for (const username of ['ab', 'has space', 'a'.repeat(65), 'emoji😀x', '']) {
      await expectError(await post('/v1/accounts', { username, password: 'longenough' }), 400);
    }
    await expectError(
      await post('/v1/accounts', { username: uniqueUsername(), password: 'short' }),
      400,
    );
    // Length counts Unicode characters: 8 emoji are 8 characters (16 UTF-16 units).
    expect(
      (await post('/v1/accounts', { username: uniqueUsername(), password: '😀😀😀😀😀😀😀😀' }))
        .status,
    ).toBe(201);
    await expectError(
      await post('/v1/accounts', { username: uniqueUsername(), password: '😀😀😀😀😀😀😀' }),
      400,
    );
  });

  it('refuses a body that is not JSON, or misses fields, with 400', async () => {
    await expectError(await post('/v1/accounts', '{"username":'), 400, 'invalid_json');
    await expectError(await post('/v1/accounts', { username: uniqueUsername() }), 400);
    await expectError(await post('/v1/accounts', { username: 42, password: 'longenough' }), 400);
  });
});

describe('clients', () => {
  it('registers with Basic, or with the Bearer of another client of the same user', async () => {
    const user = await createUser(server.url);
    const first = await createClient(server.url, user);
    const second = await post(
      '/v1/clients',
      { name: 'paired' },
      { authorization: bearer(first.clientToken) },
    );
    expect(second.status).toBe(201);
    const list = ClientList.parse(
      await json(
        await fetch(`${server.url}/v1/clients`, {
          headers: { authorization: bearer(first.clientToken) },
        }),
      ),
    );
    expect(list.map((c) => c.name).sort()).toEqual(['paired', 'test device']);
    for (const c of list) {
      expect(c.lastSeenAt).toBeNull();
      expect(c.connected).toBe(false);
      expect(Date.parse(c.createdAt)).not.toBeNaN();
    }
  });

  it('answers 401 to wrong or missing credentials', async () => {
    const user = await createUser(server.url);
    await expectError(
      await post(
        '/v1/clients',
        { name: 'x' },
        { authorization: basic(user.username, 'wrong password') },
      ),
      401,
    );
    await expectError(
      await post(
        '/v1/clients',
        { name: 'x' },
        { authorization: basic('nobody-here', 'whatever1') },
      ),
      401,
    );
    await expectError(await post('/v1/clients', { name: 'x' }), 401);
    await expectError(
      await post('/v1/clients', { name: 'x' }, { authorization: bearer('bogus') }),
      401,
    );
    await expectError(await fetch(`${server.url}/v1/clients`), 401);
    await expectError(
      await fetch(`${server.url}/v1/subscriptions`, {
        headers: { authorization: basic(user.username, user.password) },
      }),
      401,
    );
  });

  it('refuses a client without a name with 400', async () => {
    const user = await createUser(server.url);
    await expectError(
      await post(
        '/v1/clients',
        { name: '' },
        { authorization: basic(user.username, user.password) },
      ),
      400,
    );
  });
});

describe('subscriptions', () => {
  it('creates, lists across devices, and deletes', async () => {
    const user = await createUser(server.url);
    const laptop = await createClient(server.url, user, 'laptop');
    const phone = await createClient(server.url, user, 'phone');
    const a = await createSubscription(server.url, laptop, { meta: 'sealed-meta' });
    const b = await createSubscription(server.url, phone);
    expect(a.endpoint).toMatch(new RegExp(`^${server.config.publicUrl}/push/[A-Za-z0-9_-]{22,}$`));
    expect(a.subscriptionId).not.toBe(b.subscriptionId);

    const list = SubscriptionList.parse(
      await json(
        await fetch(`${server.url}/v1/subscriptions`, {
          headers: { authorization: bearer(phone.clientToken) },
        }),
      ),
    );
    expect(list.map((s) => s.subscriptionId).sort()).toEqual(
      [a.subscriptionId, b.subscriptionId].sort(),
    );
    expect(list.find((s) => s.subscriptionId === a.subscriptionId)?.meta).toBe('sealed-meta');
    expect(list.find((s) => s.subscriptionId === b.subscriptionId)?.meta).toBeNull();

    const del = await fetch(`${server.url}/v1/subscriptions/${a.subscriptionId}`, {
      method: 'DELETE',
      headers: { authorization: bearer(phone.clientToken) },
    });
    expect(del.status).toBe(204);
    const after = SubscriptionList.parse(
      await json(
        await fetch(`${server.url}/v1/subscriptions`, {
          headers: { authorization: bearer(laptop.clientToken) },
        }),
      ),
    );
    expect(after.map((s) => s.subscriptionId)).toEqual([b.subscriptionId]);
  });

  it('refuses an invalid applicationServerKey and meta over 4096 characters with 400', async () => {
    const user = await createUser(server.url);
    const client = await createClient(server.url, user);
    const auth = { authorization: bearer(client.clientToken) };
    const notOnCurve = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url');
    for (const applicationServerKey of ['short', notOnCurve, 'B'.repeat(87), 42]) {
      await expectError(await post('/v1/subscriptions', { applicationServerKey }, auth), 400);
    }
    await expectError(await post('/v1/subscriptions', { meta: 'x'.repeat(4097) }, auth), 400);
    expect((await post('/v1/subscriptions', { meta: 'x'.repeat(4096) }, auth)).status).toBe(201);
    // Characters, not UTF-16 units: 4096 emoji are 4096 characters.
    expect((await post('/v1/subscriptions', { meta: '😀'.repeat(4096) }, auth)).status).toBe(201);
    await expectError(await post('/v1/subscriptions', { meta: '😀'.repeat(4097) }, auth), 400);
  });
});

describe('isolation between users', () => {
  it("answers 404 when a user touches another user's client or subscription", async () => {
    const alice = await createUser(server.url);
    const aliceClient = await createClient(server.url, alice);
    const aliceSub = await createSubscription(server.url, aliceClient);
    const bob = await createUser(server.url);
    const bobClient = await createClient(server.url, bob);
    const asBob = { authorization: bearer(bobClient.clientToken) };

    await expectError(
      await fetch(`${server.url}/v1/clients/${aliceClient.clientId}`, {
        method: 'DELETE',
        headers: asBob,
      }),
      404,
    );
    await expectError(
      await fetch(`${server.url}/v1/subscriptions/${aliceSub.subscriptionId}`, {
        method: 'DELETE',
        headers: asBob,
      }),
      404,
    );
    // Bob's lists never show Alice's things.
    const clients = ClientList.parse(
      await json(await fetch(`${server.url}/v1/clients`, { headers: asBob })),
    );
    expect(clients.map((c) => c.clientId)).toEqual([bobClient.clientId]);
    const subs = SubscriptionList.parse(
      await json(await fetch(`${server.url}/v1/subscriptions`, { headers: asBob })),
    );
    expect(subs).toEqual([]);
    // A client of Bob cannot register a client for Alice: it registers for Bob.
    const created = await post('/v1/clients', { name: 'sneaky' }, asBob);
    expect(created.status).toBe(201);
    const aliceClients = ClientList.parse(
      await json(
        await fetch(`${server.url}/v1/clients`, {
          headers: { authorization: bearer(aliceClient.clientToken) },
        }),
      ),
    );
    expect(aliceClients).toHaveLength(1);
    // Alice's subscription still works.
    expect((await fetch(aliceSub.endpoint, { method: 'POST', headers: { TTL: '5' } })).status).toBe(
      201,
    );
  });
});

describe('errors', () => {
  it('answers unknown routes with the JSON error shape', async () => {
    await expectError(await fetch(`${server.url}/v1/nothing-here`), 404, 'not_found');
  });

  it('reports health on /__heartbeat__ and metrics on /metrics', async () => {
    const hb = await fetch(`${server.url}/__heartbeat__`);
    expect(hb.status).toBe(200);
    expect(await hb.json()).toEqual({
      status: 'ok',
      rabbitmq: 'ok',
      memcached: 'ok',
      database: 'ok',
    });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('push_http_requests_total');
    expect(metrics).toContain('push_connected_clients');
  });
});
