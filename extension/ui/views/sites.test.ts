import { describe, expect, it } from 'vitest';
import { quietNote } from './sites.js';

describe('quietNote', () => {
  const now = new Date('2026-03-04T10:00:00');

  it('says until when a dismissed site may not ask, with the date when it is not today', () => {
    expect(quietNote(new Date('2026-03-05T10:00:00').toISOString(), now)).toMatch(
      /^You dismissed its question three times: it may not ask again until .*5.*, .*10.*00/,
    );
    const today = quietNote(new Date('2026-03-04T18:30:00').toISOString(), now);
    expect(today).toMatch(/until [^,]*30[^,]*\.$/);
    expect(today).not.toMatch(/,/);
  });
});
