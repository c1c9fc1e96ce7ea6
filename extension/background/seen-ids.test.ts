import { describe, expect, it } from 'vitest';
import { SeenIds } from './seen-ids.js';
import { SerialQueue } from './serial.js';
import { MemoryArea } from './storage-area.js';

describe('SeenIds', () => {
  it('remembers handled ids across instances sharing storage (a restarted worker)', async () => {
    const area = new MemoryArea();
    await new SeenIds(area, new SerialQueue()).add('m1');
    const fresh = new SeenIds(area, new SerialQueue());
    expect(await fresh.has('m1')).toBe(true);
    expect(await fresh.has('m2')).toBe(false);
  });

  it('forgets the oldest ids beyond its limit', async () => {
    const seen = new SeenIds(new MemoryArea(), new SerialQueue(), 2);
    await seen.add('m1');
    await seen.add('m2');
    await seen.add('m3');
    expect([await seen.has('m1'), await seen.has('m2'), await seen.has('m3')]).toEqual([
      false,
      true,
      true,
    ]);
  });
});
