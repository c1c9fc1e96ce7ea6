// The penalty box every node shares, in memcached:
//
//   push:dos:box:<ip>   {"reason","boxedAt","until"}, expiring with the penalty — the truth
//   push:dos:index      {"boxes":{ip:{…}}, "released":{ip:at}} — which box keys exist, and
//                       which addresses an admin let out recently
//   push:dos:lock       held (memcached `add`) by the node rewriting the index
//
// memcached cannot list its keys, hence the index. Nodes read it with the box keys it
// names on every sync round; box keys are the truth, so a stale index entry costs
// nothing. Rewrites of the index take the lock, so two nodes boxing at the same moment
// do not overwrite each other's entries; a node that cannot get the lock keeps its
// writes pending and tries again next round. Nothing here is ever awaited by a request.
import { z } from 'zod';
import type { SharedState } from '../shared-state/memcached.js';
import type { BoxEntry } from './penalty-box.js';

export const INDEX_KEY = 'push:dos:index';
export const LOCK_KEY = 'push:dos:lock';
export const boxKey = (ip: string) => `push:dos:box:${ip}`;

/** How long an unbox is remembered, so that nodes that knew the entry drop it too. */
export const RELEASE_MEMORY_MS = 10 * 60_000;
const LOCK_TTL_SECONDS = 5;
const LOCK_ATTEMPTS = 8;
/** memcached reads relative expiries only up to 30 days. */
const MAX_TTL_SECONDS = 2_592_000;
const GET_MULTI_CHUNK = 200;
const MAX_INDEX_ENTRIES = 10_000;

export type SharedStateStore = Pick<SharedState, 'get' | 'getMulti' | 'set' | 'add' | 'del'>;

const Reason = z.enum(['requests', 'bad_requests', 'manual']);
const StoredBox = z.object({
  reason: Reason,
  boxedAt: z.number().finite(),
  until: z.number().finite(),
});
type StoredBox = z.infer<typeof StoredBox>;
const StoredIndex = z.object({
  boxes: z.record(z.string(), StoredBox),
  released: z.record(z.string(), z.number().finite()),
});
type StoredIndex = z.infer<typeof StoredIndex>;

function parseJson<T>(schema: z.ZodType<T>, raw: string | undefined): T | null {
  if (raw === undefined) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export class IndexLockBusy extends Error {
  constructor() {
    super('the penalty-box index is being rewritten by another node');
    this.name = 'IndexLockBusy';
  }
}

export interface SharedView {
  /** False when memcached holds no index: it restarted or was flushed (or nothing was ever boxed). */
  indexPresent: boolean;
  /** Entries whose box key exists. */
  boxes: BoxEntry[];
  /** Addresses an admin let out, with when (epoch ms). */
  released: Map<string, number>;
}

const ttlSeconds = (untilMs: number, now: number) =>
  Math.min(MAX_TTL_SECONDS, Math.max(1, Math.ceil((untilMs - now) / 1000)));

export class SharedPenaltyBox {
  private readonly pendingBoxes = new Map<string, BoxEntry>();
  private readonly pendingReleases = new Map<string, number>();

  constructor(
    private readonly cache: SharedStateStore,
    /** Tells this node's lock from another's. */
    private readonly owner: string,
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Queues an entry for writing on the next round. */
  publish(entry: BoxEntry): void {
    this.pendingReleases.delete(entry.ip);
    this.pendingBoxes.set(entry.ip, entry);
  }

  /** Queues an unbox for writing on the next round. */
  release(ip: string, at: number): void {
    this.pendingBoxes.delete(ip);
    this.pendingReleases.set(ip, at);
  }

  hasPending(ip: string): boolean {
    return this.pendingBoxes.has(ip) || this.pendingReleases.has(ip);
  }

  get pendingCount(): number {
    return this.pendingBoxes.size + this.pendingReleases.size;
  }

  /**
   * One round: writes what is pending, then reads what every node wrote. Rejects when
   * memcached is unreachable (SharedStateUnavailable) or the index lock stayed busy
   * (IndexLockBusy); pending writes are kept for the next round either way.
   */
  async sync(now: number): Promise<SharedView> {
    await this.flush(now);
    const index = parseJson(StoredIndex, await this.cache.get(INDEX_KEY));
    if (!index) return { indexPresent: false, boxes: [], released: new Map() };
    const candidates = Object.entries(index.boxes).filter(([, box]) => box.until > now);
    const found: Record<string, string> = {};
    for (let i = 0; i < candidates.length; i += GET_MULTI_CHUNK) {
      const keys = candidates.slice(i, i + GET_MULTI_CHUNK).map(([ip]) => boxKey(ip));
      Object.assign(found, await this.cache.getMulti(keys));
    }
    const boxes: BoxEntry[] = [];
    for (const [ip] of candidates) {
      const box = parseJson(StoredBox, found[boxKey(ip)]);
      if (box && box.until > now) boxes.push({ ip, ...box });
    }
    return { indexPresent: true, boxes, released: new Map(Object.entries(index.released)) };
  }

  private async flush(now: number): Promise<void> {
    if (this.pendingCount === 0) return;
    const boxes = [...this.pendingBoxes.values()];
    const releases = [...this.pendingReleases.entries()];
    // Box keys first: whoever reads the index must find the keys it names.
    for (const entry of boxes) {
      if (entry.until <= now) continue;
      const stored: StoredBox = {
        reason: entry.reason,
        boxedAt: entry.boxedAt,
        until: entry.until,
      };
      await this.cache.set(boxKey(entry.ip), JSON.stringify(stored), ttlSeconds(entry.until, now));
    }
    for (const [ip] of releases) await this.cache.del(boxKey(ip));
    await this.withLock(async () => {
      const index = parseJson(StoredIndex, await this.cache.get(INDEX_KEY)) ?? {
        boxes: {},
        released: {},
      };
      for (const entry of boxes) {
        const current = index.boxes[entry.ip];
        if (!current || current.until < entry.until) {
          index.boxes[entry.ip] = {
            reason: entry.reason,
            boxedAt: entry.boxedAt,
            until: entry.until,
          };
        }
        const releasedAt = index.released[entry.ip];
        if (releasedAt !== undefined && releasedAt < entry.boxedAt) delete index.released[entry.ip];
      }
      for (const [ip, at] of releases) {
        delete index.boxes[ip];
        index.released[ip] = at;
      }
      await this.cache.set(INDEX_KEY, JSON.stringify(prune(index, now)), MAX_TTL_SECONDS);
    });
    // Only what was written: an entry replaced while we were writing stays pending.
    for (const entry of boxes) {
      if (this.pendingBoxes.get(entry.ip) === entry) this.pendingBoxes.delete(entry.ip);
    }
    for (const [ip, at] of releases) {
      if (this.pendingReleases.get(ip) === at) this.pendingReleases.delete(ip);
    }
  }

  private async withLock(work: () => Promise<void>): Promise<void> {
    const token = `${this.owner}:${Math.random().toString(36).slice(2)}`;
    for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
      if (await this.cache.add(LOCK_KEY, token, LOCK_TTL_SECONDS)) {
        try {
          await work();
        } finally {
          // Only our own lock: it may have expired and been taken by another node. When
          // memcached fails here the lock simply expires by its TTL.
          const holder = await this.cache.get(LOCK_KEY).catch(() => undefined);
          if (holder === token) await this.cache.del(LOCK_KEY).catch(() => {}); // expires anyway
        }
        return;
      }
      await this.sleep(20 + Math.random() * 80);
    }
    throw new IndexLockBusy();
  }
}

/** Drops expired boxes and old releases; keeps the index under memcached's item size. */
function prune(index: StoredIndex, now: number): StoredIndex {
  const boxes = Object.entries(index.boxes)
    .filter(([, box]) => box.until > now)
    .sort(([, a], [, b]) => b.until - a.until)
    .slice(0, MAX_INDEX_ENTRIES);
  const released = Object.entries(index.released).filter(([, at]) => at > now - RELEASE_MEMORY_MS);
  return { boxes: Object.fromEntries(boxes), released: Object.fromEntries(released) };
}
