// Builds /admin for one node: the per-minute figures, the audit log and the routes. Mounted
// even without ADMIN_TOKEN, so that /admin can say how to turn it on.
import type { Hono } from 'hono';
import type { AppEnv } from '../http/app-env.js';
import type { HealthProbes } from '../observability/heartbeat.js';
import { MinuteRates, readPushTotals, sumTotals } from '../observability/rates.js';
import type { Services } from '../services.js';
import { AccountAdmin } from './accounts.js';
import { AuditLog } from './audit.js';
import { LiveFigures } from './figures.js';
import { adminRoutes } from './routes.js';

export interface Admin {
  routes: Hono<AppEnv>;
  close(): Promise<void>;
}

export async function startAdmin(services: Services, probes: HealthProbes): Promise<Admin> {
  const { group, metrics } = services;
  // The figures are the node's: every worker process's counters, summed.
  group.answer('push-totals', () => readPushTotals(metrics));
  const rates = new MinuteRates(async () => sumTotals(await group.gather('push-totals')));
  await rates.start();
  const routes = adminRoutes({
    services,
    figures: new LiveFigures(services, probes, rates),
    accounts: new AccountAdmin(services, services.control),
    audit: new AuditLog(services),
  });
  return {
    routes,
    async close() {
      rates.stop();
    },
  };
}
