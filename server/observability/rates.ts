// Per-minute figures for the admin page (pushes accepted, rejected by reason, delivered,
// acked, expired), computed from this node's Prometheus counters: a small in-memory ring
// of samples, so nothing is added to the hot path.
import type { Metrics } from './metrics.js';

export type Totals = Record<string, number>;

export interface RateSnapshot {
  /** Increase of each total over (about) the last 60 s. */
  lastMinute: Totals;
  /** Seconds the `lastMinute` figures actually cover (less than 60 just after start). */
  lastMinuteSeconds: number;
  /** Increase per whole minute, oldest first: at most `keepMinutes` entries. */
  minutes: Array<{ end: string; values: Totals }>;
}

interface Sample {
  at: number;
  totals: Totals;
}

/** The push counters as flat totals: `accepted`, `rejected:<reason>`, `delivered`, … */
export async function readPushTotals(metrics: Metrics): Promise<Totals> {
  const totals: Totals = { accepted: 0, delivered: 0, redelivered: 0, acked: 0, expired: 0 };
  for (const v of (await metrics.pushesAccepted.get()).values) totals.accepted! += v.value;
  for (const v of (await metrics.pushesRejected.get()).values) {
    const key = `rejected:${String(v.labels.reason ?? 'unknown')}`;
    totals[key] = (totals[key] ?? 0) + v.value;
  }
  for (const v of (await metrics.deliveries.get()).values) {
    if (String(v.labels.redelivered) === 'true') totals.redelivered! += v.value;
    else totals.delivered! += v.value;
  }
  for (const v of (await metrics.acks.get()).values) totals.acked! += v.value;
  for (const v of (await metrics.expired.get()).values) totals.expired! += v.value;
  return totals;
}

/** The node's totals: the sum of every worker's (one entry per worker process). */
export function sumTotals(perWorker: readonly unknown[]): Totals {
  const sum: Totals = { accepted: 0, delivered: 0, redelivered: 0, acked: 0, expired: 0 };
  for (const totals of perWorker) {
    if (typeof totals !== 'object' || totals === null) continue;
    for (const [key, value] of Object.entries(totals)) {
      if (typeof value === 'number') sum[key] = (sum[key] ?? 0) + value;
    }
  }
  return sum;
}

function increase(from: Totals, to: Totals): Totals {
  const out: Totals = {};
  for (const [key, value] of Object.entries(to)) out[key] = Math.max(0, value - (from[key] ?? 0));
  return out;
}

export class MinuteRates {
  private samples: Sample[] = [];
  private minuteMarks: Sample[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly read: () => Promise<Totals>,
    private readonly options: { sampleMs?: number; keepMinutes?: number; now?: () => number } = {},
  ) {}

  private get now(): number {
    return (this.options.now ?? Date.now)();
  }

  async start(): Promise<void> {
    await this.sample();
    this.timer = setInterval(() => void this.sample(), this.options.sampleMs ?? 5000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async sample(): Promise<void> {
    const sample: Sample = { at: this.now, totals: await this.read() };
    this.samples.push(sample);
    // Fine samples are only needed for the last minute.
    while (this.samples.length > 2 && this.samples[1]!.at <= sample.at - 60_000) {
      this.samples.shift();
    }
    const lastMark = this.minuteMarks[this.minuteMarks.length - 1];
    if (!lastMark || sample.at - lastMark.at >= 60_000) {
      this.minuteMarks.push(sample);
      const keep = (this.options.keepMinutes ?? 30) + 1;
      if (this.minuteMarks.length > keep)
        this.minuteMarks.splice(0, this.minuteMarks.length - keep);
    }
  }

  snapshot(): RateSnapshot {
    const latest = this.samples[this.samples.length - 1];
    const first = this.samples[0];
    const minutes: RateSnapshot['minutes'] = [];
    for (let i = 1; i < this.minuteMarks.length; i++) {
      const from = this.minuteMarks[i - 1]!;
      const to = this.minuteMarks[i]!;
      minutes.push({
        end: new Date(to.at).toISOString(),
        values: increase(from.totals, to.totals),
      });
    }
    if (!latest || !first) return { lastMinute: {}, lastMinuteSeconds: 0, minutes };
    return {
      lastMinute: increase(first.totals, latest.totals),
      lastMinuteSeconds: Math.round((latest.at - first.at) / 1000),
      minutes,
    };
  }
}
