// The admin page in a real Chromium: sign in with the token, watch a flooding address
// appear in the penalty box, let it out, lower a threshold and see it take effect, act on
// an account. Takes a screenshot at the end; with UPDATE_SCREENSHOTS=1 it replaces
// docs/images/admin.png (shown in docs/operations.md), otherwise it goes to the temp dir.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubscription, createUserWithClient } from '../server/testing/api.js';
import { MemcachedProcess } from '../server/testing/memcached-process.js';
import { startTestServer, type TestServer } from '../server/testing/test-server.js';
import { TestSocket } from '../server/testing/ws-client.js';
import { CHROMIUM_PATH, QUIET_FLAGS } from './support/chromium.js';

const ADMIN_TOKEN = `admin-${randomBytes(16).toString('hex')}`;
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? fileURLToPath(new URL('../docs/images/admin.png', import.meta.url))
    : join(tmpdir(), `push-admin-${process.pid}.png`);

let memcached: MemcachedProcess;
let server: TestServer;
let browser: Browser;
let page: Page;

function from(ip: string, path = '/__heartbeat__') {
  return fetch(server.url + path, { headers: { 'X-Forwarded-For': ip } });
}

async function flood(ip: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    const response = await from(ip);
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  return statuses;
}

const penaltyRow = (ip: string) => page.locator('#penalty-table tbody tr', { hasText: ip });

beforeAll(async () => {
  memcached = await MemcachedProcess.start();
  server = await startTestServer({
    env: {
      ADMIN_TOKEN,
      MEMCACHED: memcached.address,
      TRUST_PROXY_HOPS: '1',
      DOS_MAX_REQUESTS: '20',
      DOS_SYNC_INTERVAL_MS: '200',
      // The browser calls from loopback: the admin's own network is allow-listed.
      DOS_ALLOW_LIST: '127.0.0.1, 192.0.2.0/24',
    },
  });
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: QUIET_FLAGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await memcached?.stop();
});

describe('admin page in Chromium', () => {
  it('refuses a wrong token and signs in with the right one', async () => {
    await page.goto(`${server.url}/admin`);
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.fill('#token', 'not-the-admin-token');
    await page.click('#login-form button[type=submit]');
    await page.locator('#message', { hasText: 'The token was refused.' }).waitFor();
    expect(await page.locator('#app').isHidden()).toBe(true);

    await page.fill('#token', ADMIN_TOKEN);
    await page.click('#login-form button[type=submit]');
    await page.locator('#app').waitFor({ state: 'visible' });
    await page.locator('#health-rabbitmq', { hasText: 'ok' }).waitFor();
    await page.locator('#health-memcached', { hasText: 'ok' }).waitFor();
    // The token stays in the tab: a reload keeps the session.
    await page.reload();
    await page.locator('#app').waitFor({ state: 'visible' });
  });

  it('shows an address boxed after a flood, and lets it out', async () => {
    const ip = '203.0.113.150';
    const statuses = await flood(ip, 21);
    expect(statuses[20]).toBe(429);
    const row = penaltyRow(ip);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('requests');

    await page.click(`[data-unbox="${ip}"]`);
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    expect((await from(ip)).status).toBe(200);
    await page.locator('#audit-table tbody tr', { hasText: 'ip.unbox' }).waitFor();
  });

  it('applies a threshold changed in the settings form', async () => {
    const input = page.locator('#setting-maxRequests');
    expect(await input.inputValue()).toBe('20');
    await input.fill('5');
    await page.click('#settings-form button[type=submit]');
    await page.locator('[data-overridden="maxRequests"]').waitFor({ state: 'visible' });
    // Only the changed field is saved; the others still follow the environment.
    expect(await page.locator('[data-overridden="maxBadRequests"]').isHidden()).toBe(true);

    const ip = '203.0.113.151';
    // Six requests pass under the old threshold (20); the sixth is refused under the new one.
    expect(await flood(ip, 6)).toEqual([200, 200, 200, 200, 200, 429]);
    await penaltyRow(ip).waitFor({ timeout: 10_000 });
  });

  it('finds an account and disables it', async () => {
    const user = await createUserWithClient(server.url, 'pageuser');
    const { endpoint } = await createSubscription(server.url, user);
    const target = endpoint.replace(/^http:\/\/localhost:\d+/, server.url);
    for (let i = 0; i < 3; i++) {
      expect((await fetch(target, { method: 'POST', headers: { TTL: '600' } })).status).toBe(201);
    }
    await fetch(target, { method: 'POST', headers: { TTL: 'later' } });

    await page.fill('#account-search input[name=q]', 'pageuser');
    await page.click('#account-search button[type=submit]');
    const row = page.locator(`#accounts-table tbody tr[data-user="${user.username}"]`);
    await row.waitFor();
    await row.locator('button', { hasText: 'Disable' }).click();
    await row.locator('td', { hasText: 'disabled' }).waitFor();
    expect((await fetch(target, { method: 'POST', headers: { TTL: '60' } })).status).toBe(410);
    await row.locator('button', { hasText: 'Details' }).click();
    await page.locator('#account-detail', { hasText: user.username }).waitFor();

    // The live figures: queue depth from RabbitMQ, a connected device, this minute's pushes.
    const other = await createUserWithClient(server.url, 'connected');
    const socket = await TestSocket.connect(server.url, other.clientToken);
    await page.locator('#fig-queued', { hasText: /^3$/ }).waitFor({ timeout: 20_000 });
    await page.locator('#fig-connected-node', { hasText: /^1$/ }).waitFor();
    await page.locator('#fig-accounts', { hasText: /^2$/ }).waitFor();
    const lastMinute = page.locator('#rates-table tbody tr').first();
    expect(await lastMinute.locator('td').nth(1).textContent()).toBe('3');
    expect(await lastMinute.locator('td').nth(2).textContent()).toBe('2');

    // Once the last notice has faded, the picture for the docs.
    await page.locator('#message').waitFor({ state: 'hidden', timeout: 10_000 });
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    const png = await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    await socket.close();
  });
});
