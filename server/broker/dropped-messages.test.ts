import { describe, expect, it } from 'vitest';
import { Metrics } from '../observability/metrics.js';
import { captureLogs } from '../testing/dos-fakes.js';
import { DroppedMessages, dropOf } from './dropped-messages.js';

const deadLettered = (reason: string, queue: string) => ({
  properties: { headers: { 'x-first-death-reason': reason, 'x-first-death-queue': queue } },
});

describe('dropped messages', () => {
  it('tell an overflow from an expiry, and from which device', () => {
    expect(dropOf(deadLettered('maxlen', 'push.client.abc'))).toEqual({
      reason: 'overflow',
      clientId: 'abc',
    });
    expect(dropOf(deadLettered('expired', 'push.client.abc')).reason).toBe('expired');
    expect(dropOf(deadLettered('rejected', 'push.client.abc')).reason).toBeNull();
    expect(dropOf({ properties: { headers: {} } })).toEqual({
      reason: null,
      clientId: null,
    });
  });

  it('are counted by reason, and overflows logged once per device with how many', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const { log, events } = captureLogs();
    // Not connected: note() and flush() are what the consumer calls.
    const watcher = new DroppedMessages(log, metrics);
    for (let i = 0; i < 3; i++) watcher.note(deadLettered('maxlen', 'push.client.abc'));
    watcher.note(deadLettered('maxlen', 'push.client.def'));
    watcher.note(deadLettered('expired', 'push.client.abc'));
    const counted = (await metrics.queueDropped.get()).values.map((v) => [
      v.labels.reason,
      v.value,
    ]);
    expect(counted).toEqual(
      expect.arrayContaining([
        ['overflow', 4],
        ['expired', 1],
      ]),
    );
    watcher.flush();
    const lines = events.filter((e) => e.event === 'queue.overflow');
    expect(lines.map((e) => e.dropped).sort()).toEqual([1, 3]);
    // The ids are hashed in the log, as every id is.
    expect(JSON.stringify(lines)).not.toContain('abc');
    watcher.flush();
    expect(events.filter((e) => e.event === 'queue.overflow')).toHaveLength(2);
  });
});
