// The DoS defense of one node, after the IP filter of Mozilla's Sync key-exchange server:
// per-IP counters of all requests and of bad requests over a sliding window; an address
// over a threshold goes into the penalty box, shared by all nodes through memcached.
//
// The request path only touches memory (counters, local box); memcached is read and
// written by a background loop every DOS_SYNC_INTERVAL_MS (and right after this node
// boxes or unboxes someone), so a slow or dead memcached never slows a request down.
//
// API for other routes (the pairing relay in particular), all synchronous and cheap:
//   - `c.get('clientIp')`       the caller's address, set by the guard before any route;
//   - `dos.countRequest(ip, n)` weighs a request more than once (e.g. channel creation);
//   - `dos.countBadRequest(ip)` counts a bad request that the response status does not
//                               show (the guard already counts every 400/401/403/404/405/
//                               413/415 answer, so do not call it for those);
//   - `dos.excuse(c)`           this 4xx answer is not the client's fault and must not count
//                               (e.g. a 404 "step not written yet" to a client polling a
//                               live pairing channel; an unknown channel stays bad).
import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { SharedStateUnavailable } from '../shared-state/memcached.js';
import type { ProcessGroup } from '../workers/group.js';
import { AllowList } from './allow-list.js';
import { ipForLog, normalizeIp, resolveClientIp } from './ip.js';
import { IpCounters, type Talker } from './ip-counters.js';
import { type BoxEntry, type BoxReason, LocalPenaltyBox, secondsLeft } from './penalty-box.js';
import type { DosSettings, LiveSettings } from './settings.js';
import { RELEASE_MEMORY_MS, SharedPenaltyBox, type SharedStateStore } from './shared-box.js';

/** Answers that are the client's fault. 409/410/429 are not: they happen to honest clients. */
export const BAD_REQUEST_STATUSES: ReadonlySet<number> = new Set([
  400, 401, 403, 404, 405, 413, 415,
]);

export interface DosDefenseDeps {
  settings: LiveSettings;
  cache: SharedStateStore;
  log: Logger;
  metrics: Metrics;
  syncIntervalMs: number;
  now?: () => number;
}

/** What the guard does with a request. */
export type Admission = { kind: 'pass' } | { kind: 'reject'; entry: BoxEntry; retryAfter: number };

export interface BoxedIp extends BoxEntry {
  secondsLeft: number;
}

export class AllowListedError extends Error {
  constructor(ip: string) {
    super(`${ip} is on the allow-list and cannot be boxed`);
    this.name = 'AllowListedError';
  }
}

/** How soon after a local box/unbox the shared box is written. */
const PUBLISH_DELAY_MS = 20;
/** How often a worker tells its siblings what it counted (one node, several processes). */
export const SIBLING_REPORT_MS = 250;

export class DosDefense {
  private readonly now: () => number;
  private readonly box: LocalPenaltyBox;
  private readonly shared: SharedPenaltyBox;
  private readonly counters: IpCounters;
  private allowList: AllowList;
  private trustedProxies: AllowList;
  private readonly isTrustedProxy = (ip: string) => this.trustedProxies.has(ip);
  private readonly excused = new WeakSet<object>();
  /** Observe-only: when `ip.would_box` was last logged per reason and address. */
  private readonly wouldBoxLogged = new LRUCache<string, number>({ max: 10_000 });
  /** Addresses this node boxed, so their expiry is logged once, here. */
  private readonly boxedHere = new Set<string>();
  /** Unboxes already applied, by address. */
  private readonly seenReleases = new Map<string, number>();
  private syncing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Timeout | null = null;
  private stopped = false;
  private lastSyncOk = true;
  /** Counted here since the last report to the sibling workers, by address. */
  private unreported: Map<string, [requests: number, badRequests: number]> | null = null;
  private reportTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: DosDefenseDeps) {
    this.now = deps.now ?? Date.now;
    const s = deps.settings.current;
    this.box = new LocalPenaltyBox(this.now);
    this.shared = new SharedPenaltyBox(deps.cache, randomUUID());
    this.counters = new IpCounters({
      windowSeconds: s.windowSeconds,
      maxEntries: s.lruSize,
      now: this.now,
    });
    this.allowList = AllowList.from(s.allowList);
    this.trustedProxies = AllowList.from(s.trustedProxies);
    deps.settings.onChange((next) => this.applySettings(next));
  }

  /** Loads the box from memcached once, then keeps it in sync in the background. */
  async start(): Promise<void> {
    await this.sync();
    const tick = () => {
      this.timer = setTimeout(() => {
        void this.sync().finally(() => {
          if (!this.stopped) tick();
        });
      }, this.deps.syncIntervalMs);
      this.timer.unref();
    };
    tick();
  }

  /** Stops the background loop after writing what is still pending, if memcached answers. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.settings.stop();
    if (this.timer) clearTimeout(this.timer);
    if (this.soon) clearTimeout(this.soon);
    // Only waiting for the round to end: sync() counts and logs its own failures.
    await this.syncing?.catch(() => {});
  }

  get settings(): DosSettings {
    return this.deps.settings.current;
  }

  /** The settings' source, for the admin page's form. */
  get liveSettings(): LiveSettings {
    return this.deps.settings;
  }

  /** Whether the last background round reached memcached. */
  get sharedBoxReachable(): boolean {
    return this.lastSyncOk;
  }

  // -- request path (memory only) ---------------------------------------------------------

  /**
   * The caller's address: the socket's, or — when the socket is one of our proxies
   * (TRUSTED_PROXIES) — what it and the proxies behind it vouch for in X-Forwarded-For, at
   * most TRUST_PROXY_HOPS entries (dos/ip.ts).
   */
  clientIp(socketAddress: string | undefined, forwardedFor: string | undefined): string {
    return resolveClientIp(
      socketAddress,
      forwardedFor,
      this.settings.trustProxyHops,
      this.isTrustedProxy,
    );
  }

  /** Called by the guard before any route: counts the request, or refuses it (429). */
  admit(ip: string): Admission {
    const s = this.settings;
    if (this.unreported) this.note(ip, 1, 0);
    if (this.allowList.has(ip)) {
      this.counters.hit(ip);
      return { kind: 'pass' };
    }
    let entry = this.box.lookup(ip);
    if (!entry) {
      const counts = this.counters.hit(ip);
      if (counts.requests > s.maxRequests) {
        entry = this.trip(ip, 'requests', counts.requests, s.requestPenaltySeconds);
      }
    }
    if (entry && (!s.observeOnly || entry.reason === 'manual')) {
      return { kind: 'reject', entry, retryAfter: secondsLeft(entry, this.now()) };
    }
    return { kind: 'pass' };
  }

  /** Called with the answer's status; `request` is what `excuse` may have marked. */
  afterResponse(ip: string, status: number, request: object): void {
    if (!BAD_REQUEST_STATUSES.has(status) || this.excused.has(request)) return;
    this.countBadRequest(ip);
  }

  /** See the header comment: extra weight for a request the guard already counted. */
  countRequest(ip: string, n = 1): void {
    if (this.unreported) this.note(ip, n, 0);
    if (this.allowList.has(ip)) return;
    this.judgeRequests(ip, this.counters.hit(ip, n).requests);
  }

  private judgeRequests(ip: string, requests: number): void {
    const s = this.settings;
    if (requests > s.maxRequests && !this.box.lookup(ip)) {
      this.trip(ip, 'requests', requests, s.requestPenaltySeconds);
    }
  }

  /** See the header comment: a bad request the response status does not show. */
  countBadRequest(ip: string, n = 1): void {
    this.deps.metrics.dosBadRequests.inc(n);
    if (this.unreported) this.note(ip, 0, n);
    if (this.allowList.has(ip)) return;
    this.judgeBadRequests(ip, this.counters.bad(ip, n).badRequests);
  }

  private judgeBadRequests(ip: string, badRequests: number): void {
    const s = this.settings;
    if (badRequests <= s.maxBadRequests) return;
    const current = this.box.lookup(ip);
    // Escalate a short request penalty to the longer bad-request one, never the reverse.
    if (current && current.reason !== 'requests') return;
    this.trip(ip, 'bad_requests', badRequests, s.badRequestPenaltySeconds);
  }

  // -- the sibling workers of this node ---------------------------------------------------

  /**
   * Shares counts with the other worker processes of this node, so that an address is
   * judged by everything it sent to the node, whichever worker each connection landed on:
   * each worker reports what it counted every SIBLING_REPORT_MS and adds what the others
   * report to its own counters. (Boxes travel through memcached, as between nodes.)
   */
  shareCountsWith(group: ProcessGroup): void {
    if (group.size <= 1 || this.unreported) return;
    this.unreported = new Map();
    group.onBroadcast((message) => {
      if (message.topic !== 'dos-counts') return;
      for (const [ip, requests, badRequests] of message.counts) {
        this.countFromSibling(ip, requests, badRequests);
      }
    });
    this.reportTimer = setInterval(() => {
      const counts = this.unreported;
      if (!counts || counts.size === 0) return;
      this.unreported = new Map();
      group.broadcast({
        topic: 'dos-counts',
        counts: [...counts].map(([ip, [requests, bad]]) => [ip, requests, bad]),
      });
    }, SIBLING_REPORT_MS);
    this.reportTimer.unref();
  }

  private note(ip: string, requests: number, badRequests: number): void {
    const counts = this.unreported?.get(ip);
    if (counts) {
      counts[0] += requests;
      counts[1] += badRequests;
    } else {
      this.unreported?.set(ip, [requests, badRequests]);
    }
  }

  /** What a sibling counted, judged by the same thresholds as what was counted here. */
  countFromSibling(ip: string, requests: number, badRequests: number): void {
    // Counted even for allow-listed addresses, as here, so top talkers cover the node.
    const allowed = this.allowList.has(ip);
    if (requests > 0) {
      const counts = this.counters.hit(ip, requests);
      if (!allowed) this.judgeRequests(ip, counts.requests);
    }
    if (badRequests > 0) {
      const counts = this.counters.bad(ip, badRequests);
      if (!allowed) this.judgeBadRequests(ip, counts.badRequests);
    }
  }

  /** See the header comment: this request's 4xx answer is not the client's fault. */
  excuse(c: Context): void {
    this.excused.add(c.req.raw);
  }

  private trip(ip: string, reason: BoxReason, count: number, seconds: number): BoxEntry | null {
    const s = this.settings;
    const now = this.now();
    if (s.observeOnly) {
      const key = `${reason} ${ip}`;
      const last = this.wouldBoxLogged.get(key);
      if (last === undefined || now - last >= s.windowSeconds * 1000) {
        this.wouldBoxLogged.set(key, now);
        this.deps.metrics.dosWouldBox.inc({ reason });
        this.deps.log.warn(
          { event: 'ip.would_box', ip: ipForLog(ip), reason, count, seconds },
          'observe-only: this address would have been boxed',
        );
      }
      return null;
    }
    const entry: BoxEntry = { ip, reason, boxedAt: now, until: now + seconds * 1000 };
    if (!this.box.put(entry)) return this.box.lookup(ip);
    this.afterBox(entry, count);
    return entry;
  }

  private afterBox(entry: BoxEntry, count: number | null): void {
    // The penalty pays for this window: once it is served the address starts from zero,
    // rather than being boxed again at once by counts a short penalty outlived.
    this.counters.reset(entry.ip);
    this.boxedHere.add(entry.ip);
    this.shared.publish(entry);
    this.publishSoon();
    this.deps.metrics.dosBoxed.inc({ reason: entry.reason });
    this.deps.metrics.penaltyBoxSize.set(this.box.list().length);
    this.deps.log.warn(
      {
        event: 'ip.boxed',
        ip: ipForLog(entry.ip),
        reason: entry.reason,
        seconds: Math.round((entry.until - entry.boxedAt) / 1000),
        ...(count === null ? {} : { count }),
      },
      'address put in the penalty box',
    );
  }

  // -- administration ---------------------------------------------------------------------

  /** Boxes an address by hand for `seconds`; returns the entry in force. */
  boxByHand(rawIp: string, seconds: number): BoxEntry {
    const ip = normalizeIp(rawIp);
    if (!ip) throw new TypeError(`not an IP address: ${JSON.stringify(rawIp)}`);
    if (this.allowList.has(ip)) throw new AllowListedError(ip);
    const now = this.now();
    const entry: BoxEntry = { ip, reason: 'manual', boxedAt: now, until: now + seconds * 1000 };
    // By hand replaces whatever was there, shorter or longer: the admin decides.
    this.box.remove(ip);
    this.box.put(entry);
    this.afterBox(entry, null);
    return entry;
  }

  /** Lets an address out on every node, and forgets its counts. False when it was not boxed. */
  unbox(rawIp: string): boolean {
    const ip = normalizeIp(rawIp) ?? rawIp;
    const entry = this.box.remove(ip);
    this.counters.reset(ip);
    this.boxedHere.delete(ip);
    this.shared.release(ip, this.now());
    this.publishSoon();
    this.deps.metrics.penaltyBoxSize.set(this.box.list().length);
    if (entry) {
      this.deps.log.info(
        { event: 'ip.released', ip: ipForLog(ip), reason: entry.reason, by: 'admin' },
        'address let out of the penalty box',
      );
    }
    return entry !== null;
  }

  boxed(): BoxedIp[] {
    const now = this.now();
    return this.box.list().map((e) => ({ ...e, secondsLeft: secondsLeft(e, now) }));
  }

  isBoxed(rawIp: string): BoxEntry | null {
    const ip = normalizeIp(rawIp);
    return ip ? this.box.lookup(ip) : null;
  }

  topTalkers(n: number): Talker[] {
    return this.counters.top(n);
  }

  isAllowListed(ip: string): boolean {
    return this.allowList.has(ip);
  }

  private applySettings(next: DosSettings): void {
    this.counters.reconfigure(next.windowSeconds, next.lruSize);
    this.allowList = AllowList.from(next.allowList);
    this.trustedProxies = AllowList.from(next.trustedProxies);
  }

  // -- background sync with memcached ----------------------------------------------------

  private publishSoon(): void {
    if (this.soon || this.stopped) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      void this.sync();
    }, PUBLISH_DELAY_MS);
    this.soon.unref();
  }

  /** One round with memcached; never rejects. Rounds do not overlap. */
  sync(): Promise<void> {
    if (this.syncing) {
      // A round is running: make sure another follows it, for what was queued meanwhile.
      if (this.shared.pendingCount > 0) void this.syncing.then(() => this.publishSoon());
      return this.syncing;
    }
    this.syncing = this.runSync().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async runSync(): Promise<void> {
    try {
      const view = await this.shared.sync(this.now());
      this.lastSyncOk = true;
      if (!view.indexPresent) {
        // memcached lost its data (restart, flush) or nothing was boxed yet: put back what
        // this node knows, so the box outlives a memcached restart.
        for (const entry of this.box.list()) this.shared.publish(entry);
      } else {
        this.mirror(view.boxes, view.released);
      }
      if (this.shared.pendingCount > 0) this.publishSoon();
    } catch (err) {
      this.lastSyncOk = !(err instanceof SharedStateUnavailable);
      this.deps.metrics.dosSyncFailures.inc();
      // memcached.lost/recovered are logged once by SharedState; this is only for debugging.
      this.deps.log.debug({ event: 'dos.sync_failed', err });
    } finally {
      this.expire();
    }
  }

  private mirror(boxes: BoxEntry[], released: Map<string, number>): void {
    const now = this.now();
    for (const [ip, at] of released) {
      const seen = this.seenReleases.get(ip);
      if ((seen !== undefined && seen >= at) || this.shared.hasPending(ip)) continue;
      this.seenReleases.set(ip, at);
      const entry = this.box.lookup(ip);
      if (entry && entry.boxedAt <= at) {
        this.box.remove(ip);
        this.boxedHere.delete(ip);
      }
      // Let out means a fresh start on every node, or the next request would box it again.
      this.counters.reset(ip);
    }
    for (const [ip, at] of this.seenReleases) {
      if (at < now - 2 * RELEASE_MEMORY_MS) this.seenReleases.delete(ip);
    }
    const inShared = new Set<string>();
    for (const entry of boxes) {
      inShared.add(entry.ip);
      const releasedAt = released.get(entry.ip);
      if (releasedAt !== undefined && releasedAt >= entry.boxedAt) continue;
      if (this.shared.hasPending(entry.ip)) continue;
      this.box.put(entry);
    }
    for (const entry of this.box.list()) {
      if (inShared.has(entry.ip) || this.shared.hasPending(entry.ip)) continue;
      const releasedAt = released.get(entry.ip);
      if (releasedAt !== undefined && releasedAt >= entry.boxedAt) {
        this.box.remove(entry.ip);
        this.boxedHere.delete(entry.ip);
        continue;
      }
      // Known here but not in memcached: boxed while memcached was down, or evicted.
      this.shared.publish(entry);
    }
  }

  private expire(): void {
    for (const entry of this.box.prune()) {
      if (!this.boxedHere.delete(entry.ip)) continue;
      this.deps.log.info(
        { event: 'ip.released', ip: ipForLog(entry.ip), reason: entry.reason, by: 'expiry' },
        'penalty served; address let out',
      );
    }
    this.deps.metrics.penaltyBoxSize.set(this.box.size);
    this.deps.metrics.dosTrackedIps.set(this.counters.size);
  }
}
