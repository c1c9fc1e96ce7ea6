// The user's subscriptions. The server holds the list (shared by all of the user's devices) but
// only sees each one's `meta` sealed; this device opens it to learn which site a subscription
// belongs to, and derives its keys from the secret key (docs/protocol.md §5). The meta also carries the
// applicationServerKey given at subscribe time (the server's list does not return it), so every
// device can enforce it; a local cache remembers what was opened.
import {
  decodeBase64Url,
  deriveMetaKey,
  deriveSubscriptionKeys,
  encryptMeta,
  toPushSubscriptionJSON,
} from '../../shared/crypto/index.js';
import { isRecord, isString } from '../messaging/guards.js';
import { isWebOrigin } from '../messaging/origin.js';
import type { PageSubscription } from '../messaging/page-protocol.js';
import type { SubscriptionView } from '../messaging/ui-api.js';
import type { SignedInAccount } from './account-store.js';
import { ApiError, type ServerApi } from './api-client.js';
import type { SerialQueue } from './serial.js';
import type { KeyValueArea } from './storage-area.js';
import { type AddonSubscriptionMeta, openMeta } from './subscription-meta.js';

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

  constructor(private readonly deps: SubscriptionDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  /** Every subscription of the user, newest first, with the site each belongs to. */
  async list(account: SignedInAccount): Promise<CachedSubscription[]> {
    const remote = await this.deps.api(account.serverUrl).listSubscriptions(account.clientToken);
    const metaKey = deriveMetaKey(decodeBase64Url(account.secretKey));
    return this.deps.queue.run(async () => {
      const cache = await this.#read();
      const next: Record<string, CachedSubscription> = {};
      for (const s of remote) {
        const known = cache[s.subscriptionId];
        // Opened once; the cache keeps what it said (metas never change on the server).
        const opened = known?.keyKnown ? null : openMeta(metaKey, s.meta);
        const recordedKey = opened?.applicationServerKey;
        next[s.subscriptionId] = {
          subscriptionId: s.subscriptionId,
          endpoint: s.endpoint,
          createdAt: s.createdAt,
          origin: known?.origin ?? opened?.origin ?? null,
          keyKnown: known?.keyKnown === true || recordedKey !== undefined,
          applicationServerKey: known?.keyKnown
            ? known.applicationServerKey
            : (recordedKey ?? null),
        };
      }
      await this.deps.area.set(KEY, next);
      return Object.values(next).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    });
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
    };
    await this.#update((cache) => {
      cache[entry.subscriptionId] = entry;
    });
    return entry;
  }

  /** Deletes one subscription; a subscription the server no longer has counts as deleted. */
  async remove(account: SignedInAccount, subscriptionId: string): Promise<void> {
    try {
      await this.deps
        .api(account.serverUrl)
        .deleteSubscription(account.clientToken, subscriptionId);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
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
  const { subscriptionId, endpoint, origin, createdAt, keyKnown, applicationServerKey } = value;
  if (!isString(subscriptionId) || !isString(endpoint) || !isString(createdAt)) return null;
  if (origin !== null && !isWebOrigin(origin)) return null;
  return {
    subscriptionId,
    endpoint,
    origin,
    createdAt,
    keyKnown: keyKnown === true,
    applicationServerKey: isString(applicationServerKey) ? applicationServerKey : null,
  };
}
