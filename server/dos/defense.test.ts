import type { Context } from 'hono';
import { describe, expect, it } from 'vitest';
import type { DosSettings } from '../config.js';
import { Metrics } from '../observability/metrics.js';
import {
  captureLogs,
  DEFAULT_TEST_SETTINGS,
  FakeSettingsStore,
  FakeSharedState,
} from '../testing/dos-fakes.js';
import { DosDefense } from './defense.js';
import { LiveSettings } from './settings.js';

function setup(
  overrides: Partial<DosSettings> = {},
  shared?: { cache: FakeSharedState; clock: Clock },
) {
  const clock = shared?.clock ?? new Clock();
  const cache = shared?.cache ?? new FakeSharedState(clock.now);
  const { log, events } = captureLogs();
  const store = new FakeSettingsStore();
  const settings = new LiveSettings({ ...DEFAULT_TEST_SETTINGS, ...overrides }, store, log);
  const metrics = new Metrics({ processMetrics: false });
  const dos = new DosDefense({
    settings,
    cache,
    log,
    metrics,
    syncIntervalMs: 60_000,
    now: clock.now,
  });
  return { dos, cache, clock, events, settings, store, metrics };
}

class Clock {
  t = 1_000_000;
  now = () => this.t;
  advance(ms: number) {
    this.t += ms;
  }
}

const request = () => new Request('http://push.test/push/x');
/** Sends n requests answered with `status`; returns the admissions. */
function send(dos: DosDefense, ip: string, n: number, status = 201) {
  const kinds: string[] = [];
  for (let i = 0; i < n; i++) {
    const admission = dos.admit(ip);
    kinds.push(admission.kind);
    if (admission.kind === 'pass') dos.afterResponse(ip, status, request());
  }
  return kinds;
}

describe('DosDefense thresholds', () => {
  it('boxes an IP over the request threshold for the request penalty', () => {
    const { dos, events } = setup({ maxRequests: 5 });
    expect(send(dos, '192.0.2.1', 5)).toEqual(Array(5).fill('pass'));
    const sixth = dos.admit('192.0.2.1');
    expect(sixth).toMatchObject({ kind: 'reject', retryAfter: 600, entry: { reason: 'requests' } });
    expect(dos.admit('192.0.2.2').kind).toBe('pass');
    expect(events.filter((e) => e.event === 'ip.boxed')).toEqual([
      expect.objectContaining({ ip: '192.0.2.0/24', reason: 'requests', seconds: 600 }),
    ]);
  });

  it('boxes an IP over the bad-request threshold for the longer penalty', () => {
    const { dos } = setup({ maxBadRequests: 3 });
    send(dos, '192.0.2.1', 4, 404);
    expect(dos.admit('192.0.2.1')).toMatchObject({ kind: 'reject', retryAfter: 3600 });
  });

  it('counts 400/401/403/404/405/413/415 as bad, never 409/410/429 or successes', () => {
    const { dos } = setup({ maxBadRequests: 6, maxRequests: 1000 });
    for (const status of [409, 410, 429, 200, 201, 204, 500, 503])
      send(dos, '192.0.2.1', 3, status);
    expect(dos.admit('192.0.2.1').kind).toBe('pass');
    for (const status of [400, 401, 403, 404, 405, 413, 415]) send(dos, '192.0.2.2', 1, status);
    expect(dos.admit('192.0.2.2').kind).toBe('reject');
  });

  it('an excused 4xx does not count; countBadRequest counts without a status', () => {
    const { dos } = setup({ maxBadRequests: 2 });
    for (let i = 0; i < 5; i++) {
      const req = request();
      dos.excuse({ req: { raw: req } } as Context);
      dos.afterResponse('192.0.2.1', 404, req);
    }
    expect(dos.admit('192.0.2.1').kind).toBe('pass');
    dos.countBadRequest('192.0.2.1', 3);
    expect(dos.admit('192.0.2.1').kind).toBe('reject');
  });

  it('never boxes an allow-listed address', () => {
    const { dos } = setup({ maxRequests: 2, maxBadRequests: 1, allowList: ['198.51.100.0/24'] });
    expect(send(dos, '198.51.100.20', 50, 404)).not.toContain('reject');
    expect(() => dos.boxByHand('198.51.100.20', 60)).toThrow(/allow-list/);
    expect(send(dos, '198.51.101.1', 3)).toContain('reject');
  });

  it('observe-only serves everyone but logs ip.would_box once per window; manual boxes still apply', () => {
    const { dos, events, clock } = setup({ maxRequests: 2, observeOnly: true });
    expect(send(dos, '192.0.2.1', 10)).not.toContain('reject');
    const wouldBox = () => events.filter((e) => e.event === 'ip.would_box');
    expect(wouldBox()).toHaveLength(1);
    expect(wouldBox()[0]).toMatchObject({ reason: 'requests', ip: '192.0.2.0/24' });
    expect(events.some((e) => e.event === 'ip.boxed')).toBe(false);
    clock.advance(61_000);
    send(dos, '192.0.2.1', 3);
    expect(wouldBox()).toHaveLength(2);
    dos.boxByHand('192.0.2.9', 60);
    expect(dos.admit('192.0.2.9').kind).toBe('reject');
  });

  it('serves again once the penalty has passed, and logs the release once', async () => {
    const { dos, clock, events } = setup({ maxRequests: 1, requestPenaltySeconds: 2 });
    send(dos, '192.0.2.1', 2);
    expect(dos.admit('192.0.2.1')).toMatchObject({ kind: 'reject', retryAfter: 2 });
    clock.advance(2_000);
    await dos.sync();
    expect(events.filter((e) => e.event === 'ip.released')).toEqual([
      expect.objectContaining({ by: 'expiry', reason: 'requests' }),
    ]);
    // Served again at once: the flood that caused the box does not box it a second time.
    expect(dos.admit('192.0.2.1').kind).toBe('pass');
    expect(dos.admit('192.0.2.1').kind).toBe('reject');
  });

  it('applies live settings: a lower threshold and a new allow-list', async () => {
    const { dos, settings } = setup({ maxRequests: 100 });
    send(dos, '192.0.2.1', 5);
    await settings.update({ maxRequests: 5, allowList: ['192.0.2.2'] });
    expect(dos.admit('192.0.2.1').kind).toBe('reject');
    expect(send(dos, '192.0.2.2', 20)).not.toContain('reject');
  });
});

describe('DosDefense across nodes (shared box)', () => {
  function twoNodes(overrides: Partial<DosSettings> = {}) {
    const clock = new Clock();
    const cache = new FakeSharedState(clock.now);
    const a = setup(overrides, { cache, clock });
    const b = setup(overrides, { cache, clock });
    return { a: a.dos, b: b.dos, cache, clock, aEvents: a.events };
  }

  it('a box made on one node is enforced by the other after its sync', async () => {
    const { a, b } = twoNodes({ maxRequests: 3 });
    send(a, '203.0.113.5', 4);
    expect(a.admit('203.0.113.5').kind).toBe('reject');
    expect(b.admit('203.0.113.5').kind).toBe('pass');
    await a.sync();
    await b.sync();
    expect(b.admit('203.0.113.5')).toMatchObject({ kind: 'reject', retryAfter: 600 });
  });

  it('an unbox on one node lets the address out on the other, with fresh counts', async () => {
    const { a, b } = twoNodes({ maxRequests: 3 });
    send(b, '203.0.113.5', 3); // b's counts are at the threshold
    send(a, '203.0.113.5', 4);
    await a.sync();
    await b.sync();
    expect(b.admit('203.0.113.5').kind).toBe('reject');
    expect(a.unbox('203.0.113.5')).toBe(true);
    await a.sync();
    await b.sync();
    expect(b.admit('203.0.113.5').kind).toBe('pass');
    expect(b.admit('203.0.113.5').kind).toBe('pass');
  });

  it('boxes made while memcached is down are shared once it is back', async () => {
    const { a, b, cache } = twoNodes({ maxRequests: 3 });
    cache.down = true;
    send(a, '203.0.113.6', 4);
    await a.sync();
    expect(a.sharedBoxReachable).toBe(false);
    expect(a.admit('203.0.113.6').kind).toBe('reject');
    cache.down = false;
    await a.sync();
    await b.sync();
    expect(a.sharedBoxReachable).toBe(true);
    expect(b.admit('203.0.113.6').kind).toBe('reject');
  });

  it('a memcached restart (data lost) is repaired from the nodes’ copies', async () => {
    const { a, b, cache } = twoNodes({ maxRequests: 3 });
    send(a, '203.0.113.7', 4);
    await a.sync();
    cache.flush();
    await a.sync(); // finds no index: republishes
    await a.sync();
    await b.sync();
    expect(b.admit('203.0.113.7').kind).toBe('reject');
  });

  it('boxing by hand reaches the other node and replaces a longer entry', async () => {
    const { a, b } = twoNodes();
    a.boxByHand('2001:db8::42', 30);
    await a.sync();
    await b.sync();
    expect(b.isBoxed('2001:DB8::42')).toMatchObject({ reason: 'manual' });
    expect(b.admit('2001:db8::42')).toMatchObject({ kind: 'reject', retryAfter: 30 });
  });
});
