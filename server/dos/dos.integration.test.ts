// The DoS defense against the real memcached (our own instance, which these tests stop
// and start) and RabbitMQ, with two server nodes sharing one database and the penalty box.
// Each test uses addresses of its own from the documentation ranges, sent through
// X-Forwarded-For with one trusted proxy hop.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.js';
import { MemcachedProcess } from '../testing/memcached-process.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

let memcached: MemcachedProcess;
let dir: string;
let a: TestServer;
let b: TestServer;
const extra: TestServer[] = [];

const baseEnv = () => ({
  MEMCACHED: memcached.address,
  TRUST_PROXY_HOPS: '1',
  DOS_SYNC_INTERVAL_MS: '200',
  DOS_MAX_REQUESTS: '20',
  DOS_MAX_BAD_REQUESTS: '5',
  DOS_REQUEST_PENALTY_SECONDS: '600',
  DOS_BAD_REQUEST_PENALTY_SECONDS: '3600',
  DOS_ALLOW_LIST: '198.51.100.0/24, 2001:db8:a11::/48',
});

async function node(env: Record<string, string> = {}, databaseUrl?: string): Promise<TestServer> {
  const server = await startTestServer({
    env: { ...baseEnv(), ...env },
    ...(databaseUrl ? { databaseUrl } : {}),
  });
  extra.push(server);
  return server;
}

function get(server: TestServer, ip: string, path = '/__heartbeat__'): Promise<Response> {
  return fetch(server.url + path, { headers: { 'X-Forwarded-For': ip } });
}

/** Sends `n` requests one after another; returns their statuses. */
async function flood(server: TestServer, ip: string, n: number, path?: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    const response = await get(server, ip, path);
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  return statuses;
}

/** Resolves with the 429 response once `server` refuses `ip`. */
function refused(server: TestServer, ip: string): Promise<Response> {
  return eventually(async () => {
    const response = await get(server, ip);
    await response.arrayBuffer();
    return response.status === 429 ? response : null;
  });
}

beforeAll(async () => {
  memcached = await MemcachedProcess.start();
  dir = mkdtempSync(join(tmpdir(), 'push-dos-'));
  const databaseUrl = `sqlite:${join(dir, 'shared.db')}`;
  // One after the other: the first applies the migrations.
  a = await node({}, databaseUrl);
  b = await node({}, databaseUrl);
});

afterAll(async () => {
  // Teardown is best effort: a failure here must not hide the result of the tests.
  for (const server of extra) await server.close().catch(() => {});
  await memcached?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('penalty box shared by two nodes', () => {
  it('a request flood on one node makes the other answer 429 within a few seconds', async () => {
    const ip = '203.0.113.10';
    const statuses = await flood(a, ip, 21);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(statuses[20]).toBe(429);
    const response = await refused(b, ip);
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(590);
    expect(retryAfter).toBeLessThanOrEqual(600);
    // Someone else is still served by both.
    expect((await get(b, '203.0.113.11')).status).toBe(200);
    expect(a.logs).toContainEqual(
      expect.objectContaining({ event: 'ip.boxed', ip: '203.0.113.0/24', reason: 'requests' }),
    );
  });

  it('the 429 comes before any other check: a boxed sender gets 429, not 404', async () => {
    const ip = '203.0.113.12';
    await flood(a, ip, 21);
    const response = await fetch(`${a.url}/push/no-such-token`, {
      method: 'POST',
      headers: { 'X-Forwarded-For': ip, TTL: '60' },
    });
    expect(response.status).toBe(429);
    expect(await response.json()).toMatchObject({ error: 'too_many_requests' });
  });

  it('a bad-request flood boxes for the longer timeout', async () => {
    const ip = '2001:db8:bad::1';
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${a.url}/push/unknown-endpoint-${i}`, {
        method: 'POST',
        headers: { 'X-Forwarded-For': ip, TTL: '60' },
      });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses).toEqual([404, 404, 404, 404, 404, 404]);
    const here = await get(a, ip);
    expect(here.status).toBe(429);
    expect(Number(here.headers.get('retry-after'))).toBeGreaterThan(3590);
    const there = await refused(b, '2001:DB8:BAD:0::1'); // same address, other spelling
    expect(Number(there.headers.get('retry-after'))).toBeGreaterThan(3580);
  });

  it('conflicts and gone endpoints are not bad requests', async () => {
    const ip = '203.0.113.13';
    // 409: the username is taken — an honest client's mistake, not an attack.
    const body = JSON.stringify({ username: `dos-${Date.now()}`, password: 'long enough pw' });
    const create = () =>
      fetch(`${a.url}/v1/accounts`, {
        method: 'POST',
        headers: { 'X-Forwarded-For': ip, 'Content-Type': 'application/json' },
        body,
      });
    expect((await create()).status).toBe(201);
    for (let i = 0; i < 8; i++) expect((await create()).status).toBe(409);
    expect((await get(a, ip)).status).toBe(200);
  });

  it('never boxes an allow-listed address, on either node', async () => {
    for (const ip of ['198.51.100.7', '2001:db8:a11:5::9']) {
      const statuses = [...(await flood(a, ip, 30, '/no/such/route')), ...(await flood(b, ip, 30))];
      expect(statuses).not.toContain(429);
    }
  });

  it('lets an address out once a short penalty has passed', async () => {
    const short = await node({ DOS_REQUEST_PENALTY_SECONDS: '2', DOS_MAX_REQUESTS: '5' });
    const ip = '203.0.113.20';
    const statuses = await flood(short, ip, 6);
    expect(statuses[5]).toBe(429);
    const refusal = await get(short, ip);
    expect(Number(refusal.headers.get('retry-after'))).toBeLessThanOrEqual(2);
    await eventually(async () => (await get(short, ip)).status === 200, { timeoutMs: 6000 });
    // Logged by the background round that prunes the box.
    await eventually(async () =>
      short.logs.some((l) => l.event === 'ip.released' && l.by === 'expiry'),
    );
  });
});

describe('observe-only mode', () => {
  it('logs ip.would_box and counts it, but keeps serving', async () => {
    const observer = await node({ DOS_OBSERVE_ONLY: 'true', DOS_MAX_REQUESTS: '5' });
    const ip = '203.0.113.30';
    expect(await flood(observer, ip, 15)).not.toContain(429);
    expect(observer.logs).toContainEqual(
      expect.objectContaining({ event: 'ip.would_box', ip: '203.0.113.0/24', reason: 'requests' }),
    );
    expect(observer.logs.some((l) => l.event === 'ip.boxed')).toBe(false);
    const metrics = await (await fetch(`${observer.url}/metrics`)).text();
    expect(metrics).toMatch(/push_dos_would_box_total\{reason="requests"\} 1/);
  });
});

describe('memcached down and back', () => {
  it('both nodes keep serving; the box made meanwhile is shared once memcached is back', async () => {
    const lostBefore = a.logs.filter((l) => l.event === 'memcached.lost').length;
    await memcached.stop();

    // Ordinary requests are still answered, and the heartbeat says memcached is down.
    for (const server of [a, b]) {
      const response = await get(server, '203.0.113.40');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        status: 'ok',
        rabbitmq: 'ok',
        memcached: 'down',
        database: 'ok',
      });
    }
    // A flood is still stopped by the node that sees it.
    const ip = '203.0.113.41';
    const statuses = await flood(a, ip, 21);
    expect(statuses[20]).toBe(429);
    expect((await get(b, ip)).status).toBe(200);
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toMatch(/push_backing_service_up\{service="memcached"\} 0/);
    expect(a.logs.filter((l) => l.event === 'memcached.lost').length).toBe(lostBefore + 1);

    await memcached.start();
    await refused(b, ip);
    await eventually(async () => a.logs.some((l) => l.event === 'memcached.recovered'));
    const heartbeat = await (await get(b, '203.0.113.42')).json();
    expect(heartbeat).toMatchObject({ status: 'ok', memcached: 'ok' });
    // Sharing works for new boxes too.
    await flood(b, '203.0.113.43', 21);
    await refused(a, '203.0.113.43');
  });
});
