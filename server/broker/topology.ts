// The declarations behind each part of the topology (one exchange per user, one durable
// queue per client, one binding per subscription token), on a channel the caller owns:
// the Broker runs them on short-lived channels, the benchmark's seeder on a few long ones.
import type { Channel, Options } from 'amqplib';
import type { QueueType } from '../config.js';
import { clientQueue, INCOMING_EXCHANGE, userExchange } from './names.js';
import { clientQueueArguments, type QueueBounds } from './queue-bounds.js';

/** How client queues are made: their type and how much each may hold. */
export interface ClientQueueKind {
  type: QueueType;
  bounds: QueueBounds;
}

/**
 * Arguments of a client queue. Classic queues live on one node, quorum queues on three
 * (a Raft group, surviving the loss of one). Either way the queue (its leader) is placed on
 * the node with the fewest rather than the node the request came through, so a cluster
 * shares the queues, and their disk and memory, evenly. (RabbitMQ 3.10 names the setting
 * differently for each type and refuses the other one's name.)
 */
export function clientQueueOptions({ type, bounds }: ClientQueueKind): Options.AssertQueue {
  return {
    durable: true,
    arguments: {
      ...(type === 'quorum'
        ? { 'x-queue-type': 'quorum', 'x-queue-leader-locator': 'balanced' }
        : { 'x-queue-type': 'classic', 'x-queue-master-locator': 'min-masters' }),
      ...clientQueueArguments(bounds),
    },
  };
}

export async function declareClientQueue(
  ch: Channel,
  userId: string,
  clientId: string,
  kind: ClientQueueKind,
): Promise<void> {
  await ch.assertExchange(userExchange(userId), 'fanout', { durable: true });
  await ch.assertQueue(clientQueue(clientId), clientQueueOptions(kind));
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
