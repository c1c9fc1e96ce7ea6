import { describe, expect, it } from 'vitest';
import { PromptDismissals, QUIET_MS } from './prompt-dismissals.js';
import { SerialQueue } from './serial.js';
import { MemoryArea } from './storage-area.js';

const A = 'https://a.example';
const B = 'https://b.example';

function setup() {
  let now = Date.parse('2026-01-01T10:00:00Z');
  const dismissals = new PromptDismissals(new MemoryArea(), new SerialQueue(), () => now);
  return { dismissals, advance: (ms: number) => (now += ms), at: () => now };
}

describe('PromptDismissals', () => {
  it('lets a site ask again after one or two dismissals', async () => {
    const { dismissals } = setup();
    await dismissals.dismissed(A);
    await dismissals.dismissed(A);
    expect(await dismissals.quietUntil(A)).toBeNull();
  });

  it('keeps a site quiet for a day after the third dismissal in a row', async () => {
    const { dismissals, advance, at } = setup();
    for (let i = 0; i < 3; i++) await dismissals.dismissed(A);
    expect(await dismissals.quietUntil(A)).toEqual(new Date(at() + QUIET_MS));
    expect(await dismissals.quietUntil(B)).toBeNull();
    expect([...(await dismissals.quietSites()).keys()]).toEqual([A]);
    advance(QUIET_MS - 1);
    expect(await dismissals.quietUntil(A)).not.toBeNull();
    advance(1);
    expect(await dismissals.quietUntil(A)).toBeNull();
    // After the quiet day the count starts from zero.
    await dismissals.dismissed(A);
    expect(await dismissals.quietUntil(A)).toBeNull();
  });

  it('starts the count again when the user answers', async () => {
    const { dismissals } = setup();
    await dismissals.dismissed(A);
    await dismissals.dismissed(A);
    await dismissals.reset(A);
    await dismissals.dismissed(A);
    expect(await dismissals.quietUntil(A)).toBeNull();
    for (let i = 0; i < 3; i++) await dismissals.dismissed(A);
    await dismissals.reset(A);
    expect(await dismissals.quietUntil(A)).toBeNull();
  });

  it('counts dismissals that happen at the same time', async () => {
    const { dismissals } = setup();
    await Promise.all([dismissals.dismissed(A), dismissals.dismissed(A), dismissals.dismissed(A)]);
    expect(await dismissals.quietUntil(A)).not.toBeNull();
  });

  it('ignores junk in storage', async () => {
    const area = new MemoryArea();
    await area.set('promptDismissals', {
      'not an origin': { count: 3, quietUntil: Date.now() + 1000 },
      [A]: { count: 'three', quietUntil: null },
      [B]: { count: 3, quietUntil: Date.now() + 60_000 },
    });
    const dismissals = new PromptDismissals(area, new SerialQueue());
    expect([...(await dismissals.quietSites()).keys()]).toEqual([B]);
  });
});
