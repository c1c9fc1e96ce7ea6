// POST /push/{token}: the RFC 8030 endpoint any Web Push library sends to. Checks run in
// docs/protocol.md §4's order — endpoint (404/410), size (413), headers (400/415), VAPID
// (401/403) — and 201 is answered only once RabbitMQ confirmed the message to every
// client queue of the user. (The penalty box, 429, runs before this in the DoS middleware.)
import { Hono } from 'hono';
import { isUrgency, MAX_PUSH_BODY_BYTES } from '../../shared/protocol.js';
import type { PushMessage } from '../broker/message.js';
import { PublishFailed } from '../broker/publisher.js';
import type { AppEnv } from '../http/app-env.js';
import { readBodyLimited } from '../http/body.js';
import { HttpError, serviceUnavailable } from '../http/errors.js';
import { shortId } from '../observability/logger.js';
import { newId } from '../security/tokens.js';
import type { Services } from '../services.js';
import { parsePushHeaders } from './push-headers.js';
import { parseVapidHeader, VapidVerifier } from './vapid.js';

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** Compares the keys themselves, so an encoding variant of the same key (padding) still matches. */
function sameKey(a: string, b: string): boolean {
  return Buffer.from(a, 'base64url').equals(Buffer.from(b, 'base64url'));
}

export function pushRoutes({ config, store, broker, log, metrics }: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const vapid = new VapidVerifier(config.vapidAudiences);

  app.post('/:token', async (c) => {
    const token = c.req.param('token');
    try {
      const target = TOKEN_PATTERN.test(token) ? await store.findSubscriptionByToken(token) : null;
      if (!target) throw new HttpError(404, 'not_found', 'no such push endpoint');
      const { subscription } = target;
      if (subscription.deletedAt || !target.accountActive) {
        throw new HttpError(410, 'gone', 'this subscription has expired or was unsubscribed');
      }

      const body = await readBodyLimited(c, MAX_PUSH_BODY_BYTES);
      const headers = parsePushHeaders((name) => c.req.header(name), body.byteLength);

      const credentials = parseVapidHeader(
        c.req.header('authorization'),
        c.req.header('crypto-key'),
      );
      if (subscription.applicationServerKey && !credentials) {
        throw new HttpError(
          401,
          'invalid_vapid',
          'this subscription requires a VAPID Authorization header',
        );
      }
      if (credentials) {
        vapid.verify(credentials);
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
        body: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
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
        await store.setLatestTopicMessage(
          subscription.subscriptionId,
          message.topic,
          message.messageId,
        );
      }
      let outcome: Awaited<ReturnType<typeof broker.publisher.publish>>;
      try {
        outcome = await broker.publisher.publish(subscription.token, message);
      } catch (err) {
        if (err instanceof PublishFailed) {
          log.error({ event: 'push.publish_failed', err });
          throw serviceUnavailable('the message could not be stored; try again');
        }
        throw err;
      }
      if (outcome === 'unroutable') {
        throw new HttpError(410, 'no_devices', 'the user has no device left to deliver to');
      }

      metrics.pushesAccepted.inc({ urgency: message.urgency });
      // Guarded: the hashed ids cost a SHA-256 each, for nothing when info is off.
      if (log.isLevelEnabled('info')) {
        log.info(
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
      c.header('Location', `${config.publicUrl}/m/${message.messageId}`);
      c.header('TTL', String(message.ttl));
      return c.body(null, 201);
    } catch (err) {
      if (err instanceof HttpError) {
        metrics.pushesRejected.inc({ reason: err.code });
        // Size and urgency as the sender declared them (the body may not have been read).
        const declared = c.req.header('content-length');
        const urgency = c.req.header('urgency');
        log.info(
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
      throw err;
    }
  });

  return app;
}
