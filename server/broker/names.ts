// Names of everything this server declares in RabbitMQ, in one place.

/** Direct exchange every push is published to, with the endpoint token as routing key. */
export const INCOMING_EXCHANGE = 'push.incoming';

/** Fanout exchange of one user: bound from INCOMING_EXCHANGE once per subscription token. */
export function userExchange(userId: string): string {
  return `push.user.${userId}`;
}

/** Durable queue of one client (device), bound to its user's exchange. */
export function clientQueue(clientId: string): string {
  return `push.client.${clientId}`;
}
