// The first check of every request (docs/protocol.md §4: the penalty box answers before anything
// else): resolves the caller's address, answers 429 when it is boxed, and counts the
// answer's status once the route is done.
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/app-env.js';
import type { Metrics } from '../observability/metrics.js';
import type { DosDefense } from './defense.js';

/** The peer address of the Node socket; undefined without one (app.request() in a test). */
function socketAddress(c: Context<AppEnv>): string | undefined {
  const incoming = c.env?.incoming;
  // Read straight from the socket: getConnInfo builds a SocketAddress object per request,
  // which showed up in the POST Office's CPU profile.
  return incoming && 'socket' in incoming ? incoming.socket.remoteAddress : undefined;
}

export function dosGuard(dos: DosDefense, metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const ip = dos.clientIp(socketAddress(c), c.req.header('x-forwarded-for'));
    c.set('clientIp', ip);
    const admission = dos.admit(ip);
    if (admission.kind === 'reject') {
      metrics.penaltyBoxRejections.inc();
      if (c.req.path.startsWith('/push/')) metrics.pushesRejected.inc({ reason: 'penalty_box' });
      return c.json(
        {
          error: 'too_many_requests',
          message: `this address is in the penalty box; retry in ${admission.retryAfter} s`,
        },
        429,
        { 'Retry-After': String(admission.retryAfter) },
      );
    }
    await next();
    dos.afterResponse(ip, c.res.status, c.req.raw);
  };
}
