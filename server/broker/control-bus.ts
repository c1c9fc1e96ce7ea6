// Tells every process of every node what it must act on at once: close some clients'
// sockets (an account was disabled or deleted, a client revoked, from the admin page of any
// node), and forget cached endpoints whose subscription or account changed. A fanout exchange
// `push.control`; each node listens on an exclusive, auto-deleted queue of its own, so
// nothing is left behind when a node stops and a node that was down misses nothing it
// needs: its sockets were closed when it went down. The connection recovers by itself, on
// any node of the cluster (the exchange and its bindings exist on every node); the queue
// and consumer are declared again on each reconnect.
import type { Channel, ChannelModel } from 'amqplib';
import { z } from 'zod';
import type { Logger } from '../observability/logger.js';
import { BrokerConnection } from './connection.js';

export const CONTROL_EXCHANGE = 'push.control';

export const ControlMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('close-clients'),
    clientIds: z.array(z.string().min(1).max(128)).max(100_000),
  }),
  z.object({
    type: z.literal('endpoints-changed'),
    subscriptionIds: z.array(z.string().min(1).max(128)).max(100_000).optional(),
    userIds: z.array(z.string().min(1).max(128)).max(100_000).optional(),
  }),
]);
export type ControlMessage = z.infer<typeof ControlMessage>;

export class ControlBus {
  private channel: Channel | null = null;
  private connection: BrokerConnection | null = null;

  private constructor(
    private readonly log: Logger,
    private readonly onMessage: (message: ControlMessage) => void,
  ) {}

  static async connect(
    urls: string[],
    log: Logger,
    onMessage: (message: ControlMessage) => void,
  ): Promise<ControlBus> {
    const bus = new ControlBus(log, onMessage);
    const connection = await BrokerConnection.open({
      urls,
      name: 'push-server-control',
      connectTimeoutMs: 2000,
      setup: (m: ChannelModel) => bus.listen(m),
    });
    connection.on('down', () => {
      bus.channel = null;
    });
    bus.connection = connection;
    return bus;
  }

  private async listen(model: ChannelModel): Promise<void> {
    const ch = await model.createChannel();
    // Followed by 'close', handled below; the connection's recovery sets up a new channel.
    ch.on('error', () => {});
    ch.on('close', () => {
      if (this.channel === ch) this.channel = null;
    });
    await ch.assertExchange(CONTROL_EXCHANGE, 'fanout', { durable: true });
    const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
    await ch.bindQueue(queue, CONTROL_EXCHANGE, '');
    await ch.consume(
      queue,
      (msg) => {
        if (!msg) return;
        let parsed: ReturnType<typeof ControlMessage.safeParse>;
        try {
          parsed = ControlMessage.safeParse(JSON.parse(msg.content.toString('utf8')));
        } catch {
          return;
        }
        if (parsed.success) this.onMessage(parsed.data);
      },
      { noAck: true },
    );
    this.channel = ch;
  }

  /** Sends to every node (this one included). False when RabbitMQ is not reachable now. */
  publish(message: ControlMessage): boolean {
    const ch = this.channel;
    if (!ch) {
      this.log.warn(
        { event: 'control.publish_failed', type: message.type },
        'RabbitMQ is down: other nodes will not hear of this until their clients reconnect',
      );
      return false;
    }
    ch.publish(CONTROL_EXCHANGE, '', Buffer.from(JSON.stringify(message)), {
      contentType: 'application/json',
    });
    return true;
  }

  /** Bounded: this connection publishes, so a resource alarm may leave it unanswered. */
  async close(): Promise<void> {
    await this.connection?.close(2000);
  }
}
