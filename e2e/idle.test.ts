// One connection that stays up: Firefox ESR and Chromium, each signed up and subscribed, are
// left alone for five minutes — no page of a site or of the add-on open, the automation
// disconnected — and the server must see no reconnection of either device; then pushes sent
// one after another must each reach the add-on and be shown. Both browsers idle at the same
// time, in a process started when the test run begins (idle.global-setup.ts), so the five
// minutes pass while the other tests run; this file, scheduled after them (vitest.config.ts),
// checks what was measured. `npm run bench` reports the same measurement (bench/idle-browsers.ts).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { IDLE_MS, type IdleRunOutcome, PUSHES } from './support/idle-run.js';
import { waitUntil } from './support/ui-page.js';

/** Setting up both browsers, five idle minutes, the pushes, and room for a loaded machine. */
const MEASURE_TIMEOUT_MS = IDLE_MS + 6 * 60_000;

describe('an idle browser', () => {
  it(
    'keeps its one connection for five idle minutes, then shows pushes at once (Firefox and Chromium)',
    async () => {
      const file = inject('idleRunResult');
      await waitUntil(() => existsSync(file), 'the idle measurement', MEASURE_TIMEOUT_MS);
      const outcome = JSON.parse(readFileSync(file, 'utf8')) as IdleRunOutcome;
      if (!outcome.ok) throw new Error(`the idle measurement failed:\n${outcome.error}`);
      const { results } = outcome;
      expect(results.map((r) => r.browser)).toEqual(['firefox', 'chromium']);
      for (const r of results) {
        const ms = r.latenciesMs.map((l) => Math.round(l)).join(', ');
        console.log(
          `[idle] ${r.browser}: ${r.connectsWhileIdle} reconnects and ${r.disconnectsWhileIdle} disconnects in ${r.idleMs / 60_000} idle minutes; push → ack ${ms} ms`,
        );
      }
      for (const r of results) {
        expect(r.idleMs).toBe(IDLE_MS);
        expect({ browser: r.browser, connects: r.connectsWhileIdle }).toEqual({
          browser: r.browser,
          connects: 0,
        });
        expect({ browser: r.browser, disconnects: r.disconnectsWhileIdle }).toEqual({
          browser: r.browser,
          disconnects: 0,
        });
        expect({ browser: r.browser, lost: r.lost, shown: r.shownInPopup }).toEqual({
          browser: r.browser,
          lost: 0,
          shown: PUSHES,
        });
        // The goal (p99 ≤ 1 s) is measured by `npm run bench` on a quiet machine; here other
        // e2e files run at the same time, so only "at once, not at the next wake-up" is held.
        for (const latency of r.latenciesMs) expect(latency).toBeLessThan(5_000);
      }
    },
    MEASURE_TIMEOUT_MS + 60_000,
  );
});
