// Starts one server node from a Config: opens the store, RabbitMQ and memcached, builds
// the app and listens. Used by main.ts and by the integration tests, which start real
// servers on free ports.
import { getRequestListener } from '@hono/node-server';
import { createNodeWebSocket } from '@hono/node-ws';
import type { Hono } from 'hono';
import { CloseCode } from '../shared/protocol.js';
import { startAdmin } from './admin/index.js';
import { createApp } from './app.js';
import { Broker } from './broker/broker.js';
import { SessionRegistry } from './client-agent/session-registry.js';
import { type Config, describeConfig } from './config.js';
import { dosGuard, startDosDefense } from './dos/index.js';
import type { AppEnv } from './http/app-env.js';
import { createListener, type Listener, TlsFileError } from './http/listener.js';
import { recordingProbes } from './observability/heartbeat.js';
import { createLogger, type Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { pairingRoutes } from './pairing/relay-routes.js';
import type { Services } from './services.js';
import { SharedState } from './shared-state/memcached.js';
import { StartupError } from './startup-error.js';
import { openStore } from './store/open-store.js';
import { startTopicPurge } from './store/topic-purge.js';

export interface RunningServer {
  /** http(s)://host:port the server listens on (the real port when PORT was 0). */
  url: string;
  port: number;
  services: Services;
  cache: SharedState;
  app: Hono<AppEnv>;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
}

function reason(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}

export async function startServer(
  config: Config,
  options: StartOptions = {},
): Promise<RunningServer> {
  const log = options.logger ?? createLogger(config.logLevel);
  const metrics = new Metrics();

  const { store } = await openStore(config.database).catch((err: unknown) => {
    throw new StartupError('DATABASE_URL', `cannot open the database (${reason(err)})`);
  });
  // What started so far, stopped in reverse order by a failed start and by close().
  const cleanup: Array<() => Promise<void> | void> = [() => store.close()];
  const undoAll = async () => {
    // Every part gets its chance to stop, and a failed start reports its cause, not these.
    for (const undo of [...cleanup].reverse()) await Promise.resolve(undo()).catch(() => {});
  };
  const fail = async (err: unknown): Promise<never> => {
    await undoAll();
    throw err;
  };

  const broker = await Broker.connect(config.amqpUrl, log, (s) =>
    metrics.publishConfirmSeconds.observe(s),
  ).catch((err: unknown) =>
    fail(new StartupError('AMQP_URL', `RabbitMQ is not reachable (${reason(err)})`)),
  );
  cleanup.push(() => broker.close());

  const cache = new SharedState(config.memcachedServers, config.memcachedTimeoutMs, log, (up) =>
    metrics.serviceUp.set({ service: 'memcached' }, up ? 1 : 0),
  );
  cleanup.push(() => cache.close());
  if (!(await cache.ping())) {
    await fail(
      new StartupError(
        'MEMCACHED',
        `memcached is not reachable at ${config.memcachedServers.join(', ')}`,
      ),
    );
  }

  cleanup.push(startTopicPurge(store, log));
  const sessions = new SessionRegistry();
  // DoS defense: live settings from the database, penalty box synced via memcached.
  const dos = await startDosDefense({ config, store, cache, log, metrics }).catch(fail);
  cleanup.push(() => dos.stop());
  const services: Services = { config, store, broker, log, metrics, sessions, cache, dos };
  const probes = recordingProbes(
    {
      rabbitmq: async () => broker.isUp && broker.publisher.ready,
      memcached: () => cache.ping(),
      database: async () => {
        await store.ping();
        return true;
      },
    },
    (service, up) => metrics.serviceUp.set({ service }, up ? 1 : 0),
  );
  metrics.watchHealth({ rabbitmq: () => broker.isUp, memcached: () => cache.healthy });
  // /admin and the control bus every node listens on, admin enabled or not.
  const admin = await startAdmin(services, probes).catch(fail);
  cleanup.push(() => admin.close());

  // The app needs upgradeWebSocket and the WebSocket helper needs the app: build the
  // helper around a holder, then fill it in.
  const holder: { app: Hono<AppEnv> | null } = { app: null };
  const { injectWebSocket, upgradeWebSocket, wss } = createNodeWebSocket({
    // @hono/node-ws 1.3 runs the upgrade request through `app.request` (not `fetch`).
    app: {
      fetch: (req: Request) => holder.app!.fetch(req),
      request: (...args: Parameters<Hono<AppEnv>['request']>) => holder.app!.request(...args),
    } as unknown as Hono,
  });
  wss.options.maxPayload = 64 * 1024;
  const app = createApp(services, {
    upgradeWebSocket,
    probes,
    guard: dosGuard(dos, metrics),
    extraRoutes: [
      { path: '/v1/pairings', routes: pairingRoutes(services) },
      { path: '/admin', routes: admin.routes },
    ],
  });
  holder.app = app;

  // Plain HTTP, or HTTPS + HTTP/2 with the TLS files (docs/protocol.md §1).
  let listener: Listener;
  try {
    listener = createListener(getRequestListener(app.fetch, { hostname: config.host }), {
      tls: config.tls,
      onReload: (err) => {
        if (err)
          log.error({ event: 'tls.reload_failed', err: err.message }, 'kept the old certificate');
        else log.info({ event: 'tls.reloaded' }, 'certificate files read again');
      },
    });
  } catch (err) {
    return fail(err instanceof TlsFileError ? new StartupError(err.variable, err.problem) : err);
  }
  const { port } = await listener.listen(config.port, config.host).catch(async (err: unknown) => {
    await listener.close(); // lets go of its SIGHUP handler
    return fail(
      new StartupError('PORT', `cannot listen on ${config.host}:${config.port} (${reason(err)})`),
    );
  });
  injectWebSocket(listener.server);

  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `${listener.secure ? 'https' : 'http'}://${host}:${port}`;
  metrics.serviceUp.set({ service: 'memcached' }, 1);
  log.info(
    { event: 'server.started', url, config: describeConfig(config) },
    `push server listening on ${url}`,
  );

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      sessions.closeAll(CloseCode.GoingAway, 'server shutting down');
      await listener.close();
      for (const client of wss.clients) client.terminate();
      await undoAll();
      log.info({ event: 'server.stopped' }, 'push server stopped');
    })();
    return closing;
  };

  return { url, port, services, cache, app, close };
}
