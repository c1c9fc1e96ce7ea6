// `npm run bench`, part (c): idle reconnects per hour and idle-then-push latency of the add-on
// in Firefox ESR and Chromium. Each browser signs up on a push server and subscribes a test
// site; then both are left alone at the same time — no page open, the automation
// disconnected — while the server's log counts each device's reconnections; then pushes are
// sent one by one and timed from the POST to the server's log of the device's ack (the add-on
// acks once the notification is shown). The measuring is the e2e test's
// (e2e/support/idle-device.ts); this adds longer runs, more pushes and the report.
//
// Knobs (environment), with their defaults:
//   BENCH_IDLE_MINUTES=5   how long the browsers sit idle (0 skips this part)
//   BENCH_IDLE_PUSHES=20   pushes per browser after the idle spell …
//   BENCH_IDLE_GAP_MS=3000 … this far apart
//   BENCH_AMQP_URL         as for the rest of the benchmark (scripts/bench.sh)
//
// `npx tsx bench/idle-browsers.ts` runs this part alone.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchDetachableChromium } from '../e2e/support/chromium.js';
import { ensureExtensionBuilt } from '../e2e/support/extension-build.js';
import { launchDetachableFirefox } from '../e2e/support/firefox.js';
import { idleThenPush, prepareDevice } from '../e2e/support/idle-device.js';
import { startTestSite } from '../e2e/support/test-site.js';
import type { DetachableBrowser } from '../e2e/support/ui-page.js';
import { startTestServer } from '../server/testing/test-server.js';
import { formatIdleReport, type IdleBrowserSummary, summarizeIdle } from './idle-report.js';

export interface IdleBrowsersOptions {
  idleMinutes: number;
  pushes: number;
  gapMs: number;
  amqpUrl?: string;
  log: (line: string) => void;
}

export interface IdleBrowsersReport {
  startedAt: string;
  loadAverageAtStart: number;
  settings: { idleMinutes: number; pushes: number; gapMs: number };
  browsers: IdleBrowserSummary[];
  /** Every push → ack latency, per browser, for a closer look. */
  latenciesMs: Record<string, number[]>;
}

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number ≥ 0`);
  return n;
}

/** The settings from the environment; null when BENCH_IDLE_MINUTES=0 turns this part off. */
export function idleBrowsersOptionsFromEnv(
  log: (line: string) => void,
): IdleBrowsersOptions | null {
  const idleMinutes = intFromEnv('BENCH_IDLE_MINUTES', 5);
  if (idleMinutes === 0) return null;
  return {
    idleMinutes,
    pushes: Math.max(1, intFromEnv('BENCH_IDLE_PUSHES', 20)),
    gapMs: intFromEnv('BENCH_IDLE_GAP_MS', 3_000),
    amqpUrl: process.env.BENCH_AMQP_URL || process.env.AMQP_URL || undefined,
    log,
  };
}

export async function runIdleBrowsers(options: IdleBrowsersOptions): Promise<IdleBrowsersReport> {
  for (const path of ['/usr/bin/chromium', '/usr/bin/firefox-esr']) {
    if (!existsSync(path)) {
      throw new Error(`${path} is missing: bash scripts/services.sh --browsers installs it`);
    }
  }
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = Number((loadavg()[0] ?? 0).toFixed(2));
  const buildDir = ensureExtensionBuilt();
  const server = await startTestServer(
    options.amqpUrl ? { env: { AMQP_URL: options.amqpUrl } } : {},
  );
  const site = await startTestSite();
  const browsers: DetachableBrowser[] = [];
  try {
    options.log('starting Firefox ESR and Chromium with the add-on');
    browsers.push(
      ...(await Promise.all([
        launchDetachableFirefox(buildDir),
        launchDetachableChromium(buildDir),
      ])),
    );
    const stamp = Date.now().toString(36);
    const devices = await Promise.all(
      browsers.map((b) => prepareDevice(b, server, site, `bench${b.name}${stamp}`)),
    );
    options.log(
      `both signed up and subscribed; idle for ${options.idleMinutes} min, then ${options.pushes} pushes each, ${options.gapMs} ms apart`,
    );
    const measured = await Promise.all(
      devices.map((d) =>
        idleThenPush(d, server, site, {
          idleMs: options.idleMinutes * 60_000,
          pushes: options.pushes,
          gapMs: options.gapMs,
        }),
      ),
    );
    return {
      startedAt,
      loadAverageAtStart,
      settings: { idleMinutes: options.idleMinutes, pushes: options.pushes, gapMs: options.gapMs },
      browsers: measured.map(summarizeIdle),
      latenciesMs: Object.fromEntries(measured.map((m) => [m.browser, m.latenciesMs])),
    };
  } finally {
    await Promise.all(browsers.map((b) => b.close().catch(() => undefined)));
    await site.close();
    await server.close();
  }
}

export function formatIdleBrowsers(report: IdleBrowsersReport): string {
  return `${formatIdleReport(report.browsers)}\n(1-minute load average at start: ${report.loadAverageAtStart})`;
}

const RESULTS = 'bench/results/idle-browsers.json';

/**
 * The entry for bench/run.ts: runs this part as the environment says, prints the table,
 * writes bench/results/idle-browsers.json. False when the goal was missed.
 */
export async function benchIdleBrowsers(log: (line: string) => void): Promise<boolean> {
  const options = idleBrowsersOptionsFromEnv(log);
  if (!options) {
    log('BENCH_IDLE_MINUTES=0: skipped');
    return true;
  }
  const report = await runIdleBrowsers(options);
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${formatIdleBrowsers(report)}\nJSON: ${RESULTS}\n`);
  return report.browsers.every((b) => b.problems.length === 0);
}

// `npx tsx bench/idle-browsers.ts`: this part alone.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  benchIdleBrowsers((line) => process.stderr.write(`[bench] (c) idle browsers: ${line}\n`))
    .then((ok) => {
      if (!ok) process.exitCode = 1;
    })
    .catch((err: unknown) => {
      process.stderr.write(
        `[bench] (c) idle browsers failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    });
}
