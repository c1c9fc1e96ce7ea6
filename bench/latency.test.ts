import { describe, expect, it } from 'vitest';
import { DeliveryMatcher, percentile, perSecond, summarize } from './latency.js';

describe('percentile (nearest rank)', () => {
  it('returns an observed sample', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(sorted, 50)).toBe(5);
    expect(percentile(sorted, 90)).toBe(9);
    expect(percentile(sorted, 99)).toBe(10);
    expect(percentile(sorted, 100)).toBe(10);
    expect(percentile(sorted, 0)).toBe(1);
  });

  it('p99 of 1000 samples is the 990th', () => {
    const sorted = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(percentile(sorted, 99)).toBe(990);
    expect(percentile(sorted, 50)).toBe(500);
  });

  it('handles a single sample and rejects bad input', () => {
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('sorts numerically, not as strings', () => {
    const s = summarize([10, 9, 100, 1, 2]);
    expect(s).toEqual({ count: 5, min: 1, mean: 24.4, p50: 9, p90: 100, p99: 100, max: 100 });
  });

  it('is null for no samples', () => {
    expect(summarize([])).toBeNull();
  });

  it('does not reorder the caller’s array', () => {
    const samples = [3, 1, 2];
    summarize(samples);
    expect(samples).toEqual([3, 1, 2]);
  });
});

describe('perSecond', () => {
  it('divides, and is 0 for an empty interval', () => {
    expect(perSecond(500, 2)).toBe(250);
    expect(perSecond(5, 0)).toBe(0);
  });
});

describe('DeliveryMatcher', () => {
  it('matches a delivery that follows its start', () => {
    const m = new DeliveryMatcher();
    m.started('a', 100, 1);
    m.delivered('a', 130);
    expect(m.latencies).toEqual([30]);
    expect(m.matched).toBe(1);
    expect(m.outstanding).toBe(0);
    expect(m.lastDeliveryAt).toBe(130);
  });

  it('matches a delivery that arrives before the start is known (201 after delivery)', () => {
    const m = new DeliveryMatcher();
    m.delivered('a', 120);
    expect(m.unknownDeliveries).toBe(1);
    m.started('a', 100, 1);
    expect(m.latencies).toEqual([20]);
    expect(m.unknownDeliveries).toBe(0);
    expect(m.outstanding).toBe(0);
  });

  it('waits for every expected delivery of a fanned-out message', () => {
    const m = new DeliveryMatcher();
    m.delivered('a', 110);
    m.started('a', 100, 2);
    expect(m.outstanding).toBe(1);
    m.delivered('a', 150);
    expect(m.latencies).toEqual([10, 50]);
    expect(m.matched).toBe(2);
    expect(m.outstanding).toBe(0);
  });

  it('counts more early deliveries than expected as extra', () => {
    const m = new DeliveryMatcher();
    m.delivered('a', 110);
    m.delivered('a', 111);
    m.started('a', 100, 1);
    expect(m.matched).toBe(1);
    expect(m.extra).toBe(1);
  });

  it('leaves deliveries of unknown messages unmatched', () => {
    const m = new DeliveryMatcher();
    m.started('a', 0, 1);
    m.delivered('b', 5);
    expect(m.matched).toBe(0);
    expect(m.unknownDeliveries).toBe(1);
    expect(m.outstanding).toBe(1);
  });
});
