import { describe, expect, it } from 'vitest';
import { SerialQueue } from './serial.js';

describe('SerialQueue', () => {
  it('runs read-modify-write tasks one after another', async () => {
    const queue = new SerialQueue();
    let value = 0;
    const increment = () =>
      queue.run(async () => {
        const read = value;
        await new Promise((r) => setTimeout(r, 1));
        value = read + 1;
      });
    await Promise.all([increment(), increment(), increment()]);
    expect(value).toBe(3);
  });

  it('keeps going after a task fails', async () => {
    const queue = new SerialQueue();
    await expect(queue.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(queue.run(async () => 'next')).resolves.toBe('next');
  });
});
