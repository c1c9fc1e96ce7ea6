// X-Forwarded-For is believed only from TRUSTED_PROXIES. Here the server trusts one proxy
// hop, but the proxy is 192.0.2.1 and the test talks to the server directly from loopback:
// whatever address it writes into the header, it is counted — and boxed — as itself. Our own
// memcached, since loopback gets boxed on purpose.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemcachedProcess } from '../testing/memcached-process.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

let memcached: MemcachedProcess;
let server: TestServer;

beforeAll(async () => {
  memcached = await MemcachedProcess.start();
  server = await startTestServer({
    env: {
      MEMCACHED: memcached.address,
      TRUST_PROXY_HOPS: '1',
      TRUSTED_PROXIES: '192.0.2.1',
      DOS_ALLOW_LIST: '198.51.100.7',
      DOS_MAX_REQUESTS: '5',
      DOS_SYNC_INTERVAL_MS: '200',
    },
  });
});

afterAll(async () => {
  await server?.close();
  await memcached?.stop();
});

const claim = async (ip: string) => {
  const response = await fetch(`${server.url}/__heartbeat__`, {
    headers: { 'X-Forwarded-For': ip },
  });
  await response.arrayBuffer();
  return response.status;
};

describe('X-Forwarded-For from a peer that is not a trusted proxy', () => {
  it('neither lets it claim an allow-listed address nor a fresh one to dodge the box', async () => {
    const statuses: number[] = [];
    // Claiming an allow-listed address: never boxed, were the header believed.
    for (let i = 0; i < 5; i++) statuses.push(await claim('198.51.100.7'));
    // A new address for the sixth: a clean slate, were the header believed.
    statuses.push(await claim('203.0.113.9'));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(server.logs).toContainEqual(
      expect.objectContaining({ event: 'ip.boxed', ip: '127.0.0.0/24', reason: 'requests' }),
    );
  });
});
