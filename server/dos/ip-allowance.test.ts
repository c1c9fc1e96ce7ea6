import { describe, expect, it } from 'vitest';
import { SharedStateUnavailable } from '../shared-state/memcached.js';
import { IpAllowance } from './ip-allowance.js';

/** memcached's add/incr over a Map, with expiry on a fake clock. */
function fakeCache(clock: { now: number }, down = { value: false }) {
  const values = new Map<string, { value: number; expires: number }>();
  const live = (key: string) => {
    const entry = values.get(key);
    return entry && entry.expires > clock.now ? entry : undefined;
  };
  return {
    down,
    async add(key: string, value: string, ttl: number) {
      if (down.value) throw new SharedStateUnavailable('down');
      if (live(key)) return false;
      values.set(key, { value: Number(value), expires: clock.now + ttl * 1000 });
      return true;
    },
    async incr(key: string, by: number) {
      if (down.value) throw new SharedStateUnavailable('down');
      const entry = live(key);
      if (!entry) return null;
      entry.value += by;
      return entry.value;
    },
  };
}

describe('IpAllowance', () => {
  it('lets `limit` requests of an address through per window, then refuses until it ends', async () => {
    const clock = { now: 0 };
    const allowance = new IpAllowance(
      fakeCache(clock),
      'signup',
      () => 3,
      3600,
      () => clock.now,
    );
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await allowance.take('192.0.2.1')).allowed);
    expect(answers).toEqual([true, true, true, false]);
    expect(await allowance.take('192.0.2.1')).toEqual({ allowed: false, retryAfter: 3600 });
    expect((await allowance.take('192.0.2.2')).allowed).toBe(true);
    clock.now += 3600_000;
    expect((await allowance.take('192.0.2.1')).allowed).toBe(true);
  });

  it('counts in this process while memcached is down: a limit still holds', async () => {
    const clock = { now: 0 };
    const cache = fakeCache(clock, { value: true });
    const allowance = new IpAllowance(
      cache,
      'signup',
      () => 2,
      60,
      () => clock.now,
    );
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await allowance.take('192.0.2.1')).allowed);
    expect(answers).toEqual([true, true, false]);
  });
});
