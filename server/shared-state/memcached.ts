// memcached, shared by every server node (penalty box, pairing channels). The npm client's
// own timeouts are unreliable (a `get` to a dead server did not call back within 65 s),
// so every call is also bounded here, and health is tracked from call outcomes.
import Memcached from 'memcached';
import type { Logger } from '../observability/logger.js';

export class SharedStateUnavailable extends Error {
  constructor(reason: string, cause?: unknown) {
    super(`memcached unavailable: ${reason}`, { cause });
    this.name = 'SharedStateUnavailable';
  }
}

export class SharedState {
  private client: Memcached;
  private up = true;

  constructor(
    private readonly servers: string[],
    private readonly timeoutMs: number,
    private readonly log: Logger,
    private readonly onHealthChange?: (up: boolean) => void,
  ) {
    this.client = this.connect();
  }

  private connect(): Memcached {
    const options: Memcached.options & { failuresTimeout: number } = {
      timeout: this.timeoutMs,
      retries: 0,
      // After a failure the server is skipped (calls fail at once) for `retry` ms, then
      // tried again. `failures` is set out of reach on purpose: once exhausted, the client
      // switches to a "reconnect" mode that spawns the system `ping` binary (an ICMP ping
      // says nothing about memcached, and crashes the process where `ping` is missing).
      retry: 1000,
      failures: 1_000_000,
      failuresTimeout: 60_000,
      reconnect: 1000,
      remove: false,
      idle: 30_000,
      poolSize: 10,
    };
    const client = new Memcached(this.servers, options);
    // The client reports failures through events as well as callbacks; the callbacks are
    // what we act on, the events must not be left unhandled.
    client.on('issue', () => {});
    client.on('failure', () => {});
    client.on('reconnecting', () => {});
    return client;
  }

  get healthy(): boolean {
    return this.up;
  }

  private mark(up: boolean, err?: SharedStateUnavailable): void {
    if (up === this.up) return;
    this.up = up;
    if (up) this.log.info({ event: 'memcached.recovered' }, 'memcached is back');
    else
      this.log.error(
        { event: 'memcached.lost', err },
        'memcached is unreachable; serving without it',
      );
    this.onHealthChange?.(up);
  }

  private call<T>(name: string, run: (done: (err: unknown, value: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        const timedOut = new SharedStateUnavailable(`${name} timed out after ${this.timeoutMs} ms`);
        this.mark(false, timedOut);
        reject(timedOut);
      }, this.timeoutMs + 50);
      run((err, value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          // The client library does not always call back with an Error.
          const failed =
            err instanceof Error
              ? new SharedStateUnavailable(`${name} failed`, err)
              : new SharedStateUnavailable(`${name}: ${String(err)}`);
          this.mark(false, failed);
          reject(failed);
        } else {
          this.mark(true);
          resolve(value);
        }
      });
    });
  }

  get(key: string): Promise<string | undefined> {
    return this.call<string | undefined>('get', (done) =>
      this.client.get(key, (err: unknown, data: unknown) =>
        done(err, typeof data === 'string' ? data : data === undefined ? undefined : String(data)),
      ),
    );
  }

  getMulti(keys: string[]): Promise<Record<string, string>> {
    if (keys.length === 0) return Promise.resolve({});
    return this.call<Record<string, string>>('getMulti', (done) =>
      this.client.getMulti(keys, (err: unknown, data: Record<string, unknown>) => {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(data ?? {})) out[k] = String(v);
        done(err, out);
      }),
    );
  }

  set(key: string, value: string, ttlSeconds: number): Promise<void> {
    return this.call<void>('set', (done) =>
      this.client.set(key, value, ttlSeconds, (err: unknown) => done(err, undefined)),
    );
  }

  /** Stores only when the key is absent; false when it already exists. */
  add(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    return this.call<boolean>('add', (done) =>
      this.client.add(key, value, ttlSeconds, (err: unknown) => {
        if (err && /NOT_STORED|not stored/i.test(String(err))) done(null, false);
        else done(err, true);
      }),
    );
  }

  /** Adds `by` to a counter; null when the key does not exist (never stored, or expired). */
  incr(key: string, by: number): Promise<number | null> {
    return this.call<number | null>('incr', (done) =>
      this.client.incr(key, by, (err: unknown, result: boolean | number) =>
        done(err, typeof result === 'number' ? result : null),
      ),
    );
  }

  del(key: string): Promise<void> {
    return this.call<void>('del', (done) =>
      this.client.del(key, (err: unknown) => done(err, undefined)),
    );
  }

  /** Deletes a key; true only for the one caller that found it there (a one-time token). */
  take(key: string): Promise<boolean> {
    return this.call<boolean>('take', (done) =>
      this.client.del(key, (err: unknown, deleted: unknown) => done(err, deleted === true)),
    );
  }

  /** A cheap round trip, used by the heartbeat and background syncs to notice recovery. */
  async ping(): Promise<boolean> {
    try {
      await this.get('push:ping');
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.client.end();
  }
}
