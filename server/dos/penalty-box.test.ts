import { describe, expect, it } from 'vitest';
import { LocalPenaltyBox, secondsLeft } from './penalty-box.js';

describe('LocalPenaltyBox', () => {
  it('holds an entry until it expires, then reports it once when pruned', () => {
    let now = 1000;
    const box = new LocalPenaltyBox(() => now);
    box.put({ ip: '192.0.2.1', reason: 'requests', boxedAt: 1000, until: 3000 });
    expect(box.lookup('192.0.2.1')?.reason).toBe('requests');
    now = 3000;
    expect(box.lookup('192.0.2.1')).toBeNull();
    expect(box.list()).toEqual([]);
    expect(box.prune().map((e) => e.ip)).toEqual(['192.0.2.1']);
    expect(box.prune()).toEqual([]);
  });

  it('never shortens an entry, but lengthens it', () => {
    const box = new LocalPenaltyBox(() => 0);
    box.put({ ip: '192.0.2.1', reason: 'bad_requests', boxedAt: 0, until: 3_600_000 });
    expect(box.put({ ip: '192.0.2.1', reason: 'requests', boxedAt: 0, until: 600_000 })).toBe(
      false,
    );
    expect(box.lookup('192.0.2.1')?.reason).toBe('bad_requests');
    expect(box.put({ ip: '192.0.2.1', reason: 'manual', boxedAt: 0, until: 7_200_000 })).toBe(true);
    expect(box.lookup('192.0.2.1')?.until).toBe(7_200_000);
  });

  it('Retry-After is the seconds left, rounded up, at least 1', () => {
    const entry = { ip: 'x', reason: 'requests' as const, boxedAt: 0, until: 10_500 };
    expect(secondsLeft(entry, 0)).toBe(11);
    expect(secondsLeft(entry, 10_499)).toBe(1);
    expect(secondsLeft(entry, 20_000)).toBe(1);
  });
});
