// Per-IP request and bad-request counts over the sliding window, for the most recently
// seen IPs only (an LRU bounded by DOS_LRU_SIZE), so a flood from many addresses cannot
// grow memory: the least recently seen address is forgotten first, and a forgotten
// address is one that was quiet anyway.
import { LRUCache } from 'lru-cache';
import { BUCKETS, WindowCounter } from './window-counter.js';

const REQUESTS = 0;
const BAD = 1;

export interface IpCounts {
  requests: number;
  badRequests: number;
}

export interface Talker extends IpCounts {
  ip: string;
}

export interface IpCountersOptions {
  windowSeconds: number;
  maxEntries: number;
  now?: () => number;
}

export class IpCounters {
  private lru: LRUCache<string, WindowCounter>;
  private sliceMs: number;
  private windowSeconds: number;
  private readonly now: () => number;
  /** Slice numbers count from here so they stay small enough for an Int32Array. */
  private readonly origin: number;

  constructor(options: IpCountersOptions) {
    this.now = options.now ?? Date.now;
    this.origin = this.now();
    this.windowSeconds = options.windowSeconds;
    this.sliceMs = (options.windowSeconds * 1000) / BUCKETS;
    this.lru = new LRUCache({ max: options.maxEntries });
  }

  private slice(): number {
    return Math.floor((this.now() - this.origin) / this.sliceMs);
  }

  private counter(ip: string): WindowCounter {
    let counter = this.lru.get(ip);
    if (!counter) {
      counter = new WindowCounter(2);
      this.lru.set(ip, counter);
    }
    return counter;
  }

  /** Counts `n` requests from `ip`; returns both counts over the window. */
  hit(ip: string, n = 1): IpCounts {
    const slice = this.slice();
    const counter = this.counter(ip);
    return { requests: counter.add(REQUESTS, slice, n), badRequests: counter.total(BAD, slice) };
  }

  /** Counts `n` bad requests from `ip` (the request itself was counted by `hit`). */
  bad(ip: string, n = 1): IpCounts {
    const slice = this.slice();
    const counter = this.counter(ip);
    return { requests: counter.total(REQUESTS, slice), badRequests: counter.add(BAD, slice, n) };
  }

  /** Current counts without touching the LRU order. */
  peek(ip: string): IpCounts {
    const counter = this.lru.peek(ip);
    if (!counter) return { requests: 0, badRequests: 0 };
    const slice = this.slice();
    return { requests: counter.total(REQUESTS, slice), badRequests: counter.total(BAD, slice) };
  }

  /** Forgets an address (it was let out of the penalty box: it starts from zero). */
  reset(ip: string): void {
    this.lru.delete(ip);
  }

  get size(): number {
    return this.lru.size;
  }

  /**
   * Applies new settings. A new window length restarts every count (slices of the old
   * length cannot be re-cut); a new size keeps the most recently seen addresses.
   */
  reconfigure(windowSeconds: number, maxEntries: number): void {
    if (windowSeconds !== this.windowSeconds) {
      this.windowSeconds = windowSeconds;
      this.sliceMs = (windowSeconds * 1000) / BUCKETS;
      this.lru = new LRUCache({ max: maxEntries });
      return;
    }
    if (maxEntries === this.lru.max) return;
    const resized = new LRUCache<string, WindowCounter>({ max: maxEntries });
    // Oldest first, so the newest end up most recent and survive the cut.
    for (const ip of this.lru.rkeys()) {
      const counter = this.lru.peek(ip);
      if (counter) resized.set(ip, counter);
    }
    this.lru = resized;
  }

  /** The `n` addresses with the most requests in the window (ties: most bad requests). */
  top(n: number): Talker[] {
    const slice = this.slice();
    const all: Talker[] = [];
    for (const [ip, counter] of this.lru.entries()) {
      const requests = counter.total(REQUESTS, slice);
      const badRequests = counter.total(BAD, slice);
      if (requests > 0 || badRequests > 0) all.push({ ip, requests, badRequests });
    }
    all.sort((a, b) => b.requests - a.requests || b.badRequests - a.badRequests);
    return all.slice(0, n);
  }
}
