import { describe, expect, it } from 'vitest';
import { SharedStateUnavailable } from '../shared-state/memcached.js';
import { FakeSharedState } from '../testing/dos-fakes.js';
import type { BoxEntry } from './penalty-box.js';
import { boxKey, INDEX_KEY, IndexLockBusy, LOCK_KEY, SharedPenaltyBox } from './shared-box.js';

const noSleep = async () => {};
const entry = (ip: string, until = 600_000): BoxEntry => ({
  ip,
  reason: 'requests',
  boxedAt: 1000,
  until,
});

describe('SharedPenaltyBox', () => {
  it('writes a box key expiring with the penalty and lists it in the index', async () => {
    let now = 1000;
    const cache = new FakeSharedState(() => now);
    const a = new SharedPenaltyBox(cache, 'a', noSleep);
    a.publish(entry('192.0.2.1', 61_000));
    await a.sync(now);
    expect(cache.keys()).toContain(boxKey('192.0.2.1'));
    expect(a.pendingCount).toBe(0);
    now = 61_000; // the key's expiry (60 s) has passed
    expect(cache.keys()).not.toContain(boxKey('192.0.2.1'));
    expect(cache.keys()).toContain(INDEX_KEY);
  });

  it('another node reads what one node boxed and what it let out', async () => {
    const cache = new FakeSharedState(() => 1000);
    const a = new SharedPenaltyBox(cache, 'a', noSleep);
    const b = new SharedPenaltyBox(cache, 'b', noSleep);
    a.publish(entry('192.0.2.1'));
    expect((await b.sync(1000)).boxes).toEqual([]);
    await a.sync(1000);
    expect((await b.sync(1000)).boxes.map((e) => e.ip)).toEqual(['192.0.2.1']);
    a.release('192.0.2.1', 2000);
    await a.sync(2000);
    const view = await b.sync(2000);
    expect(view.boxes).toEqual([]);
    expect(view.released.get('192.0.2.1')).toBe(2000);
  });

  it('two nodes boxing at the same moment both end up in the index (the lock)', async () => {
    const cache = new FakeSharedState(() => 1000);
    const tinySleep = () => new Promise<void>((r) => setTimeout(r, 1));
    const a = new SharedPenaltyBox(cache, 'a', tinySleep);
    const b = new SharedPenaltyBox(cache, 'b', tinySleep);
    a.publish(entry('192.0.2.1'));
    b.publish(entry('192.0.2.2'));
    await Promise.all([a.sync(1000), b.sync(1000)]);
    const view = await new SharedPenaltyBox(cache, 'c', noSleep).sync(1000);
    expect(view.boxes.map((e) => e.ip).sort()).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(cache.keys()).not.toContain(LOCK_KEY);
  });

  it('keeps its writes pending while the lock stays taken', async () => {
    const cache = new FakeSharedState(() => 1000);
    await cache.add(LOCK_KEY, 'someone else', 5);
    const a = new SharedPenaltyBox(cache, 'a', noSleep);
    a.publish(entry('192.0.2.1'));
    await expect(a.sync(1000)).rejects.toBeInstanceOf(IndexLockBusy);
    expect(a.hasPending('192.0.2.1')).toBe(true);
    await cache.del(LOCK_KEY);
    await a.sync(1000);
    expect(a.pendingCount).toBe(0);
  });

  it('keeps its writes pending while memcached is down, and writes them when it is back', async () => {
    const cache = new FakeSharedState(() => 1000);
    const a = new SharedPenaltyBox(cache, 'a', noSleep);
    cache.down = true;
    a.publish(entry('192.0.2.1'));
    await expect(a.sync(1000)).rejects.toBeInstanceOf(SharedStateUnavailable);
    expect(a.hasPending('192.0.2.1')).toBe(true);
    cache.down = false;
    await a.sync(1000);
    const view = await new SharedPenaltyBox(cache, 'b', noSleep).sync(1000);
    expect(view.boxes.map((e) => e.ip)).toEqual(['192.0.2.1']);
  });

  it('reports a missing index (memcached restarted) and ignores corrupt data', async () => {
    const cache = new FakeSharedState(() => 1000);
    const a = new SharedPenaltyBox(cache, 'a', noSleep);
    expect((await a.sync(1000)).indexPresent).toBe(false);
    await cache.set(INDEX_KEY, '{"boxes": "nonsense"}', 60);
    expect((await a.sync(1000)).indexPresent).toBe(false);
    await cache.set(
      INDEX_KEY,
      JSON.stringify({
        boxes: { '192.0.2.9': { reason: 'requests', boxedAt: 0, until: 9e9 } },
        released: {},
      }),
      60,
    );
    await cache.set(boxKey('192.0.2.9'), 'not json', 60);
    const view = await a.sync(1000);
    expect(view.indexPresent).toBe(true);
    expect(view.boxes).toEqual([]);
  });
});
