import { describe, expect, it } from 'vitest';
import { IpCounters } from './ip-counters.js';
import { BUCKETS, WindowCounter } from './window-counter.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('WindowCounter', () => {
  it('sums the last BUCKETS slices only', () => {
    const c = new WindowCounter(1);
    c.add(0, 0, 5);
    c.add(0, BUCKETS - 1, 1);
    expect(c.total(0, BUCKETS - 1)).toBe(6);
    // Slice 0 is now older than the window.
    expect(c.total(0, BUCKETS)).toBe(1);
    expect(c.add(0, BUCKETS, 2)).toBe(3);
  });

  it('reuses a bucket for a new slice without keeping its old count', () => {
    const c = new WindowCounter(2);
    c.add(0, 3, 10);
    c.add(1, 3, 4);
    expect(c.add(0, 3 + BUCKETS, 1)).toBe(1);
    expect(c.total(1, 3 + BUCKETS)).toBe(0);
  });
});

describe('IpCounters', () => {
  it('counts requests and bad requests per IP over the window', () => {
    const t = clock();
    const counters = new IpCounters({ windowSeconds: 60, maxEntries: 100, now: t.now });
    for (let i = 0; i < 3; i++) counters.hit('192.0.2.1');
    counters.bad('192.0.2.1');
    counters.hit('192.0.2.2');
    expect(counters.peek('192.0.2.1')).toEqual({ requests: 3, badRequests: 1 });
    expect(counters.peek('192.0.2.2')).toEqual({ requests: 1, badRequests: 0 });
    expect(counters.peek('192.0.2.3')).toEqual({ requests: 0, badRequests: 0 });
  });

  it('slides: old traffic ages out slice by slice, not all at once', () => {
    const t = clock();
    const counters = new IpCounters({ windowSeconds: 60, maxEntries: 100, now: t.now });
    counters.hit('192.0.2.1', 10); // at 0 s
    t.advance(30_000);
    counters.hit('192.0.2.1', 5); // at 30 s
    t.advance(29_000); // 59 s: both inside
    expect(counters.peek('192.0.2.1').requests).toBe(15);
    t.advance(2_000); // 61 s: the first burst has aged out, the second not
    expect(counters.peek('192.0.2.1').requests).toBe(5);
    t.advance(30_000); // 91 s: everything aged out
    expect(counters.peek('192.0.2.1').requests).toBe(0);
  });

  it('forgets the least recently seen IP first when full', () => {
    const counters = new IpCounters({ windowSeconds: 60, maxEntries: 2 });
    counters.hit('192.0.2.1');
    counters.hit('192.0.2.2');
    counters.hit('192.0.2.1');
    counters.hit('192.0.2.3'); // evicts .2, the least recently seen
    expect(counters.size).toBe(2);
    expect(counters.peek('192.0.2.2').requests).toBe(0);
    expect(counters.peek('192.0.2.1').requests).toBe(2);
  });

  it('lists top talkers by requests, then bad requests', () => {
    const counters = new IpCounters({ windowSeconds: 60, maxEntries: 100 });
    counters.hit('198.51.100.1', 5);
    counters.hit('198.51.100.2', 9);
    counters.hit('198.51.100.3', 5);
    counters.bad('198.51.100.3', 2);
    expect(counters.top(2)).toEqual([
      { ip: '198.51.100.2', requests: 9, badRequests: 0 },
      { ip: '198.51.100.3', requests: 5, badRequests: 2 },
    ]);
  });

  it('reset forgets one address; a new window restarts counting; a new size keeps the newest', () => {
    const counters = new IpCounters({ windowSeconds: 60, maxEntries: 10 });
    for (const n of [1, 2, 3, 4]) counters.hit(`203.0.113.${n}`, n);
    counters.reset('203.0.113.4');
    expect(counters.peek('203.0.113.4').requests).toBe(0);
    counters.reconfigure(60, 2);
    expect(counters.size).toBe(2);
    expect(counters.peek('203.0.113.3').requests).toBe(3);
    expect(counters.peek('203.0.113.1').requests).toBe(0);
    counters.reconfigure(30, 2);
    expect(counters.size).toBe(0);
  });
});
