// Test doubles for the DoS defense's unit tests: an in-memory memcached with expiry and
// `add` semantics (and an off switch), a settings store, and a log capture.
import { Writable } from 'node:stream';
import type { DosSettings } from '../config.js';
import type { SharedStateStore } from '../dos/shared-box.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { SharedStateUnavailable } from '../shared-state/memcached.js';
import type { SettingRow } from '../store/store.js';

export class FakeSharedState implements SharedStateStore {
  private readonly items = new Map<string, { value: string; expires: number }>();
  down = false;

  constructor(private readonly now: () => number = Date.now) {}

  private check(): void {
    if (this.down) throw new SharedStateUnavailable('fake memcached is down');
  }

  private read(key: string): string | undefined {
    const item = this.items.get(key);
    if (!item) return undefined;
    if (item.expires <= this.now()) {
      this.items.delete(key);
      return undefined;
    }
    return item.value;
  }

  // Each call yields once, like a network round trip, so concurrent callers interleave.
  async get(key: string): Promise<string | undefined> {
    await Promise.resolve();
    this.check();
    return this.read(key);
  }

  async getMulti(keys: string[]): Promise<Record<string, string>> {
    await Promise.resolve();
    this.check();
    const out: Record<string, string> = {};
    for (const key of keys) {
      const value = this.read(key);
      if (value !== undefined) out[key] = value;
    }
    return out;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await Promise.resolve();
    this.check();
    this.items.set(key, { value, expires: this.now() + ttlSeconds * 1000 });
  }

  async add(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    await Promise.resolve();
    this.check();
    if (this.read(key) !== undefined) return false;
    this.items.set(key, { value, expires: this.now() + ttlSeconds * 1000 });
    return true;
  }

  async del(key: string): Promise<void> {
    await Promise.resolve();
    this.check();
    this.items.delete(key);
  }

  /** memcached restarted: everything is gone. */
  flush(): void {
    this.items.clear();
  }

  keys(): string[] {
    return [...this.items.keys()].filter((k) => this.read(k) !== undefined);
  }
}

export class FakeSettingsStore {
  readonly rows = new Map<string, SettingRow>();
  failing = false;

  async listSettings(): Promise<SettingRow[]> {
    if (this.failing) throw new Error('database down');
    return [...this.rows.values()];
  }

  async putSettings(values: Record<string, string>): Promise<void> {
    for (const [key, value] of Object.entries(values)) {
      this.rows.set(key, { key, value, updatedAt: new Date().toISOString() });
    }
  }

  async deleteSettings(keys: string[]): Promise<void> {
    for (const key of keys) this.rows.delete(key);
  }
}

export function captureLogs(): { log: Logger; events: Array<Record<string, unknown>> } {
  const events: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line) events.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { log: createLogger('debug', sink), events };
}

export const DEFAULT_TEST_SETTINGS: DosSettings = {
  windowSeconds: 60,
  maxRequests: 5,
  maxBadRequests: 3,
  requestPenaltySeconds: 600,
  badRequestPenaltySeconds: 3600,
  lruSize: 1000,
  allowList: [],
  observeOnly: false,
  trustProxyHops: 0,
  trustedProxies: [],
};
