// Assembles the Hono app: middleware in the order a request meets it, then the routes of
// each role. Arrows point one way: routes → use cases → store / broker / shared state.
// A route parses its input (zod), calls one use case and turns the result into an answer;
// the use cases (client-agent/use-cases/, post-office/accept-push.ts, the admin page's
// AccountAdmin on top of the same use cases) own the store and broker work and its undo.
// The one other reader of the store on the way in is authentication (client-agent/auth.ts).
// The two hot paths are not here: POST /push/{token} and the WebSocket upgrade of
// GET /v1/connect are taken by plain node:http handlers in front (server.ts).
import { Hono, type MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { ServerInfo } from '../shared/protocol.js';
import { accountRoutes } from './client-agent/account-routes.js';
import { clientRoutes } from './client-agent/client-routes.js';
import { oidcRoutes } from './client-agent/oidc-routes.js';
import { subscriptionRoutes } from './client-agent/subscription-routes.js';
import type { AppEnv } from './http/app-env.js';
import { errorResponse, HttpError } from './http/errors.js';
import { type HealthProbes, heartbeat } from './observability/heartbeat.js';
import { scrapeNode } from './observability/metrics.js';
import { answerScrape } from './observability/metrics-access.js';
import type { Services } from './services.js';

export interface AppOptions {
  probes: HealthProbes;
  /** Runs before any route (the DoS defense); may answer on its own (429). */
  guard?: MiddlewareHandler<AppEnv>;
  /** Extra routes mounted by other roles (pairing relay, admin). */
  extraRoutes?: Array<{ path: string; routes: Hono<AppEnv> }>;
}

export function createApp(services: Services, options: AppOptions): Hono<AppEnv> {
  const { log, metrics } = services;
  const app = new Hono<AppEnv>();

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const route = c.get('routeName') ?? (c.res.status === 404 ? 'unmatched' : routePath(c));
    metrics.httpRequests.inc({ route, method: c.req.method, status: String(c.res.status) });
    metrics.httpDuration.observe(
      { route, method: c.req.method },
      (performance.now() - started) / 1000,
    );
  });
  if (options.guard) app.use('*', options.guard);

  app.get('/__heartbeat__', async (c) => {
    const { status, body } = await heartbeat(options.probes);
    return c.json(body, status);
  });
  // With METRICS_PORT set, /metrics lives on its own listener only (metrics-access.ts).
  if (!services.config.metrics.listener) {
    app.get('/metrics', async (c) => {
      const answer = await answerScrape(
        services.config,
        metrics,
        () => scrapeNode(services),
        c.req.header('authorization'),
      );
      if (answer.status !== 200) {
        return c.json({ error: answer.error, message: answer.message }, answer.status, {
          'WWW-Authenticate': 'Bearer realm="metrics"',
        });
      }
      c.header('Content-Type', answer.contentType);
      return c.body(answer.body);
    });
  }

  // What a client may offer before anyone signs in (docs/protocol.md §9).
  app.get('/v1/info', (c) =>
    c.json({
      oidcProviders: services.idTokens.issuers.map(({ issuer, clientId, name }) => ({
        issuer,
        clientId,
        name,
      })),
    } satisfies ServerInfo),
  );
  app.route('/v1/accounts', accountRoutes(services));
  app.route('/v1/oidc', oidcRoutes(services));
  app.route('/v1/clients', clientRoutes(services));
  app.route('/v1/subscriptions', subscriptionRoutes(services));
  // Reached only without an upgrade: the socket server takes every WebSocket handshake.
  app.get('/v1/connect', (c) =>
    c.json({ error: 'upgrade_required', message: 'GET /v1/connect is a WebSocket endpoint' }, 426),
  );
  for (const { path, routes } of options.extraRoutes ?? []) app.route(path, routes);

  app.notFound((c) =>
    c.json({ error: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` }, 404),
  );
  app.onError((err, c) => {
    if (err instanceof HttpError) return errorResponse(c, err);
    log.error({ event: 'http.internal_error', route: routePath(c), err });
    return c.json(
      { error: 'internal_error', message: 'the server failed to handle this request' },
      500,
    );
  });

  return app;
}
