// Names of everything this server declares in RabbitMQ, in one place.

/**
 * Direct exchange every push is published to, with the SHA-256 of the endpoint token as
 * routing key (never the token: security/endpoint-tokens.ts).
 */
export const INCOMING_EXCHANGE = 'push.incoming';

/** Fanout exchange of one user: bound from INCOMING_EXCHANGE once per subscription (its token's hash). */
export function userExchange(userId: string): string {
  return `push.user.${userId}`;
}

/** Durable queue of one client (device), bound to its user's exchange. */
export function clientQueue(clientId: string): string {
  return `push.client.${clientId}`;
}

/**
 * Where client queues send what they drop (their dead-letter exchange): the oldest message
 * pushed out by a full queue (`maxlen`) and messages whose TTL ran out (`expired`). Bound to
 * DROPPED_QUEUE, which every node reads to count and log the drops (dropped-messages.ts).
 */
export const DROPPED_EXCHANGE = 'push.dropped';
export const DROPPED_QUEUE = 'push.dropped';

/** The client id in a client queue's name; null for any other queue. */
export function clientIdOfQueue(queue: string): string | null {
  return queue.startsWith('push.client.') ? queue.slice('push.client.'.length) : null;
}
