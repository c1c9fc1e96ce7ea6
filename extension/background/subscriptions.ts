// The user's subscriptions. The server holds the list (shared by all of the user's devices) but
// only sees each one's `meta` sealed; this device opens it to learn which site a subscription
// belongs to, and derives its keys from the secret key (docs/protocol.md §5). The meta also
// carries the applicationServerKey given at subscribe time (the server's list does not return
// it), so every device can enforce it; a local cache remembers what was opened.
//
// A site's meta is believed only together with the binding record that names its
// subscription (subscription-meta.ts): a meta copied onto another subscription, or two metas
// swapped, show as an unknown site, never as the site. Metas written before binding records
// are bound the first time a device reads them (if their time matches the subscription's).
import {
  decodeBase64Url,
  deriveMetaKey,
  deriveSubscriptionKeys,
  encryptMeta,
  toPushSubscriptionJSON,
} from '../../shared/crypto/index.js';
import type { SubscriptionInfo } from '../../shared/protocol.js';
import { isRecord, isString } from '../messaging/guards.js';
import { isWebOrigin } from '../messaging/origin.js';
import type { PageSubscription } from '../messaging/page-protocol.js';
import type { SubscriptionView } from '../messaging/ui-api.js';
import type { SignedInAccount } from './account-store.js';
import { ApiError, type ServerApi } from './api-client.js';
import type { SerialQueue } from './serial.js';
import type { KeyValueArea } from './storage-area.js';
import {
  type AddonSubscriptionMeta,
  openBinding,
  openMeta,
  type SubscriptionBinding,
  sealBinding,
} from './subscription-meta.js';

export interface CachedSubscription {
  subscriptionId: string;
  endpoint: string;
  origin: string | null;
  createdAt: string;
  /**
   * Whether the key the site gave is known (this device made the subscription, or its meta
   * recorded the key); only then can a subscribe with another key be refused.
   */
  keyKnown: boolean;
  applicationServerKey: string | null;
  /** The subscriptions whose meta is this one's binding record (removed along with it). */
  bindingIds: string[];
}

export interface SubscriptionDeps {
  area: KeyValueArea;
  queue: SerialQueue;
  api: (serverUrl: string) => ServerApi;
  now?: () => Date;
}

/** The site asked for a subscription with another key than the one it has (W3C Push API). */
export class KeyMismatchError extends Error {
  override name = 'KeyMismatchError';
}

const KEY = 'subscriptionCache';

/**
 * How far a meta from before binding records may say it was made from when the server says:
 * the add-on stamps it just before creating the subscription, so only clock skew separates
 * them. A meta copied onto a newer subscription is further off, and is not bound.
 */
export const LEGACY_META_SKEW_MS = 10 * 60_000;

interface BindingRecord {
  /** The id of the subscription that carries the record as its meta. */
  id: string;
  binding: SubscriptionBinding;
}

/** Every record agrees (devices may write one each); otherwise none is believed. */
function agreed(records: readonly BindingRecord[]): SubscriptionBinding | null {
  const [first, ...rest] = records;
  if (!first) return null;
  const same = (b: SubscriptionBinding) =>
    b.origin === first.binding.origin &&
    b.createdAt === first.binding.createdAt &&
    b.applicationServerKey === first.binding.applicationServerKey;
  return rest.every((r) => same(r.binding)) ? first.binding : null;
}

export function pageSubscriptionOf(
  secretKey: Uint8Array,
  cached: CachedSubscription,
): PageSubscription {
  const json = toPushSubscriptionJSON(
    cached.endpoint,
    deriveSubscriptionKeys(secretKey, cached.subscriptionId),
  );
  return {
    endpoint: json.endpoint,
    keys: json.keys,
    applicationServerKey: cached.keyKnown ? cached.applicationServerKey : null,
  };
}

export class SubscriptionService {
  readonly #now: () => Date;
  /** Subscriptions whose binding record is being written, so one list does not write two. */
  readonly #binding = new Set<string>();

  constructor(private readonly deps: SubscriptionDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  /** Every subscription of the user, newest first, with the site each belongs to. */
  async list(account: SignedInAccount): Promise<CachedSubscription[]> {
    const api = this.deps.api(account.serverUrl);
    const remote = await api.listSubscriptions(account.clientToken);
    const metaKey = deriveMetaKey(decodeBase64Url(account.secretKey));
    const records = new Map<string, BindingRecord[]>();
    const sites: SubscriptionInfo[] = [];
    for (const s of remote) {
      const binding = openBinding(metaKey, s.meta);
      if (!binding) sites.push(s);
      else
        records.set(binding.subscriptionId, [
          ...(records.get(binding.subscriptionId) ?? []),
          { id: s.subscriptionId, binding },
        ]);
    }
    const list = await this.deps.queue.run(async () => {
      const cache = await this.#read();
      const next: Record<string, CachedSubscription> = {};
      for (const s of sites) {
        next[s.subscriptionId] = this.#resolve(
          s,
          cache[s.subscriptionId],
          records.get(s.subscriptionId) ?? [],
          metaKey,
        );
      }
      await this.deps.area.set(KEY, next);
      return Object.values(next).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    });
    // Writes to the server come after, outside the cache's queue, and may fail: the next
    // list tries again.
    const known = new Set(sites.map((s) => s.subscriptionId));
    const orphans = [...records].filter(([target]) => !known.has(target));
    for (const record of orphans.flatMap(([, rs]) => rs)) {
      // The subscription it named was deleted (perhaps by an older version of the add-on).
      await this.#deleteQuietly(account, record.id);
    }
    for (const entry of list) {
      if (entry.origin !== null && entry.bindingIds.length === 0) {
        await this.#bind(account, entry, metaKey).catch(() => undefined);
      }
    }
    return list;
  }

  /**
   * Which site `s` belongs to. What this device verified before (its cache) stands; else the
   * binding record decides, and the site's own meta must agree with it; a meta from before
   * binding records is believed if its time matches the subscription's (and is then bound).
   */
  #resolve(
    s: SubscriptionInfo,
    known: CachedSubscription | undefined,
    records: readonly BindingRecord[],
    metaKey: Uint8Array,
  ): CachedSubscription {
    const bindingIds = records.map((r) => r.id);
    const base = { subscriptionId: s.subscriptionId, endpoint: s.endpoint, createdAt: s.createdAt };
    if (known && known.origin !== null) return { ...known, ...base, bindingIds };
    const unknown: CachedSubscription = {
      ...base,
      origin: null,
      keyKnown: false,
      applicationServerKey: null,
      bindingIds,
    };
    const meta = openMeta(metaKey, s.meta);
    const binding = agreed(records);
    if (records.length > 0) {
      if (!binding) return unknown;
      // A site meta that names another site (or key) than its binding was swapped or copied.
      const keysDiffer =
        meta?.applicationServerKey !== undefined &&
        binding.applicationServerKey !== undefined &&
        meta.applicationServerKey !== binding.applicationServerKey;
      if (meta && (meta.origin !== binding.origin || keysDiffer)) return unknown;
      return {
        ...base,
        origin: binding.origin,
        keyKnown: binding.applicationServerKey !== undefined,
        applicationServerKey: binding.applicationServerKey ?? null,
        bindingIds,
      };
    }
    if (!meta || meta.bound) return unknown;
    const skew = Math.abs(Date.parse(meta.createdAt) - Date.parse(s.createdAt));
    if (!(skew <= LEGACY_META_SKEW_MS)) return unknown;
    return {
      ...base,
      origin: meta.origin,
      keyKnown: meta.applicationServerKey !== undefined,
      applicationServerKey: meta.applicationServerKey ?? null,
      bindingIds,
    };
  }

  /** Writes the binding record of `entry` (a subscription whose site this device knows). */
  async #bind(
    account: SignedInAccount,
    entry: CachedSubscription,
    metaKey: Uint8Array,
  ): Promise<void> {
    if (entry.origin === null || this.#binding.has(entry.subscriptionId)) return;
    this.#binding.add(entry.subscriptionId);
    try {
      const record = await this.deps
        .api(account.serverUrl)
        .createSubscription(account.clientToken, {
          meta: sealBinding(metaKey, {
            subscriptionId: entry.subscriptionId,
            origin: entry.origin,
            createdAt: entry.createdAt,
            ...(entry.keyKnown ? { applicationServerKey: entry.applicationServerKey } : {}),
          }),
        });
      entry.bindingIds = [...entry.bindingIds, record.subscriptionId];
      await this.#update((cache) => {
        const cached = cache[entry.subscriptionId];
        if (cached) cached.bindingIds = [...cached.bindingIds, record.subscriptionId];
      });
    } finally {
      this.#binding.delete(entry.subscriptionId);
    }
  }

  async #deleteQuietly(account: SignedInAccount, subscriptionId: string): Promise<void> {
    await this.deps
      .api(account.serverUrl)
      .deleteSubscription(account.clientToken, subscriptionId)
      .catch(() => undefined);
  }

  async views(account: SignedInAccount): Promise<SubscriptionView[]> {
    return (await this.list(account)).map(({ subscriptionId, origin, createdAt, endpoint }) => ({
      subscriptionId,
      origin,
      createdAt,
      endpoint,
    }));
  }

  /** The newest subscription of `origin` on the server, made on any device. */
  async findForOrigin(
    account: SignedInAccount,
    origin: string,
  ): Promise<CachedSubscription | null> {
    return (await this.list(account)).find((s) => s.origin === origin) ?? null;
  }

  /**
   * Returns the origin's subscription, creating it when there is none. As in the W3C Push API,
   * asking again with a different applicationServerKey is an error: the site must unsubscribe
   * first (its old key would otherwise stay valid for the new endpoint).
   */
  async subscribe(
    account: SignedInAccount,
    origin: string,
    applicationServerKey: string | null,
  ): Promise<CachedSubscription> {
    const existing = await this.findForOrigin(account, origin);
    if (existing) {
      if (existing.keyKnown && existing.applicationServerKey !== applicationServerKey) {
        throw new KeyMismatchError(
          'this site is already subscribed with a different applicationServerKey; unsubscribe first',
        );
      }
      return existing;
    }
    const createdAt = this.#now().toISOString();
    const metaKey = deriveMetaKey(decodeBase64Url(account.secretKey));
    const meta = encryptMeta(metaKey, {
      origin,
      createdAt,
      applicationServerKey,
      bound: true,
    } satisfies AddonSubscriptionMeta);
    const created = await this.deps.api(account.serverUrl).createSubscription(account.clientToken, {
      ...(applicationServerKey ? { applicationServerKey } : {}),
      meta,
    });
    const entry: CachedSubscription = {
      subscriptionId: created.subscriptionId,
      endpoint: created.endpoint,
      origin,
      createdAt,
      keyKnown: true,
      applicationServerKey,
      bindingIds: [],
    };
    await this.#update((cache) => {
      cache[entry.subscriptionId] = entry;
    });
    // Now that the id is known. If this fails the site still has its subscription, this
    // device knows whose it is, and its next list writes the record.
    await this.#bind(account, entry, metaKey).catch(() => undefined);
    return entry;
  }

  /**
   * Deletes one subscription, and its binding records; a subscription the server no longer
   * has counts as deleted.
   */
  async remove(account: SignedInAccount, subscriptionId: string): Promise<void> {
    try {
      await this.deps
        .api(account.serverUrl)
        .deleteSubscription(account.clientToken, subscriptionId);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
    const bindingIds = (await this.#read())[subscriptionId]?.bindingIds ?? [];
    // A record left behind (e.g. the network failed here) is deleted by the next list.
    for (const id of bindingIds) await this.#deleteQuietly(account, id);
    await this.#update((cache) => {
      delete cache[subscriptionId];
    });
  }

  /**
   * What a page's unsubscribe does: deletes this origin's subscription (the one with
   * `endpoint`, when given). False when there was none, as in the W3C API.
   */
  async removeForOrigin(
    account: SignedInAccount,
    origin: string,
    endpoint: string | null,
  ): Promise<boolean> {
    const mine = (await this.list(account)).filter(
      (s) => s.origin === origin && (endpoint === null || s.endpoint === endpoint),
    );
    for (const s of mine) await this.remove(account, s.subscriptionId);
    return mine.length > 0;
  }

  /** Which site a pushed message is for: from the cache, else from the server's list. */
  async originOf(account: SignedInAccount, subscriptionId: string): Promise<string | null> {
    const cached = (await this.#read())[subscriptionId];
    if (cached) return cached.origin;
    // The server out of reach: the message is still shown, only without its site.
    const fresh = await this.list(account).catch(() => []);
    return fresh.find((s) => s.subscriptionId === subscriptionId)?.origin ?? null;
  }

  async clear(): Promise<void> {
    await this.deps.queue.run(() => this.deps.area.remove(KEY));
  }

  async #update(change: (cache: Record<string, CachedSubscription>) => void): Promise<void> {
    await this.deps.queue.run(async () => {
      const cache = await this.#read();
      change(cache);
      await this.deps.area.set(KEY, cache);
    });
  }

  async #read(): Promise<Record<string, CachedSubscription>> {
    const stored = await this.deps.area.get(KEY);
    const result: Record<string, CachedSubscription> = {};
    if (!isRecord(stored)) return result;
    for (const [id, value] of Object.entries(stored)) {
      const entry = parseCached(value);
      if (entry && entry.subscriptionId === id) result[id] = entry;
    }
    return result;
  }
}

function parseCached(value: unknown): CachedSubscription | null {
  if (!isRecord(value)) return null;
  const {
    subscriptionId,
    endpoint,
    origin,
    createdAt,
    keyKnown,
    applicationServerKey,
    bindingIds,
  } = value;
  if (!isString(subscriptionId) || !isString(endpoint) || !isString(createdAt)) return null;
  if (origin !== null && !isWebOrigin(origin)) return null;
  return {
    subscriptionId,
    endpoint,
    origin,
    createdAt,
    keyKnown: keyKnown === true,
    applicationServerKey: isString(applicationServerKey) ? applicationServerKey : null,
    // Absent in caches written before binding records.
    bindingIds: Array.isArray(bindingIds) ? bindingIds.filter(isString) : [],
  };
}
