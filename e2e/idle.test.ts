// One connection that stays up: Firefox ESR and Chromium, each signed up and subscribed, are
// left alone for five minutes — no page of a site or of the add-on open, the automation
// disconnected — and the server must see no reconnection of either device; then pushes sent
// one after another must each reach the add-on and be shown. Both browsers idle at the same
// time, and this file is a vitest project of its own ("e2e-idle"), so its five minutes overlap
// the other e2e files instead of adding to them. `npm run bench` reports the same measurement
// (bench/idle-browsers.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../server/testing/test-server.js';
import { launchDetachableChromium } from './support/chromium.js';
import { ensureExtensionBuilt } from './support/extension-build.js';
import { launchDetachableFirefox } from './support/firefox.js';
import { idleThenPush, prepareDevice } from './support/idle-device.js';
import { startTestSite, type TestSite } from './support/test-site.js';
import type { DetachableBrowser } from './support/ui-page.js';

const IDLE_MS = 5 * 60_000;
const PUSHES = 5;

let server: TestServer;
let site: TestSite;
let browsers: DetachableBrowser[] = [];

beforeAll(async () => {
  const buildDir = ensureExtensionBuilt();
  server = await startTestServer();
  site = await startTestSite();
  browsers = await Promise.all([
    launchDetachableFirefox(buildDir),
    launchDetachableChromium(buildDir),
  ]);
});

afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()));
  await site?.close();
  await server?.close();
});

describe('an idle browser', () => {
  it(
    'keeps its one connection for five idle minutes, then shows pushes at once (Firefox and Chromium)',
    async () => {
      const stamp = Date.now().toString(36);
      const devices = await Promise.all(
        browsers.map((b) => prepareDevice(b, server, site, `idle${b.name}${stamp}`)),
      );
      const results = await Promise.all(
        devices.map((d) =>
          idleThenPush(d, server, site, { idleMs: IDLE_MS, pushes: PUSHES, gapMs: 2_000 }),
        ),
      );
      for (const r of results) {
        const ms = r.latenciesMs.map((l) => Math.round(l)).join(', ');
        console.log(
          `[idle] ${r.browser}: ${r.connectsWhileIdle} reconnects and ${r.disconnectsWhileIdle} disconnects in ${IDLE_MS / 60_000} idle minutes; push → ack ${ms} ms`,
        );
      }
      for (const r of results) {
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
    IDLE_MS + 5 * 60_000,
  );
});
