// This node's copy of the penalty box. The request path reads only this map, never
// memcached; the shared box (shared-box.ts) fills it in the background.

/** Why an address is boxed: too many requests, too many bad requests, or by an admin. */
export type BoxReason = 'requests' | 'bad_requests' | 'manual';

export interface BoxEntry {
  ip: string;
  reason: BoxReason;
  /** Epoch milliseconds. */
  boxedAt: number;
  /** Epoch milliseconds; the address is served again from then on. */
  until: number;
}

export class LocalPenaltyBox {
  private readonly entries = new Map<string, BoxEntry>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * The address's entry while it lasts. Expired entries stay in the map until `prune`
   * (which reports them, so their release can be logged once).
   */
  lookup(ip: string): BoxEntry | null {
    const entry = this.entries.get(ip);
    return entry && entry.until > this.now() ? entry : null;
  }

  /**
   * Boxes an address; an existing entry is kept when it lasts longer (a short request
   * penalty never shortens a long bad-request one). Returns whether anything changed.
   */
  put(entry: BoxEntry): boolean {
    const current = this.lookup(entry.ip);
    if (current && current.until >= entry.until) return false;
    this.entries.set(entry.ip, entry);
    return true;
  }

  remove(ip: string): BoxEntry | null {
    const entry = this.lookup(ip);
    this.entries.delete(ip);
    return entry;
  }

  /** Drops expired entries and returns them. */
  prune(): BoxEntry[] {
    const now = this.now();
    const expired: BoxEntry[] = [];
    for (const entry of this.entries.values()) {
      if (entry.until <= now) {
        expired.push(entry);
        this.entries.delete(entry.ip);
      }
    }
    return expired;
  }

  /** Every entry still in force, the longest-lasting first. */
  list(): BoxEntry[] {
    const now = this.now();
    return [...this.entries.values()]
      .filter((entry) => entry.until > now)
      .sort((a, b) => b.until - a.until);
  }

  /** Entries in the map, expired ones not yet pruned included. */
  get size(): number {
    return this.entries.size;
  }
}

/** Seconds until the address is served again, for Retry-After: at least 1. */
export function secondsLeft(entry: BoxEntry, now: number): number {
  return Math.max(1, Math.ceil((entry.until - now) / 1000));
}
