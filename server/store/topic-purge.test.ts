import { describe, expect, it } from 'vitest';
import { MAX_TTL_SECONDS } from '../../shared/protocol.js';
import { topicCutoff } from './topic-purge.js';

describe('topicCutoff', () => {
  it('keeps every record a still-deliverable message could need: 30 days and a margin', () => {
    const now = Date.parse('2026-11-27T12:00:00.000Z');
    const cutoff = Date.parse(topicCutoff(now));
    expect(now - cutoff).toBeGreaterThan(MAX_TTL_SECONDS * 1000);
    expect(now - cutoff).toBeLessThanOrEqual(MAX_TTL_SECONDS * 1000 + 2 * 60 * 60 * 1000);
  });
});
