// Starts one server process from a Config: opens the store, RabbitMQ and memcached, builds
// the app and listens. Used by main.ts (once per worker) and by the integration tests,
// which start real servers on free ports.
//
// The HTTP front is plain node:http: POST /push/{token} goes to the POST Office's own
// handler (the hot path), WebSocket upgrades to the Client Agent's socket server, and every
// other request to the Hono app.
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import { CloseCode } from '../shared/protocol.js';
import { startAdmin } from './admin/index.js';
import { createApp } from './app.js';
import { Broker } from './broker/broker.js';
import { ControlBus } from './broker/control-bus.js';
import { DroppedMessages } from './broker/dropped-messages.js';
import { IdTokenVerifier } from './client-agent/oidc/id-tokens.js';
import { Nonces } from './client-agent/oidc/nonces.js';
import { sessionDeps } from './client-agent/session-deps.js';
import { SessionRegistry } from './client-agent/session-registry.js';
import { SocketServer } from './client-agent/socket-server.js';
import { hashLegacyEndpointTokens } from './client-agent/use-cases/endpoint-token-migration.js';
import { type Config, describeConfig } from './config.js';
import { dosGuard, startDosDefense } from './dos/index.js';
import type { AppEnv } from './http/app-env.js';
import { createListener, type Listener, TlsFileError } from './http/listener.js';
import { recordingProbes } from './observability/heartbeat.js';
import { createLogger, type Logger } from './observability/logger.js';
import { Metrics, scrapeNode } from './observability/metrics.js';
import { listenForMetrics } from './observability/metrics-access.js';
import { pairingRoutes } from './pairing/relay-routes.js';
import { EndpointCache } from './post-office/endpoint-cache.js';
import { isPushRequest, pushHandler } from './post-office/push-handler.js';
import { VapidVerifier } from './post-office/vapid.js';
import { loadEndpointKey } from './security/endpoint-key.js';
import { EndpointTokens } from './security/endpoint-tokens.js';
import { PasswordHasher } from './security/password-hasher.js';
import type { Services } from './services.js';
import { SharedState } from './shared-state/memcached.js';
import { StartupError } from './startup-error.js';
import { openStore } from './store/open-store.js';
import { startTopicPurge } from './store/topic-purge.js';
import { type ProcessGroup, soloGroup } from './workers/group.js';

export interface RunningServer {
  /** http(s)://host:port the server listens on (the real port when PORT was 0). */
  url: string;
  port: number;
  services: Services;
  cache: SharedState;
  app: Hono<AppEnv>;
  /** http://host:port of the listener of its own for /metrics (METRICS_PORT), or null. */
  metricsUrl: string | null;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** The node's other worker processes; alone by default. */
  group?: ProcessGroup;
}

/** How long a stopping server lets requests in flight finish before cutting them off. */
const DRAIN_MS = 10_000;
/** Longest wait for RabbitMQ to confirm the heartbeat's probe publish (within its 2 s). */
const PROBE_TIMEOUT_MS = 1500;
/** Connections the kernel may hold waiting for accept(): room for a herd of reconnects. */
const LISTEN_BACKLOG = 8192;

function reason(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}

export async function startServer(
  config: Config,
  options: StartOptions = {},
): Promise<RunningServer> {
  const log = options.logger ?? createLogger(config.logLevel);
  const group = options.group ?? soloGroup();
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

  const broker = await Broker.connect(config.amqpUrls, log, {
    prefetch: config.delivery.prefetch,
    queueType: config.queueType,
    timeoutMs: config.brokerTimeoutMs,
    queueBounds: {
      maxMessages: config.limits.queueMaxMessages,
      maxBytes: config.limits.queueMaxBytes,
    },
    onPublishConfirm: (s) => metrics.publishConfirmSeconds.observe(s),
    onBlockedChange: (blocked) => metrics.noteBrokerBlocked(blocked),
  }).catch((err: unknown) =>
    fail(new StartupError('AMQP_URL', `RabbitMQ is not reachable (${reason(err)})`)),
  );
  cleanup.push(() => broker.close());

  // Endpoint tokens: the key they derive from, and older subscriptions' tokens hashed
  // (and re-bound in RabbitMQ) before anything can push to them.
  const endpointKey = await loadEndpointKey(config, store).catch((err: unknown) =>
    fail(new StartupError('ENDPOINT_KEY', `cannot read the endpoint key (${reason(err)})`)),
  );
  if (endpointKey.source === 'database') {
    log.warn(
      { event: 'endpoint_key.in_database' },
      'ENDPOINT_KEY is not set: the endpoint key is kept in the database, so a copy of the database could give endpoint tokens back; set ENDPOINT_KEY (docs/operations.md)',
    );
  }
  const endpointTokens = new EndpointTokens(endpointKey.key);
  await hashLegacyEndpointTokens({ store, broker, endpointTokens, log }).catch((err: unknown) =>
    fail(
      new StartupError(
        'AMQP_URL',
        `cannot move older subscriptions to hashed endpoint tokens (${reason(err)}); starting again resumes`,
      ),
    ),
  );

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

  // One process per node is enough to purge; every node may, the purge is idempotent.
  if (group.workerId === 1) cleanup.push(startTopicPurge(store, log));
  const sessions = new SessionRegistry();
  // DoS defense: live settings from the database, penalty box synced via memcached.
  const dos = await startDosDefense({ config, store, cache, log, metrics }).catch(fail);
  cleanup.push(() => dos.stop());
  dos.shareCountsWith(group);
  const endpoints = new EndpointCache(store, { maxEntries: 100_000, ttlMs: 60_000 });
  // Every process listens, whether or not its own admin page is enabled: the page of another
  // node may disable an account whose sockets or cached endpoints are here.
  const control = await ControlBus.connect(config.amqpUrls, log, (message) => {
    if (message.type === 'close-clients') {
      for (const clientId of message.clientIds) sessions.revoke(clientId);
    } else {
      endpoints.forget(message);
    }
  }).catch(fail);
  cleanup.push(() => control.close());
  const dropped = await DroppedMessages.watch(config.amqpUrls, log, metrics).catch(fail);
  cleanup.push(() => dropped.close());
  endpoints.announceThrough((change) => control.publish({ type: 'endpoints-changed', ...change }));
  const services: Services = {
    config,
    store,
    broker,
    log,
    metrics,
    sessions,
    cache,
    dos,
    control,
    endpoints,
    group,
    endpointTokens,
    idTokens: new IdTokenVerifier(config.oidc.issuers, {
      jwksCooldownMs: config.oidc.jwksCooldownMs,
    }),
    nonces: new Nonces(cache),
    passwords: new PasswordHasher({
      cost: { N: 2 ** config.passwords.scryptLogN, r: 8, p: 1 },
      signUpConcurrency: config.passwords.signUpConcurrency,
      signInConcurrency: config.passwords.signInConcurrency,
      queueLimit: config.passwords.queueLimit,
    }),
  };
  const probes = recordingProbes(
    {
      // Down also while an alarm blocks publishing: pushes cannot be stored then.
      rabbitmq: async () => broker.isUp && (await broker.publisher.probe(PROBE_TIMEOUT_MS)),
      memcached: () => cache.ping(),
      database: async () => {
        await store.ping();
        return true;
      },
    },
    (service, up) => metrics.serviceUp.set({ service }, up ? 1 : 0),
  );
  metrics.watchHealth({ rabbitmq: () => broker.isUp, memcached: () => cache.healthy });
  metrics.watchConsumers(() => broker.consumers.stats());
  const admin = await startAdmin(services, probes).catch(fail);
  cleanup.push(() => admin.close());

  const app = createApp(services, {
    probes,
    guard: dosGuard(dos, metrics),
    extraRoutes: [
      { path: '/v1/pairings', routes: pairingRoutes(services) },
      { path: '/admin', routes: admin.routes },
    ],
  });
  const honoListener = getRequestListener(app.fetch, { hostname: config.host });
  const push = pushHandler({
    endpoints,
    vapid: new VapidVerifier(config.vapidAudiences),
    store,
    publisher: broker.publisher,
    dos,
    publicUrl: config.publicUrl,
    log,
    metrics,
  });
  const sockets = new SocketServer(sessionDeps(services), {
    maxConnections: config.delivery.maxConnections,
    dos,
    log,
    metrics,
  });
  group.answer('metrics', () => metrics.registry.getMetricsAsJSON());
  group.answer('node-figures', () => ({
    connectedClients: sessions.size,
    sockets: sockets.connections,
  }));

  // Plain HTTP, or HTTPS + HTTP/2 with the TLS files (docs/protocol.md §1).
  let listener: Listener;
  try {
    listener = createListener(
      (req, res) => {
        if (isPushRequest(req.method, req.url)) push(req, res);
        else void honoListener(req, res);
      },
      {
        tls: config.tls,
        onReload: (err) => {
          if (err) log.error({ event: 'tls.reload_failed', err }, 'kept the old certificate');
          else log.info({ event: 'tls.reloaded' }, 'certificate files read again');
        },
      },
    );
  } catch (err) {
    return fail(err instanceof TlsFileError ? new StartupError(err.variable, err.problem) : err);
  }
  listener.server.on('upgrade', sockets.handleUpgrade);
  const { port } = await listener
    .listen(config.port, config.host, LISTEN_BACKLOG)
    .catch(async (err: unknown) => {
      await listener.close(0); // lets go of its SIGHUP handler
      return fail(
        new StartupError('PORT', `cannot listen on ${config.host}:${config.port} (${reason(err)})`),
      );
    });

  const metricsListener = await listenForMetrics(config, metrics, () => scrapeNode(services)).catch(
    async (err: unknown) => {
      await listener.close(0);
      return fail(
        new StartupError(
          'METRICS_PORT',
          `cannot listen on ${config.metrics.listener?.host}:${config.metrics.listener?.port} (${reason(err)})`,
        ),
      );
    },
  );
  if (metricsListener) cleanup.push(() => metricsListener.close());

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
      // Devices first, so they reconnect (to another node) while this one drains.
      sessions.closeAll(CloseCode.GoingAway, 'server shutting down');
      sockets.closeAll(CloseCode.GoingAway, 'server shutting down');
      // Stop accepting; requests in flight finish (a 201 for a stored push must reach its
      // sender), and after DRAIN_MS nothing waits longer.
      await listener.close(DRAIN_MS);
      sockets.terminateAll();
      await undoAll();
      log.info({ event: 'server.stopped' }, 'push server stopped');
    })();
    return closing;
  };

  return { url, port, services, cache, app, metricsUrl: metricsListener?.url ?? null, close };
}
