// The declarations behind each part of the topology (one exchange per user, one durable
// queue per client, one binding per subscription token), on a channel the caller owns:
// the Broker runs them on short-lived channels, the benchmark's seeder on a few long ones.
import type { Channel } from 'amqplib';
import { clientQueue, INCOMING_EXCHANGE, userExchange } from './names.js';

export async function declareClientQueue(
  ch: Channel,
  userId: string,
  clientId: string,
): Promise<void> {
  await ch.assertExchange(userExchange(userId), 'fanout', { durable: true });
  await ch.assertQueue(clientQueue(clientId), { durable: true });
  await ch.bindQueue(clientQueue(clientId), userExchange(userId), '');
}

export async function declareSubscription(
  ch: Channel,
  userId: string,
  token: string,
): Promise<void> {
  await ch.assertExchange(userExchange(userId), 'fanout', { durable: true });
  await ch.bindExchange(userExchange(userId), INCOMING_EXCHANGE, token);
}
