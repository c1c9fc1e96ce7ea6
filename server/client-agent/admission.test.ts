import { describe, expect, it } from 'vitest';
import { Admission } from './admission.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Admission', () => {
  it('lets `concurrency` through at once and the rest in order as turns are released', async () => {
    const admission = new Admission(2, 10);
    const order: number[] = [];
    const releases = new Map<number, () => void>();
    for (const n of [1, 2, 3, 4]) {
      void admission.acquire()!.then((release) => {
        order.push(n);
        releases.set(n, release);
      });
    }
    await tick();
    expect(order).toEqual([1, 2]);
    expect(admission.queued).toBe(2);
    releases.get(2)!();
    await tick();
    expect(order).toEqual([1, 2, 3]);
    releases.get(1)!();
    await tick();
    expect(order).toEqual([1, 2, 3, 4]);
    expect(admission.inProgress).toBe(2);
    releases.get(3)!();
    releases.get(4)!();
    expect(admission.inProgress).toBe(0);
  });

  it('refuses at once when the line is full, and counts a double release once', async () => {
    const admission = new Admission(1, 1);
    const first = await admission.acquire()!;
    const second = admission.acquire();
    expect(second).not.toBeNull();
    expect(admission.acquire()).toBeNull();
    first();
    first();
    const release = await second!;
    expect(admission.inProgress).toBe(1);
    release();
    expect(admission.inProgress).toBe(0);
    expect(admission.acquire()).not.toBeNull();
  });
});
