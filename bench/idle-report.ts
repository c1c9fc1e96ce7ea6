// The idle-browser measurement of `npm run bench` (bench/idle-browsers.ts) in figures: for each
// browser, reconnects while idle — also per hour, the figure that says what a fleet of such
// devices costs the server in hellos — and the push → notification latency after the idle
// spell, against the goal (0 reconnects, p99 ≤ 1 s). Pure, so it is unit-tested on its own.
import { type LatencySummary, summarize } from './latency.js';

/** What e2e/support/idle-device.ts measured for one browser. */
export interface IdleMeasurement {
  browser: 'firefox' | 'chromium';
  idleMs: number;
  connectsWhileIdle: number;
  disconnectsWhileIdle: number;
  latenciesMs: number[];
  lost: number;
  shownInPopup: number;
}

export interface IdleBrowserSummary {
  browser: 'firefox' | 'chromium';
  idleMinutes: number;
  reconnects: number;
  reconnectsPerHour: number;
  disconnects: number;
  pushes: number;
  lost: number;
  shown: number;
  /** push POST → the device's ack, ms; null when nothing arrived. */
  latency: LatencySummary | null;
  /** Where the goal was missed, in words; empty when met. */
  problems: string[];
}

export const GOAL_P99_MS = 1000;

export function summarizeIdle(m: IdleMeasurement): IdleBrowserSummary {
  const hours = m.idleMs / 3_600_000;
  const latency = summarize(m.latenciesMs);
  const pushes = m.latenciesMs.length + m.lost;
  const problems: string[] = [];
  if (m.connectsWhileIdle > 0 || m.disconnectsWhileIdle > 0) {
    problems.push(
      `${m.connectsWhileIdle} reconnects / ${m.disconnectsWhileIdle} disconnects while idle (goal: 0)`,
    );
  }
  if (m.lost > 0) problems.push(`${m.lost} of ${pushes} pushes not acked within 30 s`);
  if (m.shownInPopup !== pushes) problems.push(`${m.shownInPopup} of ${pushes} shown in the popup`);
  if (latency && latency.p99 > GOAL_P99_MS) {
    problems.push(`p99 ${Math.round(latency.p99)} ms (goal: ≤ ${GOAL_P99_MS} ms)`);
  }
  return {
    browser: m.browser,
    idleMinutes: m.idleMs / 60_000,
    reconnects: m.connectsWhileIdle,
    reconnectsPerHour: hours > 0 ? m.connectsWhileIdle / hours : 0,
    disconnects: m.disconnectsWhileIdle,
    pushes,
    lost: m.lost,
    shown: m.shownInPopup,
    latency,
    problems,
  };
}

const ms = (n: number) => (n < 100 ? n.toFixed(1) : Math.round(n).toString());

/** A table, one row per browser, and the misses underneath. */
export function formatIdleReport(rows: readonly IdleBrowserSummary[]): string {
  const lines = [
    'Idle browsers (the add-on in Firefox ESR and Chromium, left alone, then pushed to)',
    '',
    '| browser  | idle    | reconnects (per hour) | pushes shown | push → notification p50 / p99 / max |',
    '| -------- | ------- | --------------------- | ------------ | ----------------------------------- |',
  ];
  for (const r of rows) {
    const latency = r.latency
      ? `${ms(r.latency.p50)} / ${ms(r.latency.p99)} / ${ms(r.latency.max)} ms`
      : '—';
    lines.push(
      `| ${r.browser.padEnd(8)} | ${`${r.idleMinutes} min`.padEnd(7)} | ${`${r.reconnects} (${r.reconnectsPerHour.toFixed(1)}/h)`.padEnd(21)} | ${`${r.shown} / ${r.pushes}`.padEnd(12)} | ${latency.padEnd(35)} |`,
    );
  }
  const misses = rows.flatMap((r) => r.problems.map((p) => `  ${r.browser}: ${p}`));
  lines.push(
    '',
    misses.length
      ? `Goal missed:\n${misses.join('\n')}`
      : `Goal met: 0 reconnects while idle, p99 ≤ ${GOAL_P99_MS} ms.`,
  );
  return lines.join('\n');
}
