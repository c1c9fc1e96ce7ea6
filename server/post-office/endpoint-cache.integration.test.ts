// The POST Office remembers endpoints; two nodes on one database show that a change made
// on one node reaches the other's memory at once (through the control bus), so a sender
// never gets 201 for an endpoint that was deleted or whose account was disabled.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bearer, createSubscription, createUserWithClient } from '../testing/api.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

const ADMIN_TOKEN = `admin-${randomBytes(16).toString('hex')}`;
let a: TestServer;
let b: TestServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'push-endpoints-'));
  const databaseUrl = `sqlite:${join(dir, 'push.db')}`;
  a = await startTestServer({ env: { ADMIN_TOKEN }, databaseUrl });
  b = await startTestServer({ env: { ADMIN_TOKEN }, databaseUrl });
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** POSTs to the endpoint's token on `server`; the status and the error code, if any. */
async function pushVia(server: TestServer, endpoint: string) {
  const token = endpoint.slice(endpoint.lastIndexOf('/') + 1);
  const res = await fetch(`${server.url}/push/${token}`, {
    method: 'POST',
    headers: { TTL: '60' },
  });
  const body = res.status === 201 ? null : ((await res.json()) as { error: string });
  return { status: res.status, error: body?.error ?? null };
}

describe('cached endpoints across nodes', () => {
  it('a subscription deleted on one node is gone (410) on the other at once', async () => {
    const user = await createUserWithClient(a.url);
    const { endpoint, subscriptionId } = await createSubscription(a.url, user);
    expect(await pushVia(b, endpoint)).toEqual({ status: 201, error: null });
    expect(b.services.endpoints.peek(endpoint.slice(endpoint.lastIndexOf('/') + 1))).toBeTruthy();

    const deleted = await fetch(`${a.url}/v1/subscriptions/${subscriptionId}`, {
      method: 'DELETE',
      headers: { authorization: bearer(user.clientToken) },
    });
    expect(deleted.status).toBe(204);
    await vi.waitFor(async () => {
      expect(await pushVia(b, endpoint)).toEqual({ status: 410, error: 'gone' });
    });
  });

  it('an account disabled on one node answers 410 on the other, and 201 again once enabled', async () => {
    const user = await createUserWithClient(a.url);
    const { endpoint } = await createSubscription(a.url, user);
    expect((await pushVia(b, endpoint)).status).toBe(201);
    const adminCall = (server: TestServer, action: string) =>
      fetch(`${server.url}/admin/api/accounts/${user.userId}/${action}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
    expect((await adminCall(a, 'disable')).status).toBe(200);
    await vi.waitFor(async () => {
      expect(await pushVia(b, endpoint)).toEqual({ status: 410, error: 'gone' });
    });
    expect((await adminCall(a, 'enable')).status).toBe(200);
    await vi.waitFor(async () => {
      expect(await pushVia(b, endpoint)).toEqual({ status: 201, error: null });
    });
  });
});
