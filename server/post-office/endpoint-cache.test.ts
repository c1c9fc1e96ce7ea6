import { describe, expect, it, vi } from 'vitest';
import { hashToken } from '../security/tokens.js';
import type { EndpointTarget } from '../store/store.js';
import { EndpointCache } from './endpoint-cache.js';

function target(subscriptionId: string, userId: string): EndpointTarget {
  return {
    subscription: {
      subscriptionId,
      userId,
      clientId: 'c1',
      tokenHash: hashToken(`token-${subscriptionId}`),
      legacyTokenSealed: null,
      applicationServerKey: null,
      meta: null,
      createdAt: '2030-01-01T00:00:00.000Z',
      deletedAt: null,
    },
    accountActive: true,
  };
}

/** A store over `targets`, keyed by endpoint token: it is asked by the token's hash. */
function cacheOver(targets: Record<string, EndpointTarget>, ttlMs = 60_000) {
  const byHash = new Map(Object.entries(targets).map(([token, t]) => [hashToken(token), t]));
  const lookups = vi.fn(async (tokenHash: string) => byHash.get(tokenHash) ?? null);
  const cache = new EndpointCache(
    { findSubscriptionByTokenHash: lookups },
    { maxEntries: 100, ttlMs },
  );
  return { cache, lookups };
}

describe('EndpointCache', () => {
  it('asks the store by the token’s hash, never by the token', async () => {
    const { cache, lookups } = cacheOver({ t1: target('s1', 'u1') });
    await cache.find('t1');
    expect(lookups).toHaveBeenCalledWith(hashToken('t1'));
    expect(JSON.stringify(lookups.mock.calls)).not.toContain('"t1"');
  });

  it('asks the store once per token, unknown tokens included', async () => {
    const { cache, lookups } = cacheOver({ t1: target('s1', 'u1') });
    expect((await cache.find('t1'))?.subscription.subscriptionId).toBe('s1');
    expect(cache.peek('t1')?.subscription.subscriptionId).toBe('s1');
    expect(await cache.find('nope')).toBeNull();
    expect(cache.peek('nope')).toBeNull();
    await cache.find('t1');
    await cache.find('nope');
    expect(lookups).toHaveBeenCalledTimes(2);
    expect(cache.peek('never-asked')).toBeUndefined();
  });

  it('forgets a subscription, and every endpoint of a user, when told', async () => {
    const targets = { t1: target('s1', 'u1'), t2: target('s2', 'u1'), t3: target('s3', 'u2') };
    const { cache, lookups } = cacheOver(targets);
    for (const t of ['t1', 't2', 't3']) await cache.find(t);
    cache.forget({ subscriptionIds: ['s1'] });
    expect(cache.peek('t1')).toBeUndefined();
    expect(cache.peek('t2')).toBeDefined();
    cache.forget({ userIds: ['u1'] });
    expect(cache.peek('t2')).toBeUndefined();
    expect(cache.peek('t3')).toBeDefined();
    await cache.find('t1');
    expect(lookups).toHaveBeenCalledTimes(4);
  });

  it('announces a change to the other processes as well as forgetting it here', async () => {
    const { cache } = cacheOver({ t1: target('s1', 'u1') });
    const told = vi.fn();
    cache.announceThrough(told);
    await cache.find('t1');
    cache.announce({ subscriptionIds: ['s1'] });
    expect(cache.peek('t1')).toBeUndefined();
    expect(told).toHaveBeenCalledWith({ subscriptionIds: ['s1'] });
  });

  it('asks again once an entry is older than the TTL (a lost announcement heals)', async () => {
    const { cache, lookups } = cacheOver({ t1: target('s1', 'u1') }, 40);
    await cache.find('t1');
    expect(cache.peek('t1')).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(cache.peek('t1')).toBeUndefined();
    await cache.find('t1');
    expect(lookups).toHaveBeenCalledTimes(2);
  });
});
