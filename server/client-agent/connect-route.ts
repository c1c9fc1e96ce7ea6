// GET /v1/connect: wires a WebSocket to a `Session` and the session to the broker/store.
import type { UpgradeWebSocket, WSContext } from 'hono/ws';
import type { WebSocket } from 'ws';
import { CloseCode, type ServerFrame } from '../../shared/protocol.js';
import type { Services } from '../services.js';
import { identifyClientToken } from './auth.js';
import { Session, type SessionDeps, type SessionTransport } from './session.js';

/** Client frames are small JSON objects; anything larger is not from a real client. */
export const MAX_CLIENT_FRAME_BYTES = 16 * 1024;

export function sessionDeps(services: Services): SessionDeps {
  const { store, broker, sessions, log, metrics, config } = services;
  return {
    async authenticate(clientToken) {
      const identity = await identifyClientToken(store, clientToken);
      if (!identity || identity.account.disabledAt) return null;
      return { clientId: identity.client.clientId, userId: identity.account.userId };
    },
    openConsumer: (clientId, handlers) =>
      broker.consume(clientId, config.delivery.prefetch, handlers),
    async isNewestForTopic(subscriptionId, topic, messageId) {
      const newest = await store.getLatestTopicMessage(subscriptionId, topic);
      return newest === null || newest === messageId;
    },
    claim: (clientId, session) => sessions.claim(clientId, session),
    release: (clientId, session) => sessions.release(clientId, session),
    touch(clientId) {
      store.touchClient(clientId, new Date().toISOString()).catch((err: unknown) => {
        log.warn({ event: 'client.touch_failed', err });
      });
    },
    log,
    metrics,
    timing: config.delivery,
  };
}

function transportOf(ws: WSContext<WebSocket>): SessionTransport {
  return {
    send(frame: ServerFrame) {
      if (ws.readyState === 1) ws.send(JSON.stringify(frame));
    },
    close(code, reason) {
      ws.close(code, reason);
    },
  };
}

export function connectHandler(
  services: Services,
  upgradeWebSocket: UpgradeWebSocket<WebSocket, { onError: (err: unknown) => void }>,
) {
  const deps = sessionDeps(services);
  return upgradeWebSocket(() => {
    let session: Session | null = null;
    return {
      onOpen(_event, ws) {
        session = new Session(transportOf(ws), deps);
      },
      onMessage(event, ws) {
        const data = event.data;
        const text = typeof data === 'string' ? data : null;
        if (text === null || text.length > MAX_CLIENT_FRAME_BYTES) {
          session?.close(CloseCode.MessageTooBig, 'frames must be JSON text of at most 16 KiB');
          ws.close(CloseCode.MessageTooBig, 'frame too large or not text');
          return;
        }
        session?.onText(text);
      },
      onClose() {
        session?.onSocketClosed();
      },
      onError() {
        session?.onSocketClosed();
      },
    };
  });
}
