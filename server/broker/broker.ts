// The server's side of RabbitMQ: connections (recovering by themselves), the topology
// (one exchange per user, one durable queue per client, one binding per subscription
// token), the publisher and per-session consumers.
import amqp, { type Channel, type RecoveringChannelModel } from 'amqplib';
import type { Logger } from '../observability/logger.js';
import { QueueConsumer, type QueueConsumerHandlers } from './consumer.js';
import { isAmqpNotFound, QueueMissing } from './errors.js';
import { clientQueue, INCOMING_EXCHANGE, userExchange } from './names.js';
import { Publisher } from './publisher.js';

/** Each consuming session has its own channel; RabbitMQ allows 2047 per connection. */
const CHANNELS_PER_CONSUMER_CONNECTION = 1000;

export class BrokerUnavailable extends Error {
  constructor(cause?: unknown) {
    super('RabbitMQ is not reachable', { cause });
    this.name = 'BrokerUnavailable';
  }
}

interface ConsumerConnection {
  model: RecoveringChannelModel;
  channels: number;
}

export interface QueueStats {
  messages: number;
  consumers: number;
}

async function connectRecovering(
  url: string,
  name: string,
  initialMaxRetries: number,
): Promise<RecoveringChannelModel> {
  return amqp.connect(url, {
    clientProperties: { connection_name: name },
    recovery: { initialDelay: 200, maxDelay: 5000, initialMaxRetries },
  });
}

export class Broker {
  private up = true;
  private readonly consumerConnections: ConsumerConnection[] = [];

  private constructor(
    private readonly url: string,
    private readonly main: RecoveringChannelModel,
    readonly publisher: Publisher,
    private readonly log: Logger,
  ) {
    main.on('disconnect', (err: Error) => {
      if (this.up) log.error({ event: 'rabbitmq.lost', err }, 'RabbitMQ connection lost');
      this.up = false;
    });
    main.on('connect', () => {
      if (!this.up) log.info({ event: 'rabbitmq.recovered' }, 'RabbitMQ connection recovered');
      this.up = true;
    });
    // amqplib throws on an 'error' nobody listens to; 'disconnect' above logs it.
    main.on('error', () => {});
  }

  /** Connects and declares the base topology; retries for a few seconds, then throws. */
  static async connect(
    url: string,
    log: Logger,
    onPublishConfirm?: (seconds: number) => void,
  ): Promise<Broker> {
    let main: RecoveringChannelModel;
    try {
      main = await connectRecovering(url, 'push-server', 8);
    } catch (err) {
      throw new BrokerUnavailable(err);
    }
    const publisher = new Publisher(main, log, onPublishConfirm);
    const broker = new Broker(url, main, publisher, log);
    await broker.withChannel((ch) =>
      ch.assertExchange(INCOMING_EXCHANGE, 'direct', { durable: true }),
    );
    await publisher.start();
    return broker;
  }

  get isUp(): boolean {
    return this.up;
  }

  /**
   * Runs topology operations on a short-lived channel: a failing operation closes its
   * channel in AMQP, and it must not take other sessions' work down with it.
   */
  private async withChannel<T>(work: (ch: Channel) => Promise<T>): Promise<T> {
    let ch: Channel;
    try {
      ch = await this.main.createChannel();
    } catch (err) {
      throw new BrokerUnavailable(err);
    }
    // A failed operation also rejects its own call, which reaches the caller through work().
    ch.on('error', () => {});
    try {
      return await work(ch);
    } finally {
      // A failed operation has closed the channel already.
      await ch.close().catch(() => {});
    }
  }

  async createClientQueue(userId: string, clientId: string): Promise<void> {
    await this.withChannel(async (ch) => {
      await ch.assertExchange(userExchange(userId), 'fanout', { durable: true });
      await ch.assertQueue(clientQueue(clientId), { durable: true });
      await ch.bindQueue(clientQueue(clientId), userExchange(userId), '');
    });
  }

  /** Deleting the queue also cancels its consumer on whichever server holds the socket. */
  async deleteClientQueue(clientId: string): Promise<void> {
    await this.withChannel((ch) => ch.deleteQueue(clientQueue(clientId)));
  }

  async bindSubscription(userId: string, token: string): Promise<void> {
    await this.withChannel(async (ch) => {
      await ch.assertExchange(userExchange(userId), 'fanout', { durable: true });
      await ch.bindExchange(userExchange(userId), INCOMING_EXCHANGE, token);
    });
  }

  async unbindSubscription(userId: string, token: string): Promise<void> {
    await this.withChannel((ch) =>
      ch.unbindExchange(userExchange(userId), INCOMING_EXCHANGE, token),
    );
  }

  async deleteUser(userId: string): Promise<void> {
    await this.withChannel((ch) => ch.deleteExchange(userExchange(userId)));
  }

  /** Depth and consumer count of a client's queue, or null when it does not exist. */
  async queueStats(clientId: string): Promise<QueueStats | null> {
    try {
      return await this.withChannel(async (ch) => {
        const q = await ch.checkQueue(clientQueue(clientId));
        return { messages: q.messageCount, consumers: q.consumerCount };
      });
    } catch (err) {
      if (err instanceof BrokerUnavailable) throw err;
      return null;
    }
  }

  /** Throws QueueMissing when the client's queue is gone (the client was deleted). */
  async consume(
    clientId: string,
    prefetch: number,
    handlers: QueueConsumerHandlers,
  ): Promise<QueueConsumer> {
    const connection = await this.consumerConnection();
    connection.channels++;
    try {
      const consumer = await QueueConsumer.open(connection.model, clientQueue(clientId), prefetch, {
        ...handlers,
        onEnd: (reason) => {
          connection.channels--;
          handlers.onEnd(reason);
        },
      });
      return consumer;
    } catch (err) {
      connection.channels--;
      throw isAmqpNotFound(err) ? new QueueMissing(err) : err;
    }
  }

  private async consumerConnection(): Promise<ConsumerConnection> {
    const free = this.consumerConnections.find(
      (c) => c.channels < CHANNELS_PER_CONSUMER_CONNECTION,
    );
    if (free) return free;
    const connection: ConsumerConnection = { model: await this.openConsumerModel(), channels: 0 };
    this.consumerConnections.push(connection);
    return connection;
  }

  private async openConsumerModel(): Promise<RecoveringChannelModel> {
    try {
      const model = await connectRecovering(
        this.url,
        `push-server-consumers-${this.consumerConnections.length}`,
        2,
      );
      // Each consumer's channel reports the loss to its session ('close' in consumer.ts).
      model.on('error', () => {});
      return model;
    } catch (err) {
      this.log.error({ event: 'rabbitmq.consumer_connection_failed', err });
      throw new BrokerUnavailable(err);
    }
  }

  async close(): Promise<void> {
    await this.publisher.stop();
    // Shutting down: a connection that is already gone needs no closing.
    await Promise.all(this.consumerConnections.map((c) => c.model.close().catch(() => {})));
    await this.main.close().catch(() => {}); // as above
  }
}
