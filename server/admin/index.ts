// Builds /admin for one node: the control bus that closes sockets on every node, the
// per-minute figures, the audit log and the routes. Mounted even without ADMIN_TOKEN, so
// that /admin can say how to turn it on.
import type { Hono } from 'hono';
import type { AppEnv } from '../http/app-env.js';
import type { HealthProbes } from '../observability/heartbeat.js';
import { MinuteRates, readPushTotals } from '../observability/rates.js';
import type { Services } from '../services.js';
import { AccountAdmin } from './accounts.js';
import { AuditLog } from './audit.js';
import { ControlBus } from './control-bus.js';
import { LiveFigures } from './figures.js';
import { adminRoutes } from './routes.js';

export interface Admin {
  routes: Hono<AppEnv>;
  close(): Promise<void>;
}

export async function startAdmin(services: Services, probes: HealthProbes): Promise<Admin> {
  const { config, log, sessions } = services;
  // Every node listens, whether or not its own admin page is enabled: the page of another
  // node may disable an account whose sockets are here.
  const control = await ControlBus.connect(config.amqpUrl, log, (message) => {
    if (message.type === 'close-clients') {
      for (const clientId of message.clientIds) sessions.revoke(clientId);
    }
  });
  const rates = new MinuteRates(() => readPushTotals(services.metrics));
  await rates.start();
  const routes = adminRoutes({
    services,
    figures: new LiveFigures(services, probes, rates),
    accounts: new AccountAdmin(services, control),
    audit: new AuditLog(services),
  });
  return {
    routes,
    async close() {
      rates.stop();
      await control.close();
    },
  };
}
