// Endpoint token → what the POST Office needs to route a push, remembered in memory. The
// lookup ran on every push and was a tenth of its CPU (docs/performance.md); senders send
// to the same endpoints again and again. The database knows a token only by its SHA-256
// (security/endpoint-tokens.ts), which is also the RabbitMQ routing key: the hash is
// computed on a miss and kept with the entry, so a push to a known endpoint costs no hash.
//
// Staying correct: a deleted subscription, or a disabled, enabled or deleted account, is
// announced on the control bus, and every process of every node forgets what it knew of
// it (`forget`). Entries also age out after `ttlMs`, so a change whose announcement was
// lost (RabbitMQ down at that moment) is noticed within that time. Unknown tokens are
// remembered too (a flood of made-up endpoints then costs no database work): a real token
// is 256 random bits handed out only once it exists, so nobody asks for it before that.
// Between a deletion and its announcement a push may still be published; the binding is
// gone by then, so RabbitMQ returns it unroutable and the sender still gets 410.
import { LRUCache } from 'lru-cache';
import { hashToken } from '../security/tokens.js';
import type { EndpointTarget, Store } from '../store/store.js';

export interface EndpointCacheOptions {
  maxEntries: number;
  ttlMs: number;
}

/** What a control message may tell every process to forget. */
export interface EndpointChange {
  subscriptionIds?: string[];
  userIds?: string[];
}

type Entry = { target: EndpointTarget } | { target: null };

export class EndpointCache {
  private readonly entries: LRUCache<string, Entry>;
  /** Which cached tokens belong to a subscription or a user, to forget them by id. */
  private readonly bySubscription = new Map<string, string>();
  private readonly byUser = new Map<string, Set<string>>();
  private tellOthers: (change: EndpointChange) => void = () => {};

  constructor(
    private readonly store: Pick<Store, 'findSubscriptionByTokenHash'>,
    options: EndpointCacheOptions,
  ) {
    this.entries = new LRUCache<string, Entry>({
      max: options.maxEntries,
      ttl: options.ttlMs,
      // An evicted or aged-out entry leaves the indexes with it.
      dispose: (entry, token) => this.unindex(token, entry),
    });
  }

  /** The cached answer when there is one (no promise: the common case costs no tick). */
  peek(token: string): EndpointTarget | null | undefined {
    return this.entries.get(token)?.target;
  }

  async find(token: string): Promise<EndpointTarget | null> {
    const cached = this.entries.get(token);
    if (cached) return cached.target;
    const target = await this.store.findSubscriptionByTokenHash(hashToken(token));
    this.entries.set(token, { target });
    if (target) this.index(token, target);
    return target;
  }

  /** How `announce` reaches the other processes (the control bus, once it is up). */
  announceThrough(publish: (change: EndpointChange) => void): void {
    this.tellOthers = publish;
  }

  /** Forgets here at once, and has every other process forget too. */
  announce(change: EndpointChange): void {
    this.forget(change);
    this.tellOthers(change);
  }

  forget(change: EndpointChange): void {
    for (const id of change.subscriptionIds ?? []) {
      const token = this.bySubscription.get(id);
      if (token !== undefined) this.entries.delete(token);
    }
    for (const id of change.userIds ?? []) {
      for (const token of [...(this.byUser.get(id) ?? [])]) this.entries.delete(token);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private index(token: string, target: EndpointTarget): void {
    const { subscriptionId, userId } = target.subscription;
    this.bySubscription.set(subscriptionId, token);
    let tokens = this.byUser.get(userId);
    if (!tokens) {
      tokens = new Set();
      this.byUser.set(userId, tokens);
    }
    tokens.add(token);
  }

  private unindex(token: string, entry: Entry): void {
    if (!entry.target) return;
    const { subscriptionId, userId } = entry.target.subscription;
    if (this.bySubscription.get(subscriptionId) === token)
      this.bySubscription.delete(subscriptionId);
    const tokens = this.byUser.get(userId);
    tokens?.delete(token);
    if (tokens?.size === 0) this.byUser.delete(userId);
  }
}
