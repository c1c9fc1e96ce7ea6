// Uploads cut short (`Content-Length: 100`, three bytes, hang up) against a real server, on
// every route that reads a body — including the ones that do slow work first (a password
// check, an endpoint lookup), during which the sender is already gone. Each is answered as a
// bad request (400, counted by the DoS defense), never a 5xx, and none is left waiting.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, bearer, createSubscription, createUserWithClient } from '../testing/api.js';
import { eventually } from '../testing/eventually.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

function abortedUpload(method: string, path: string, headers: Record<string, string>): void {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  const socket = connect(server.port, '127.0.0.1', () => {
    socket.write(
      `${method} ${path} HTTP/1.1\r\nHost: x\r\n${lines.join('')}Content-Length: 100\r\n\r\n{"a`,
    );
    setTimeout(() => socket.destroy(), 20);
  });
  socket.on('error', () => {
    // Gone on purpose; what counts is what the server did.
  });
}

/** `name{labels} value` lines of /metrics, for one metric. */
async function samples(metric: string): Promise<Array<{ labels: string; value: number }>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${metric}{`) || line.startsWith(`${metric} `))
    .map((line) => {
      const space = line.lastIndexOf(' ');
      return { labels: line.slice(metric.length, space), value: Number(line.slice(space + 1)) };
    });
}

const total = async (metric: string) =>
  (await samples(metric)).reduce((sum, s) => sum + s.value, 0);

describe('an upload the sender cuts short', () => {
  it('is a 400 counted as bad on every route, never a 5xx, and never left waiting', async () => {
    const user = await createUserWithClient(server.url, 'aborts');
    const { endpoint } = await createSubscription(server.url, user);
    const pairing = (await (
      await fetch(`${server.url}/v1/pairings`, { method: 'POST' })
    ).json()) as {
      channel: string;
    };
    const badBefore = await total('push_dos_bad_requests_total');

    abortedUpload('POST', '/v1/accounts', { 'Content-Type': 'application/json' });
    abortedUpload('POST', '/v1/clients', { Authorization: basic(user.username, user.password) });
    abortedUpload('POST', '/v1/clients', { Authorization: bearer(user.clientToken) });
    abortedUpload('POST', '/v1/subscriptions', { Authorization: bearer(user.clientToken) });
    abortedUpload('PUT', `/v1/pairings/${pairing.channel}/a1`, {});
    // Not yet in the endpoint cache: the POST Office looks it up before reading the body.
    abortedUpload('POST', new URL(endpoint).pathname, { TTL: '60' });

    await eventually(async () => (await total('push_dos_bad_requests_total')) - badBefore >= 6, {
      timeoutMs: 15_000,
    });
    const answered = await samples('push_http_requests_total');
    expect(answered.filter((s) => /status="5/.test(s.labels))).toEqual([]);
    for (const route of ['/v1/accounts', '/v1/clients', '/v1/subscriptions', '/push/:token']) {
      expect(answered, route).toContainEqual({
        labels: expect.stringMatching(new RegExp(`route="${route}".*status="400"`)),
        value: expect.any(Number),
      });
    }
    expect(server.logs.filter((l) => l.event === 'http.internal_error')).toEqual([]);
  });
});
