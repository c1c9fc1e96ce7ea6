// The idle measurement of e2e/idle.test.ts as a process of its own: e2e/idle.global-setup.ts
// starts it when a test run begins, so its five idle minutes pass while the other tests run,
// and the test reads what it wrote. `npx tsx e2e/support/idle-run.ts <result.json>`.
import { writeFileSync } from 'node:fs';
import { startTestServer } from '../../server/testing/test-server.js';
import { launchDetachableChromium } from './chromium.js';
import { ensureExtensionBuilt } from './extension-build.js';
import { launchDetachableFirefox } from './firefox.js';
import { type IdleResult, idleThenPush, prepareDevice } from './idle-device.js';
import { startTestSite } from './test-site.js';
import type { DetachableBrowser } from './ui-page.js';

export const IDLE_MS = 5 * 60_000;
export const PUSHES = 5;

/** What the process writes: the results, or why it could not measure. */
export type IdleRunOutcome = { ok: true; results: IdleResult[] } | { ok: false; error: string };

async function measure(): Promise<IdleResult[]> {
  const buildDir = ensureExtensionBuilt();
  const server = await startTestServer();
  const site = await startTestSite();
  const browsers: DetachableBrowser[] = [];
  try {
    browsers.push(
      ...(await Promise.all([
        launchDetachableFirefox(buildDir),
        launchDetachableChromium(buildDir),
      ])),
    );
    const stamp = Date.now().toString(36);
    const devices = await Promise.all(
      browsers.map((b) => prepareDevice(b, server, site, `idle${b.name}${stamp}`)),
    );
    return await Promise.all(
      devices.map((d) =>
        idleThenPush(d, server, site, { idleMs: IDLE_MS, pushes: PUSHES, gapMs: 2_000 }),
      ),
    );
  } finally {
    await Promise.all(browsers.map((b) => b.close().catch(() => undefined)));
    await site.close();
    await server.close();
  }
}

const out = process.argv[2];
if (out) {
  measure()
    .then((results): IdleRunOutcome => ({ ok: true, results }))
    .catch(
      (err: unknown): IdleRunOutcome => ({
        ok: false,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      }),
    )
    .then((outcome) => {
      writeFileSync(out, JSON.stringify(outcome));
      process.exit(0);
    });
}
