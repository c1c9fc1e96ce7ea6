import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';
import { MinuteRates, readPushTotals, type Totals } from './rates.js';

describe('readPushTotals', () => {
  it('flattens the push counters', async () => {
    const metrics = new Metrics({ processMetrics: false });
    metrics.pushesAccepted.inc({ urgency: 'normal' }, 3);
    metrics.pushesAccepted.inc({ urgency: 'high' });
    metrics.pushesRejected.inc({ reason: 'gone' }, 2);
    metrics.deliveries.inc({ redelivered: 'false' }, 4);
    metrics.deliveries.inc({ redelivered: 'true' });
    metrics.acks.inc(3);
    metrics.expired.inc();
    expect(await readPushTotals(metrics)).toEqual({
      accepted: 4,
      'rejected:gone': 2,
      delivered: 4,
      redelivered: 1,
      acked: 3,
      expired: 1,
    });
  });
});

describe('MinuteRates', () => {
  it('reports the increase over the last minute and per whole minute', async () => {
    let now = 0;
    let totals: Totals = { accepted: 0 };
    const rates = new MinuteRates(async () => totals, { now: () => now, keepMinutes: 2 });
    for (let step = 0; step <= 36; step++) {
      now = step * 5000; // every 5 s for 3 minutes
      totals = { accepted: step * 10 }; // 120 per minute
      await rates.sample();
    }
    const snapshot = rates.snapshot();
    expect(snapshot.lastMinute.accepted).toBe(120);
    expect(snapshot.lastMinuteSeconds).toBe(60);
    expect(snapshot.minutes.map((m) => m.values.accepted)).toEqual([120, 120]);
  });

  it('covers less than a minute just after start', async () => {
    let now = 0;
    let totals: Totals = { accepted: 5 };
    const rates = new MinuteRates(async () => totals, { now: () => now });
    await rates.sample();
    now = 10_000;
    totals = { accepted: 8, 'rejected:gone': 1 };
    await rates.sample();
    expect(rates.snapshot()).toMatchObject({
      lastMinute: { accepted: 3, 'rejected:gone': 1 },
      lastMinuteSeconds: 10,
      minutes: [],
    });
  });
});
