// A node with two worker processes sharing the port (WORKERS=2), run as the real program.
// Connections land on either worker, yet the node behaves as one: an address is judged by
// everything it sent to the node, /metrics counts every worker, an admin's "disable"
// closes the account's sockets on both, and SIGTERM stops the whole node.
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CloseCode } from '../../shared/protocol.js';
import { createSiblingClient, createUserWithClient } from '../testing/api.js';
import { MemcachedProcess } from '../testing/memcached-process.js';
import { type ServerProcess, startServerProcess } from '../testing/server-process.js';
import { TestSocket } from '../testing/ws-client.js';

const ADMIN_TOKEN = `admin-${randomBytes(16).toString('hex')}`;
const MAX_REQUESTS = 30;
let memcached: MemcachedProcess;
let node: ServerProcess;

beforeAll(async () => {
  // A memcached of its own: this test boxes an address, which must not reach other tests.
  memcached = await MemcachedProcess.start();
  node = await startServerProcess({
    amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
    prefetch: 10,
    workers: 2,
    nodeArgs: [],
    env: {
      ADMIN_TOKEN,
      MEMCACHED: memcached.address,
      TRUST_PROXY_HOPS: '1',
      DOS_ALLOW_LIST: '127.0.0.1',
      DOS_MAX_REQUESTS: String(MAX_REQUESTS),
      LOG_LEVEL: 'warn',
    },
  });
});

afterAll(async () => {
  await node?.stop();
  await memcached?.stop();
});

/** POST /push/<junk> on a fresh connection each time, so the primary spreads them over both workers. */
function postOnNewConnection(forwardedFor?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: node.host,
        port: node.port,
        method: 'POST',
        path: `/push/${randomBytes(8).toString('hex')}`,
        agent: new Agent({ keepAlive: false }),
        headers: { TTL: '60', ...(forwardedFor ? { 'X-Forwarded-For': forwardedFor } : {}) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function metricValue(pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const line = text.split('\n').find((l) => pattern.test(l));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('a node of two worker processes', () => {
  it('runs a primary and two workers', () => {
    expect(node.pids()).toHaveLength(3);
  });

  it('counts an address over the whole node: each worker alone stays under the limit', async () => {
    const ip = '198.51.100.23';
    // Over the limit for the node, while each of the two workers sees about half of it.
    const statuses = await Promise.all(
      Array.from({ length: MAX_REQUESTS + 10 }, () => postOnNewConnection(ip)),
    );
    expect(statuses.filter((s) => s === 404).length).toBeGreaterThan(0);
    await vi.waitFor(async () => expect(await postOnNewConnection(ip)).toBe(429), {
      timeout: 5000,
      interval: 200,
    });
  });

  it('serves /metrics for the whole node, not for one worker', async () => {
    const notFound =
      /^push_http_requests_total\{route="\/push\/:token",method="POST",status="404"\}/;
    const before = await metricValue(notFound);
    await Promise.all(Array.from({ length: 20 }, () => postOnNewConnection()));
    expect(await metricValue(notFound)).toBe(before + 20);
  });

  it('closes an account’s sockets on both workers when an admin disables it', async () => {
    const first = await createUserWithClient(node.url);
    const others = await Promise.all(
      Array.from({ length: 5 }, (_, i) => createSiblingClient(node.url, first, `d${i}`)),
    );
    const sockets = await Promise.all(
      [first, ...others].map((c) => TestSocket.connect(node.url, c.clientToken)),
    );
    expect(await metricValue(/^push_connected_clients /)).toBe(6);
    const res = await fetch(`${node.url}/admin/api/accounts/${first.userId}/disable`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(200);
    const codes = await Promise.all(sockets.map(async (s) => (await s.closed).code));
    expect(codes).toEqual(Array(6).fill(CloseCode.Unauthorized));
  });

  it('stops every worker on SIGTERM and exits 0', async () => {
    const pids = node.pids();
    expect(await node.stop()).toBe(0);
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  });
});
