import { describe, expect, it } from 'vitest';
import { formatIdleReport, type IdleMeasurement, summarizeIdle } from './idle-report.js';

const quiet: IdleMeasurement = {
  browser: 'firefox',
  idleMs: 5 * 60_000,
  connectsWhileIdle: 0,
  disconnectsWhileIdle: 0,
  latenciesMs: [40, 60, 80, 120],
  lost: 0,
  shownInPopup: 4,
};

describe('the idle-browser figures', () => {
  it('meet the goal with no reconnects and a p99 within a second', () => {
    const s = summarizeIdle(quiet);
    expect(s).toMatchObject({
      idleMinutes: 5,
      reconnects: 0,
      reconnectsPerHour: 0,
      pushes: 4,
      problems: [],
    });
    expect(s.latency).toMatchObject({ p50: 60, p99: 120, max: 120 });
    expect(formatIdleReport([s])).toMatch(/Goal met/);
  });

  it('turn reconnects into an hourly rate and name every miss', () => {
    const s = summarizeIdle({
      ...quiet,
      browser: 'chromium',
      connectsWhileIdle: 5,
      disconnectsWhileIdle: 5,
      latenciesMs: [200, 1500],
      lost: 1,
      shownInPopup: 2,
    });
    expect(s.reconnectsPerHour).toBe(60);
    expect(s.pushes).toBe(3);
    expect(s.problems).toEqual([
      '5 reconnects / 5 disconnects while idle (goal: 0)',
      '1 of 3 pushes not acked within 30 s',
      '2 of 3 shown in the popup',
      'p99 1500 ms (goal: ≤ 1000 ms)',
    ]);
    const table = formatIdleReport([summarizeIdle(quiet), s]);
    expect(table).toContain('| chromium | 5 min   | 5 (60.0/h)');
    expect(table).toContain('Goal missed:\n  chromium: 5 reconnects');
  });
});
