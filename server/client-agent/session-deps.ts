// What a WebSocket session needs from the rest of the server: the token lookup, its queue's
// consumer, Topic records, the registry of sessions on this process, admission control.
import type { Services } from '../services.js';
import { Admission } from './admission.js';
import { identifyClientToken } from './auth.js';
import type { SessionDeps } from './session.js';

export function sessionDeps(services: Services): SessionDeps {
  const { store, broker, sessions, log, metrics, config } = services;
  return {
    async authenticate(clientToken) {
      const identity = await identifyClientToken(store, clientToken);
      if (!identity || identity.account.disabledAt) return null;
      return { clientId: identity.client.clientId, userId: identity.account.userId };
    },
    openConsumer: (clientId, handlers) => broker.consume(clientId, handlers),
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
    admission: new Admission(config.delivery.helloConcurrency, config.delivery.helloQueueLimit),
    log,
    metrics,
    timing: config.delivery,
  };
}
