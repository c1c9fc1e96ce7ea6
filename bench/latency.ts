// Pure statistics for the benchmark: percentiles of latency samples, and the bookkeeping
// that pairs a message's start time with its deliveries. Nothing here does I/O, so it is
// unit-tested on its own (bench/latency.test.ts).

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * Nearest-rank percentile of an ascending array: the smallest sample with at least p% of
 * the samples at or below it. Nearest rank (rather than interpolation) always returns a
 * latency that was really observed, which is what a p99 in a report should be.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no samples');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Summary of latency samples (any unit); null when there are none. */
export function summarize(samples: readonly number[]): LatencySummary | null {
  if (samples.length === 0) return null;
  // A typed array sorts numerically without a comparator and much faster than number[].
  const sorted = Array.from(Float64Array.from(samples).sort());
  let sum = 0;
  for (const s of sorted) sum += s;
  return {
    count: sorted.length,
    min: sorted[0]!,
    mean: sum / sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1]!,
  };
}

/** Events per second; 0 for an empty or zero-length interval rather than Infinity/NaN. */
export function perSecond(count: number, seconds: number): number {
  return seconds > 0 ? count / seconds : 0;
}

/**
 * Pairs each message's start time with its deliveries, in either order. On the full path a
 * delivery can reach the WebSocket client before the POST's 201 (which carries the message
 * id) reaches the load generator, so a delivery of a not-yet-known id is parked until the
 * start is known. Each message is expected `expected` times (one per client queue).
 */
export class DeliveryMatcher {
  private readonly pending = new Map<string, { startedAt: number; left: number }>();
  /** Deliveries whose start is not known yet: id → arrival times. */
  private readonly early = new Map<string, number[]>();
  /** Latencies of every matched delivery, in the unit of the times given. */
  readonly latencies: number[] = [];
  /** Deliveries matched so far (one message to two clients counts twice). */
  matched = 0;
  /** Deliveries beyond the expected count of a message (redeliveries, duplicates). */
  extra = 0;
  /** Time of the latest matched delivery. */
  lastDeliveryAt = Number.NEGATIVE_INFINITY;

  started(id: string, startedAt: number, expected: number): void {
    const entry = { startedAt, left: expected };
    const arrived = this.early.get(id);
    if (arrived) {
      this.early.delete(id);
      for (const at of arrived) this.settle(id, entry, at);
    }
    if (entry.left > 0) this.pending.set(id, entry);
  }

  delivered(id: string, at: number): void {
    const entry = this.pending.get(id);
    if (entry) {
      this.settle(id, entry, at);
      return;
    }
    const list = this.early.get(id);
    if (list) list.push(at);
    else this.early.set(id, [at]);
  }

  private settle(id: string, entry: { startedAt: number; left: number }, at: number): void {
    if (entry.left <= 0) {
      this.extra += 1;
      return;
    }
    entry.left -= 1;
    this.matched += 1;
    this.latencies.push(at - entry.startedAt);
    if (at > this.lastDeliveryAt) this.lastDeliveryAt = at;
    // Kept while deliveries are still due; afterwards a further one is a duplicate, which
    // we only count if it arrives while the id is still known (see `unknownDeliveries`).
    if (entry.left === 0) this.pending.delete(id);
  }

  /** Deliveries whose message was never started here (or duplicates after completion). */
  get unknownDeliveries(): number {
    let n = 0;
    for (const list of this.early.values()) n += list.length;
    return n;
  }

  /** Messages started that still wait for at least one delivery. */
  get outstanding(): number {
    return this.pending.size;
  }
}
