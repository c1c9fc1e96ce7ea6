// The POST Office's one use case: accept a push for an endpoint, or say why not. Checks run
// in the order docs/protocol.md §4 gives — endpoint (404/410), size (413), headers
// (400/415), VAPID (401/403) — and a push is accepted only once RabbitMQ confirmed it to
// every client queue of the user. (The penalty box, 429, answers before this.) Free of any
// HTTP framework, so the node:http fast path and any other transport share it.
import { isUrgency, MAX_PUSH_BODY_BYTES } from '../../shared/protocol.js';
import type { PushMessage } from '../broker/message.js';
import { type Publisher, PublishFailed } from '../broker/publisher.js';
import { HttpError, serviceUnavailable } from '../http/errors.js';
import type { Logger } from '../observability/logger.js';
import { shortId } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { newId } from '../security/tokens.js';
import type { Store } from '../store/store.js';
import type { EndpointCache } from './endpoint-cache.js';
import { parsePushHeaders } from './push-headers.js';
import { parseVapidHeader, type VapidVerifier } from './vapid.js';

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** One push as any transport hands it over. Header names are lower case. */
export interface PushRequest {
  token: string;
  header(name: string): string | undefined;
  /** Reads the body, throwing the 413 HttpError past `limit` bytes. */
  readBody(limit: number): Promise<Buffer>;
}

export interface AcceptedPush {
  messageId: string;
  /** The TTL applied (capped), echoed to the sender. */
  ttl: number;
}

export interface AcceptPushDeps {
  endpoints: EndpointCache;
  vapid: VapidVerifier;
  store: Pick<Store, 'setLatestTopicMessage' | 'listClients'>;
  publisher: Pick<Publisher, 'publish'>;
  log: Logger;
  metrics: Metrics;
}

/** Compares the keys themselves, so an encoding variant of the same key (padding) still matches. */
function sameKey(a: string, b: string): boolean {
  return Buffer.from(a, 'base64url').equals(Buffer.from(b, 'base64url'));
}

export async function acceptPush(
  deps: AcceptPushDeps,
  request: PushRequest,
): Promise<AcceptedPush> {
  try {
    return await accept(deps, request);
  } catch (err) {
    if (err instanceof HttpError) noteRejected(deps, request, err);
    throw err;
  }
}

async function accept(deps: AcceptPushDeps, request: PushRequest): Promise<AcceptedPush> {
  const { token } = request;
  let target = TOKEN_PATTERN.test(token) ? deps.endpoints.peek(token) : null;
  if (target === undefined) target = await deps.endpoints.find(token);
  if (!target) throw new HttpError(404, 'not_found', 'no such push endpoint');
  const { subscription } = target;
  if (subscription.deletedAt || !target.accountActive) {
    throw new HttpError(410, 'gone', 'this subscription has expired or was unsubscribed');
  }

  const body = await request.readBody(MAX_PUSH_BODY_BYTES);
  const headers = parsePushHeaders(request.header, body.byteLength);

  const credentials = parseVapidHeader(
    request.header('authorization'),
    request.header('crypto-key'),
  );
  if (subscription.applicationServerKey && !credentials) {
    throw new HttpError(
      401,
      'invalid_vapid',
      'this subscription requires a VAPID Authorization header',
    );
  }
  if (credentials) {
    deps.vapid.verify(credentials);
    if (
      subscription.applicationServerKey &&
      !sameKey(credentials.key, subscription.applicationServerKey)
    ) {
      throw new HttpError(
        403,
        'vapid_key_mismatch',
        "the VAPID key (k= or p256ecdsa=) is not this subscription's applicationServerKey",
      );
    }
  }

  const message: PushMessage = {
    messageId: newId(),
    subscriptionId: subscription.subscriptionId,
    body,
    encoding: headers.encoding,
    encryption: headers.encryption,
    cryptoKey: headers.cryptoKey,
    ttl: headers.ttl,
    urgency: headers.urgency,
    topic: headers.topic,
    receivedAt: new Date().toISOString(),
  };
  // Recorded before publishing: a delivery racing ahead of this write would otherwise
  // look superseded and be dropped.
  if (message.topic) {
    await deps.store.setLatestTopicMessage(
      subscription.subscriptionId,
      message.topic,
      message.messageId,
    );
  }
  let outcome: Awaited<ReturnType<Publisher['publish']>>;
  try {
    // Routed by the token's hash: the broker's bindings never hold a token (endpoint-tokens.ts).
    outcome = await deps.publisher.publish(subscription.tokenHash, message);
  } catch (err) {
    if (err instanceof PublishFailed) {
      deps.log.error({ event: 'push.publish_failed', err });
      throw serviceUnavailable('the message could not be stored; try again');
    }
    throw err;
  }
  if (outcome === 'unroutable') {
    // No queue took it. Either the user has no device left (410 tells the sender to drop the
    // subscription), or its devices' queues are unavailable for now: on a RabbitMQ node that
    // is down or still recovering them after a restart. Only the first is a 410.
    if ((await deps.store.listClients(subscription.userId)).length > 0) {
      deps.log.warn({ event: 'push.publish_failed', reason: 'queues_unavailable' });
      throw serviceUnavailable("the devices' queues are unavailable right now; try again");
    }
    throw new HttpError(410, 'no_devices', 'the user has no device left to deliver to');
  }

  deps.metrics.countAccepted(message.urgency);
  // Guarded: the hashed ids cost a SHA-256 each, for nothing when info is off.
  if (deps.log.isLevelEnabled('info')) {
    deps.log.info(
      {
        event: 'push.accepted',
        messageId: shortId(message.messageId),
        subscriptionId: shortId(subscription.subscriptionId),
        size: body.byteLength,
        ttl: message.ttl,
        urgency: message.urgency,
        topic: message.topic !== null,
      },
      'push accepted',
    );
  }
  return { messageId: message.messageId, ttl: message.ttl };
}

function noteRejected(deps: AcceptPushDeps, request: PushRequest, err: HttpError): void {
  deps.metrics.pushesRejected.inc({ reason: err.code });
  if (!deps.log.isLevelEnabled('info')) return;
  // Size and urgency as the sender declared them (the body may not have been read).
  const declared = request.header('content-length');
  const urgency = request.header('urgency');
  deps.log.info(
    {
      event: 'push.rejected',
      reason: err.code,
      status: err.status,
      size: declared && /^[0-9]{1,10}$/.test(declared) ? Number(declared) : null,
      urgency: urgency === undefined ? 'normal' : isUrgency(urgency) ? urgency : 'invalid',
    },
    'push rejected',
  );
}
