// Counts and logs what client queues drop (queue-bounds.ts): RabbitMQ dead-letters the
// oldest message of a full queue (reason `maxlen`) and an expired one (`expired`) to the
// `push.dropped` exchange; its one queue is read by every node, each message by one of them,
// so Prometheus' sum over the nodes is the total. The queue is not durable and keeps
// messages a minute at most: these are counts, not data worth keeping. Overflows are logged
// once a minute per device with how many were dropped, so a flood at a full queue cannot
// flood the log too. The connection recovers by itself and declares everything again.
import type { ChannelModel } from 'amqplib';
import { type Logger, shortId } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { BrokerConnection } from './connection.js';
import { clientIdOfQueue, DROPPED_EXCHANGE, DROPPED_QUEUE } from './names.js';

const LOG_EVERY_MS = 60_000;

export type DropReason = 'overflow' | 'expired';

/** What is read of a dead-lettered message: its headers. */
export interface DeadLettered {
  properties: { headers?: Record<string, unknown> | undefined };
}

/** Why RabbitMQ dead-lettered a message, and from which client's queue. */
export function dropOf(message: DeadLettered): {
  reason: DropReason | null;
  clientId: string | null;
} {
  const headers = message.properties.headers ?? {};
  const reason = headers['x-first-death-reason'];
  const queue = headers['x-first-death-queue'];
  return {
    reason: reason === 'maxlen' ? 'overflow' : reason === 'expired' ? 'expired' : null,
    clientId: typeof queue === 'string' ? clientIdOfQueue(queue) : null,
  };
}

export class DroppedMessages {
  private connection: BrokerConnection | null = null;
  /** Overflows not logged yet, by client id. */
  private readonly overflows = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  /** Counts what it is told (note); `watch` is what connects it to RabbitMQ. */
  constructor(
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  static async watch(urls: string[], log: Logger, metrics: Metrics): Promise<DroppedMessages> {
    const watcher = new DroppedMessages(log, metrics);
    // Like the control bus: any node of the cluster, reconnecting (to another) by itself.
    watcher.connection = await BrokerConnection.open({
      urls,
      name: 'push-server-dropped',
      connectTimeoutMs: 2000,
      setup: (m: ChannelModel) => watcher.listen(m),
    });
    watcher.timer = setInterval(() => watcher.flush(), LOG_EVERY_MS);
    watcher.timer.unref();
    return watcher;
  }

  private async listen(model: ChannelModel): Promise<void> {
    const ch = await model.createChannel();
    // Followed by 'close'; the connection's recovery sets up a new channel.
    ch.on('error', () => {});
    await ch.assertExchange(DROPPED_EXCHANGE, 'fanout', { durable: true });
    await ch.assertQueue(DROPPED_QUEUE, {
      durable: false,
      arguments: { 'x-message-ttl': 60_000, 'x-max-length': 10_000 },
    });
    await ch.bindQueue(DROPPED_QUEUE, DROPPED_EXCHANGE, '');
    await ch.prefetch(500);
    await ch.consume(DROPPED_QUEUE, (message) => {
      if (!message) return;
      this.note(message);
      ch.ack(message);
    });
  }

  /** One dead-lettered message. */
  note(message: DeadLettered): void {
    const { reason, clientId } = dropOf(message);
    if (!reason) return;
    this.metrics.queueDropped.inc({ reason });
    if (reason === 'overflow' && clientId) {
      this.overflows.set(clientId, (this.overflows.get(clientId) ?? 0) + 1);
    }
  }

  /** Logs the overflows counted since the last time, one line per device. */
  flush(): void {
    for (const [clientId, dropped] of this.overflows) {
      this.log.warn(
        { event: 'queue.overflow', clientId: shortId(clientId), dropped },
        "a device's queue was full: its oldest messages were dropped",
      );
    }
    this.overflows.clear();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.flush();
    // Bounded: a stopping server must not wait on a RabbitMQ that is gone.
    await this.connection?.close(2000);
  }
}
