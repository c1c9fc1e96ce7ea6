// Builds one node's DoS defense: live settings (environment + admin overrides from the
// database), counters, and the penalty box synced through memcached.

import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { SharedState } from '../shared-state/memcached.js';
import type { Store } from '../store/store.js';
import { DosDefense } from './defense.js';
import { LiveSettings } from './settings.js';

export { DosDefense } from './defense.js';
export { dosGuard } from './guard.js';

export async function startDosDefense(deps: {
  config: Config;
  store: Store;
  cache: SharedState;
  log: Logger;
  metrics: Metrics;
}): Promise<DosDefense> {
  const { config, store, cache, log, metrics } = deps;
  const settings = new LiveSettings(config.dos, store, log);
  // Settings are polled at the same pace as the penalty box: "within seconds" everywhere.
  await settings.start(config.dosSyncIntervalMs);
  const dos = new DosDefense({
    settings,
    cache,
    log,
    metrics,
    syncIntervalMs: config.dosSyncIntervalMs,
  });
  await dos.start();
  return dos;
}
