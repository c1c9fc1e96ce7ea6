// GET /metrics closed off from the public listener: on a port of its own (METRICS_PORT),
// behind a bearer token (METRICS_TOKEN), or both. Without either it stays where
// docs/protocol.md §8 puts it (covered by the tests that scrape it).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/test-server.js';

const TOKEN = `metrics-${randomBytes(12).toString('hex')}`;
const withToken = { Authorization: `Bearer ${TOKEN}` };

describe('METRICS_PORT and METRICS_TOKEN', () => {
  let apart: TestServer;
  let guarded: TestServer;
  beforeAll(async () => {
    apart = await startTestServer({ env: { METRICS_PORT: '0', METRICS_TOKEN: TOKEN } });
    guarded = await startTestServer({ env: { METRICS_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await apart?.close();
    await guarded?.close();
  });

  it('with a port of its own, /metrics is served there only, and the token is asked for', async () => {
    expect(apart.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(apart.metricsUrl).not.toBe(apart.url);
    const publicSide = await fetch(`${apart.url}/metrics`, { headers: withToken });
    expect(publicSide.status).toBe(404);
    expect(await publicSide.json()).toMatchObject({ error: 'not_found' });

    const anonymous = await fetch(`${apart.metricsUrl}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: 'unauthorized' });
    const scrape = await fetch(`${apart.metricsUrl}/metrics`, { headers: withToken });
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toContain('text/plain');
    expect(await scrape.text()).toContain('push_http_requests_total');
    expect((await fetch(`${apart.metricsUrl}/admin`, { headers: withToken })).status).toBe(404);
  });

  it('with a token alone, the main port asks for it', async () => {
    const anonymous = await fetch(`${guarded.url}/metrics`);
    expect(anonymous.status).toBe(401);
    const wrong = await fetch(`${guarded.url}/metrics`, {
      headers: { Authorization: 'Bearer not-the-metrics-token' },
    });
    expect(wrong.status).toBe(401);
    const scrape = await fetch(`${guarded.url}/metrics`, { headers: withToken });
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toContain('push_dos_bad_requests_total 2');
  });
});
