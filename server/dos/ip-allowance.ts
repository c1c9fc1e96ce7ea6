// "At most N per address per window" for the few requests that cost far more than their
// share of the DoS allowance: creating an account, opening a pairing channel. Counted in
// memcached so every node of a deployment sees the same count; while memcached is down each
// process counts on its own (a looser limit, never none). A window starts at an address's
// first request and lasts `windowSeconds`: a fixed window, so at most 2 × N get through
// around its end, which is all such a limit needs.
import { LRUCache } from 'lru-cache';
import { type SharedState, SharedStateUnavailable } from '../shared-state/memcached.js';

export type AllowanceAnswer = { allowed: true } | { allowed: false; retryAfter: number };

interface LocalWindow {
  count: number;
  endsAt: number;
}

export class IpAllowance {
  private readonly local: LRUCache<string, LocalWindow>;

  constructor(
    private readonly cache: Pick<SharedState, 'add' | 'incr'>,
    private readonly name: string,
    private readonly limit: () => number,
    private readonly windowSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    this.local = new LRUCache({ max: 100_000 });
  }

  /** Counts one request of `ip`; refused when it is past the limit of its window. */
  async take(ip: string): Promise<AllowanceAnswer> {
    let count: number;
    try {
      count = await this.sharedCount(ip);
    } catch (err) {
      if (!(err instanceof SharedStateUnavailable)) throw err;
      count = this.localCount(ip);
    }
    if (count <= this.limit()) return { allowed: true };
    return { allowed: false, retryAfter: this.windowSeconds };
  }

  private async sharedCount(ip: string): Promise<number> {
    const key = `push:allowance:${this.name}:${ip}`;
    // add, then incr: two nodes starting the same window at once cannot both start it.
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.cache.add(key, '1', this.windowSeconds)) return 1;
      const count = await this.cache.incr(key, 1);
      if (count !== null) return count;
      // The window ended between the two calls: start the next one.
    }
    throw new SharedStateUnavailable(`${this.name}: the counter kept vanishing`);
  }

  private localCount(ip: string): number {
    const now = this.now();
    const window = this.local.get(ip);
    if (!window || window.endsAt <= now) {
      this.local.set(ip, { count: 1, endsAt: now + this.windowSeconds * 1000 });
      return 1;
    }
    window.count += 1;
    return window.count;
  }
}
