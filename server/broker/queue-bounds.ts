// How much one device's queue may hold (docs/operations.md, Bounded device queues). Every
// push is copied into every queue of the user and may wait there up to 30 days, so without a
// bound a few devices that never connect would let one account fill RabbitMQ's disk until its
// alarm stops pushes for everyone.
//
// What overflow does: the oldest waiting message is dropped (`drop-head`), never the new one.
// A 201 promises "stored until delivered, expired or displaced", and a device that comes back
// after a long time wants the newest messages. The publisher is never refused, so one full
// queue cannot fail pushes to the user's other devices. Dropped messages go to the dead-letter
// exchange, where every node counts and logs them (dropped-messages.ts).
//
// New queues get the bound as queue arguments. An existing queue's arguments cannot change,
// so for queues made before (or to lower the bound of all queues later) an operator policy
// applies it: `npm run queue-bounds` (server/tools/queue-bounds.ts). Where both apply,
// RabbitMQ enforces the lower of the two.
import { DROPPED_EXCHANGE } from './names.js';

export interface QueueBounds {
  /** Messages a client queue may hold. */
  maxMessages: number;
  /** Bytes of message bodies a client queue may hold. */
  maxBytes: number;
}

/** 1,000 messages or 4 MiB: ~2 weeks of a busy site's pushes for a device that is away. */
export const DEFAULT_QUEUE_BOUNDS: QueueBounds = { maxMessages: 1000, maxBytes: 4 * 1024 * 1024 };

/** The arguments a client queue is declared with. */
export function clientQueueArguments(bounds: QueueBounds): Record<string, string | number> {
  return {
    'x-max-length': bounds.maxMessages,
    'x-max-length-bytes': bounds.maxBytes,
    'x-overflow': 'drop-head',
    'x-dead-letter-exchange': DROPPED_EXCHANGE,
  };
}

/** The name of the operator policy that bounds every client queue, old and new. */
export const BOUNDS_POLICY = 'push-client-queue-bounds';
/** The client queues, by name (broker/names.ts). */
export const CLIENT_QUEUE_PATTERN = '^push\\.client\\.';

/**
 * The operator policy's definition. Operator policies (unlike ordinary ones) combine with
 * whatever policy an operator already has on these queues, and take only limits: in
 * RabbitMQ 3.10 no `overflow`, so queues bound this way drop the oldest message, which is
 * RabbitMQ's default overflow behaviour anyway.
 */
export function boundsPolicyDefinition(bounds: QueueBounds): Record<string, number> {
  return { 'max-length': bounds.maxMessages, 'max-length-bytes': bounds.maxBytes };
}

/** The vhost of an AMQP URL ('/' when the URL names none), as rabbitmqctl -p wants it. */
export function vhostOf(amqpUrl: string): string {
  const path = new URL(amqpUrl).pathname;
  return path.length > 1 ? decodeURIComponent(path.slice(1)) : '/';
}

/** The rabbitmqctl arguments that set the bounds policy on `vhost`. */
export function boundsPolicyCommand(bounds: QueueBounds, vhost: string): string[] {
  return [
    'set_operator_policy',
    '-p',
    vhost,
    BOUNDS_POLICY,
    CLIENT_QUEUE_PATTERN,
    JSON.stringify(boundsPolicyDefinition(bounds)),
    '--apply-to',
    'queues',
  ];
}
