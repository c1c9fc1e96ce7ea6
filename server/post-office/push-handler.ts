// POST /push/{token} on plain node:http (and node:http2's compatibility API), in front of
// Hono. Every push went through Hono's fetch adapter — a web Request built from the Node
// request, a Response turned back into a Node response — which cost more than the push's
// own checks (docs/performance.md). Everything else still goes to Hono. What the Hono
// middleware did for every request is done here too: the DoS guard first (429), metrics
// by route and status, bad answers counted against the sender's address.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { DosDefense } from '../dos/defense.js';
import { readNodeBody } from '../http/body.js';
import { HttpError } from '../http/errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { type AcceptPushDeps, acceptPush } from './accept-push.js';

/** The route's name in metrics, as Hono would name it. */
export const PUSH_ROUTE = '/push/:token';
const PREFIX = '/push/';

type NodeRequest = IncomingMessage | Http2ServerRequest;
type NodeResponse = ServerResponse | Http2ServerResponse;

export interface PushHandlerDeps extends AcceptPushDeps {
  dos: DosDefense;
  publicUrl: string;
  log: Logger;
  metrics: Metrics;
}

/** True for the requests this handler answers; the rest belong to Hono. */
export function isPushRequest(method: string | undefined, url: string | undefined): boolean {
  return method === 'POST' && url !== undefined && url.startsWith(PREFIX);
}

/** The token of `/push/{token}` (a query string, if any, is not part of it). */
function tokenOf(url: string): string {
  const end = url.indexOf('?', PREFIX.length);
  return url.slice(PREFIX.length, end < 0 ? url.length : end);
}

export function pushHandler(deps: PushHandlerDeps): (req: NodeRequest, res: NodeResponse) => void {
  const { dos, metrics, log } = deps;
  const duration = metrics.httpDuration.labels({ route: PUSH_ROUTE, method: 'POST' });
  const location = `${deps.publicUrl}/m/`;

  const finish = (req: NodeRequest, ip: string, status: number, started: number) => {
    metrics.countRequest(PUSH_ROUTE, 'POST', status);
    duration.observe((performance.now() - started) / 1000);
    dos.afterResponse(ip, status, req);
  };

  const sendError = (res: NodeResponse, err: HttpError) => {
    if (res.headersSent || res.writableEnded) return;
    const body = JSON.stringify({ error: err.code, message: err.message });
    res.writeHead(err.status, {
      ...err.headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };

  return (req, res) => {
    const started = performance.now();
    const headers = req.headers;
    const forwarded = headers['x-forwarded-for'];
    const ip = dos.clientIp(
      req.socket?.remoteAddress,
      typeof forwarded === 'string' ? forwarded : undefined,
    );
    const admission = dos.admit(ip);
    if (admission.kind === 'reject') {
      metrics.penaltyBoxRejections.inc();
      metrics.pushesRejected.inc({ reason: 'penalty_box' });
      sendError(
        res,
        new HttpError(
          429,
          'too_many_requests',
          `this address is in the penalty box; retry in ${admission.retryAfter} s`,
          { 'retry-after': String(admission.retryAfter) },
        ),
      );
      finish(req, ip, 429, started);
      // The body is not wanted; reading it lets the connection serve the next request.
      req.resume();
      return;
    }
    acceptPush(deps, {
      token: tokenOf(req.url ?? ''),
      header: (name) => {
        const value = headers[name];
        return Array.isArray(value) ? value.join(', ') : value;
      },
      readBody: (limit) => readNodeBody(req, limit),
    }).then(
      ({ messageId, ttl }) => {
        res.writeHead(201, {
          location: location + messageId,
          ttl: String(ttl),
          'content-length': 0,
        });
        res.end();
        finish(req, ip, 201, started);
      },
      (err: unknown) => {
        const answer =
          err instanceof HttpError
            ? err
            : new HttpError(500, 'internal_error', 'the server failed to handle this request');
        if (!(err instanceof HttpError)) {
          log.error({ event: 'http.internal_error', route: PUSH_ROUTE, err });
        }
        sendError(res, answer);
        finish(req, ip, answer.status, started);
        // Whatever of the body is still unread is not wanted.
        if (!req.readableEnded) req.resume();
      },
    );
  };
}
