// The admin API against real services: two nodes sharing a PostgreSQL database of their
// own (created here), our own memcached and the shared RabbitMQ; plus a node without
// ADMIN_TOKEN. Addresses come from the documentation ranges via X-Forwarded-For.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubscription, createUserWithClient } from '../testing/api.js';
import { eventually } from '../testing/eventually.js';
import { MemcachedProcess } from '../testing/memcached-process.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { TestSocket } from '../testing/ws-client.js';

const ADMIN_TOKEN = `admin-${randomBytes(16).toString('hex')}`;

let memcached: MemcachedProcess;
let database: TestDatabase;
let a: TestServer;
let b: TestServer;
let off: TestServer;

async function admin(server: TestServer, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}/admin/api${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
  };
}

function from(server: TestServer, ip: string, path = '/__heartbeat__') {
  return fetch(server.url + path, { headers: { 'X-Forwarded-For': ip } });
}

async function maxRequestsOn(server: TestServer): Promise<number | undefined> {
  const { body } = await admin(server, 'GET', '/settings');
  return (body?.inForce as { maxRequests?: number } | undefined)?.maxRequests;
}

beforeAll(async () => {
  memcached = await MemcachedProcess.start();
  database = await createTestDatabase('push_admin');
  const env = {
    ADMIN_TOKEN,
    MEMCACHED: memcached.address,
    TRUST_PROXY_HOPS: '1',
    DOS_SYNC_INTERVAL_MS: '200',
    // The tests themselves (the "admin's browser") call from loopback: never boxed, as an
    // operator would allow-list their own network.
    DOS_ALLOW_LIST: '198.51.100.0/24, 127.0.0.1',
  };
  const databaseUrl = database.url;
  a = await startTestServer({ env, databaseUrl });
  b = await startTestServer({ env, databaseUrl });
  off = await startTestServer({ env: { MEMCACHED: memcached.address } });
});

afterAll(async () => {
  // Teardown is best effort: a failure here must not hide the result of the tests.
  for (const server of [a, b, off]) await server?.close().catch(() => {});
  await database?.drop().catch(() => {}); // best effort, as above
  await memcached?.stop();
});

describe('access', () => {
  it('without ADMIN_TOKEN every /admin path says how to turn it on', async () => {
    for (const path of ['/admin', '/admin/api/overview', '/admin/assets/admin.js', '/admin/x']) {
      const response = await fetch(off.url + path, {
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        error: 'admin_disabled',
        message: 'admin is disabled: set ADMIN_TOKEN',
      });
    }
  });

  it('serves the page to anyone, with a strict CSP, and the API only with the token', async () => {
    const page = await fetch(`${a.url}/admin`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('id="login-form"');

    for (const authorization of [
      undefined,
      'Bearer wrong-token-of-some-length',
      `Basic ${ADMIN_TOKEN}`,
    ]) {
      const response = await fetch(`${a.url}/admin/api/overview`, {
        headers: authorization ? { Authorization: authorization } : {},
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({
        error: 'unauthorized',
        message: expect.any(String),
      });
    }
    expect((await admin(a, 'GET', '/overview')).status).toBe(200);
  });

  it('serves the page’s script, built from front-end/admin.ts', async () => {
    const response = await fetch(`${a.url}/admin/assets/admin.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/javascript');
    const script = await response.text();
    // One classic script: no module syntax a <script defer> could not run, no TypeScript left.
    expect(script).toContain('push-admin-token');
    expect(script).not.toMatch(/^\s*(import|export)\s/m);
    expect(script).not.toContain(': Promise<');
  });

  it('validates every input and answers errors in the protocol shape', async () => {
    const cases: Array<[string, string, unknown]> = [
      ['POST', '/penalty-box', { ip: 'not-an-ip' }],
      ['POST', '/penalty-box', { ip: '203.0.113.1', seconds: 0 }],
      ['POST', '/penalty-box', { ip: '203.0.113.1', extra: true }],
      ['PUT', '/settings', { maxRequests: -1 }],
      ['PUT', '/settings', { allowList: ['192.0.2.0/33'] }],
      ['PUT', '/settings', { noSuchSetting: 1 }],
      ['PUT', '/settings', {}],
      ['POST', '/settings/reset', { names: ['nope'] }],
      ['GET', '/accounts?limit=0', undefined],
      ['GET', '/audit?limit=many', undefined],
      ['DELETE', '/penalty-box/nonsense', undefined],
      ['POST', '/accounts/not*an*id/disable', undefined],
    ];
    for (const [method, path, body] of cases) {
      const { status, body: json } = await admin(a, method, path, body);
      expect(status, `${method} ${path}`).toBe(400);
      expect(json).toEqual({ error: expect.any(String), message: expect.any(String) });
    }
    const missing = await admin(a, 'GET', '/no-such-call');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: 'not_found' });
    expect((await admin(a, 'POST', '/accounts/unknownid/disable')).status).toBe(404);
    expect((await admin(a, 'DELETE', '/clients/unknownid')).status).toBe(404);
    const allowListed = await admin(a, 'POST', '/penalty-box', { ip: '198.51.100.9' });
    expect(allowListed).toMatchObject({ status: 400, body: { error: 'ip_allow_listed' } });
  });
});

describe('figures', () => {
  it('shows counts, health, queue depths and per-minute push figures', async () => {
    const user = await createUserWithClient(a.url, 'figures');
    const { endpoint } = await createSubscription(a.url, user);
    const push = await fetch(endpoint.replace(/^http:\/\/localhost:\d+/, a.url), {
      method: 'POST',
      headers: { TTL: '600' },
    });
    expect(push.status).toBe(201);
    const overview = await eventually(
      async () => {
        const { body } = await admin(a, 'GET', '/overview');
        const queues = body?.queues as { messages: number } | null;
        return queues && queues.messages >= 1 ? body : null;
      },
      { timeoutMs: 15_000 },
    );
    expect(overview).toMatchObject({
      health: { rabbitmq: 'ok', memcached: 'ok', database: 'ok' },
      counts: {
        accounts: expect.any(Number),
        clients: expect.any(Number),
        subscriptions: expect.any(Number),
      },
      penaltyBox: { memcachedSync: true },
    });
    const counts = overview.counts as { accounts: number; subscriptions: number };
    expect(counts.accounts).toBeGreaterThanOrEqual(1);
    expect(counts.subscriptions).toBeGreaterThanOrEqual(1);
    const rates = overview.rates as { lastMinute: Record<string, number> };
    expect(rates.lastMinute.accepted).toBeGreaterThanOrEqual(1);
  });
});

describe('penalty box and settings across nodes', () => {
  it('a box made by hand on one node is enforced by the other; unboxing there lets it out everywhere', async () => {
    const ip = '203.0.113.60';
    const boxed = await admin(a, 'POST', '/penalty-box', { ip, seconds: 120 });
    expect(boxed.status).toBe(201);
    expect((await from(a, ip)).status).toBe(429);
    const refusal = await eventually(async () => {
      const response = await from(b, ip);
      return response.status === 429 ? response : null;
    });
    expect(Number(refusal.headers.get('retry-after'))).toBeLessThanOrEqual(120);
    const list = await admin(b, 'GET', '/penalty-box');
    expect(list.body?.entries).toContainEqual(
      expect.objectContaining({ ip, reason: 'manual', secondsLeft: expect.any(Number) }),
    );

    expect((await admin(b, 'DELETE', `/penalty-box/${encodeURIComponent(ip)}`)).status).toBe(204);
    await eventually(async () => (await from(a, ip)).status === 200);
    expect((await admin(b, 'DELETE', `/penalty-box/${encodeURIComponent(ip)}`)).status).toBe(404);
  });

  it('a threshold changed on one node is in force on the other within seconds', async () => {
    const updated = await admin(a, 'PUT', '/settings', { maxRequests: 7 });
    expect(updated.body).toMatchObject({
      inForce: { maxRequests: 7 },
      overrides: { maxRequests: 7 },
    });
    await eventually(async () => (await maxRequestsOn(b)) === 7);
    const ip = '203.0.113.61';
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await from(b, ip)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 429]);

    const reset = await admin(a, 'POST', '/settings/reset', {});
    expect(reset.body).toMatchObject({ inForce: { maxRequests: 20_000 }, overrides: {} });
    await eventually(async () => (await maxRequestsOn(b)) === 20_000);
  });

  it('says for each setting whether its value in force comes from the environment or the page', async () => {
    await admin(a, 'PUT', '/settings', { maxBadRequests: 77 });
    const { body } = await admin(a, 'GET', '/settings');
    expect(body?.sources).toMatchObject({ maxBadRequests: 'admin', maxRequests: 'environment' });
    const reset = await admin(a, 'POST', '/settings/reset', { names: ['maxBadRequests'] });
    expect(reset.body?.sources).toMatchObject({ maxBadRequests: 'environment' });
  });

  it('lists the top talkers', async () => {
    for (let i = 0; i < 5; i++) await from(a, '203.0.113.62');
    const { body } = await admin(a, 'GET', '/penalty-box?limit=50');
    expect(body?.topTalkers).toContainEqual({ ip: '203.0.113.62', requests: 5, badRequests: 0 });
  });
});

describe('accounts', () => {
  it('disabling closes the account’s sockets on every node at once; its endpoints answer 410', async () => {
    const user = await createUserWithClient(a.url, 'disable');
    const { endpoint } = await createSubscription(a.url, user);
    const pushTo = (server: TestServer) =>
      fetch(endpoint.replace(/^http:\/\/localhost:\d+/, server.url), {
        method: 'POST',
        headers: { TTL: '60' },
      });
    const socket = await TestSocket.connect(b.url, user.clientToken);

    const found = await admin(a, 'GET', `/accounts?q=${user.username}`);
    expect(found.body?.accounts).toEqual([
      expect.objectContaining({
        userId: user.userId,
        username: user.username,
        clients: 1,
        subscriptions: 1,
      }),
    ]);
    const disabled = await admin(a, 'POST', `/accounts/${user.userId}/disable`);
    expect(disabled.body).toMatchObject({ userId: user.userId, disabledAt: expect.any(String) });
    expect((await socket.closed).code).toBe(4401);

    const rest = await fetch(`${b.url}/v1/clients`, {
      headers: { Authorization: `Bearer ${user.clientToken}` },
    });
    expect(rest.status).toBe(403);
    expect((await pushTo(a)).status).toBe(410);
    expect(await TestSocket.refusedHello(b.url, user.clientToken)).toBe(4401);

    await admin(b, 'POST', `/accounts/${user.userId}/enable`);
    const restAgain = await fetch(`${a.url}/v1/clients`, {
      headers: { Authorization: `Bearer ${user.clientToken}` },
    });
    expect(restAgain.status).toBe(200);
    expect((await pushTo(b)).status).toBe(201);
    const again = await TestSocket.connect(a.url, user.clientToken);
    await again.close();
  });

  it('deleting an account closes its sockets, removes its clients and makes its endpoints 410', async () => {
    const user = await createUserWithClient(a.url, 'delete');
    const { endpoint } = await createSubscription(a.url, user);
    const socket = await TestSocket.connect(b.url, user.clientToken);
    expect((await admin(a, 'DELETE', `/accounts/${user.userId}`)).status).toBe(204);
    expect((await socket.closed).code).toBe(4401);
    const push = await fetch(endpoint.replace(/^http:\/\/localhost:\d+/, b.url), {
      method: 'POST',
      headers: { TTL: '60' },
    });
    expect(push.status).toBe(410);
    expect((await admin(b, 'GET', `/accounts/${user.userId}`)).status).toBe(404);
    expect((await admin(b, 'GET', `/accounts?q=${user.username}`)).body?.accounts).toEqual([]);
  });

  it('revoking a client stops its token and closes its socket', async () => {
    const user = await createUserWithClient(a.url, 'revoke');
    const socket = await TestSocket.connect(b.url, user.clientToken);
    const detail = await admin(a, 'GET', `/accounts/${user.userId}`);
    expect(detail.body?.clients).toEqual([
      expect.objectContaining({ clientId: user.clientId, connected: true }),
    ]);
    expect((await admin(a, 'DELETE', `/clients/${user.clientId}`)).status).toBe(204);
    expect((await socket.closed).code).toBe(4401);
    const rest = await fetch(`${a.url}/v1/subscriptions`, {
      headers: { Authorization: `Bearer ${user.clientToken}` },
    });
    expect(rest.status).toBe(401);
  });
});

describe('audit log', () => {
  it('records every admin action, newest first, with who did it', async () => {
    const ip = '203.0.113.70';
    await fetch(`${a.url}/admin/api/penalty-box`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${ADMIN_TOKEN}`,
        'Content-Type': 'application/json',
        'X-Forwarded-For': '192.0.2.250',
      },
      body: JSON.stringify({ ip, seconds: 60 }),
    });
    const { body } = await admin(b, 'GET', '/audit?limit=200');
    const entries = body?.entries as Array<Record<string, unknown>>;
    expect(entries[0]).toMatchObject({
      action: 'ip.box',
      target: ip,
      details: JSON.stringify({ seconds: 60 }),
      actor: '192.0.2.250',
    });
    const actions = new Set(entries.map((e) => e.action));
    for (const action of [
      'ip.box',
      'ip.unbox',
      'settings.update',
      'settings.reset',
      'account.disable',
      'account.enable',
      'account.delete',
      'client.revoke',
    ]) {
      expect(actions, action).toContain(action);
    }
    const times = entries.map((e) => String(e.at));
    expect([...times].sort().reverse()).toEqual(times);
    expect(a.logs).toContainEqual(
      expect.objectContaining({
        event: 'admin.action',
        action: 'ip.box',
        target: '203.0.113.0/24',
      }),
    );
  });
});
