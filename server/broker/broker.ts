// The server's side of RabbitMQ: connections (recovering by themselves), the topology
// (one exchange per user, one durable queue per client, one binding per subscription
// token), the publisher and per-session consumers.
import amqp, { type Channel, type RecoveringChannelModel } from 'amqplib';
import type { Logger } from '../observability/logger.js';
import { ConsumerPool, type QueueConsumer, type QueueConsumerHandlers } from './consumer-pool.js';
import { BrokerUnavailable, isAmqpNotFound } from './errors.js';
import { clientQueue, DROPPED_EXCHANGE, INCOMING_EXCHANGE, userExchange } from './names.js';
import { Publisher } from './publisher.js';
import { clientQueueArguments, DEFAULT_QUEUE_BOUNDS, type QueueBounds } from './queue-bounds.js';

export { BrokerUnavailable, QueueMissing } from './errors.js';

export interface QueueStats {
  messages: number;
  consumers: number;
}

export interface BrokerOptions {
  /** Messages a device may hold unacked (per consumer). */
  prefetch: number;
  /** How much one client queue may hold (queue-bounds.ts); DEFAULT_QUEUE_BOUNDS by default. */
  queueBounds?: QueueBounds;
  onPublishConfirm?: (seconds: number) => void;
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
  readonly consumers: ConsumerPool;

  private constructor(
    url: string,
    private readonly main: RecoveringChannelModel,
    readonly publisher: Publisher,
    log: Logger,
    prefetch: number,
    private readonly queueBounds: QueueBounds,
  ) {
    this.consumers = new ConsumerPool({
      url,
      name: 'push-server-consumers',
      prefetch,
      connectTimeoutMs: 2000,
    });
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
  static async connect(url: string, log: Logger, options: BrokerOptions): Promise<Broker> {
    let main: RecoveringChannelModel;
    try {
      main = await connectRecovering(url, 'push-server', 8);
    } catch (err) {
      throw new BrokerUnavailable(err);
    }
    const publisher = new Publisher(main, log, options.onPublishConfirm);
    const broker = new Broker(
      url,
      main,
      publisher,
      log,
      options.prefetch,
      options.queueBounds ?? DEFAULT_QUEUE_BOUNDS,
    );
    await broker.withChannel(async (ch) => {
      await ch.assertExchange(INCOMING_EXCHANGE, 'direct', { durable: true });
      // Client queues name it as their dead-letter exchange; it must exist before they drop.
      await ch.assertExchange(DROPPED_EXCHANGE, 'fanout', { durable: true });
    });
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
      await ch.assertQueue(clientQueue(clientId), {
        durable: true,
        arguments: clientQueueArguments(this.queueBounds),
      });
      await ch.bindQueue(clientQueue(clientId), userExchange(userId), '');
    });
  }

  /** Deleting the queue also cancels its consumer on whichever server holds the socket. */
  async deleteClientQueue(clientId: string): Promise<void> {
    await this.withChannel((ch) => ch.deleteQueue(clientQueue(clientId)));
  }

  /** Routes pushes published with `bindingKey` (an endpoint token's hash) to the user's devices. */
  async bindSubscription(userId: string, bindingKey: string): Promise<void> {
    await this.withChannel(async (ch) => {
      await ch.assertExchange(userExchange(userId), 'fanout', { durable: true });
      await ch.bindExchange(userExchange(userId), INCOMING_EXCHANGE, bindingKey);
    });
  }

  async unbindSubscription(userId: string, bindingKey: string): Promise<void> {
    await this.withChannel((ch) =>
      ch.unbindExchange(userExchange(userId), INCOMING_EXCHANGE, bindingKey),
    );
  }

  /**
   * Moves a subscription's binding from `oldKey` to `newKey`, in that order (bind, then
   * unbind), so pushes are routed all along. Both steps are idempotent: running it again,
   * after a crash halfway, does no harm. A user without an exchange (nothing left to route
   * to) is left alone.
   */
  async rebindSubscription(userId: string, oldKey: string, newKey: string): Promise<void> {
    await this.withChannel(async (ch) => {
      try {
        await ch.checkExchange(userExchange(userId));
      } catch (err) {
        if (isAmqpNotFound(err)) return;
        throw err;
      }
      await ch.bindExchange(userExchange(userId), INCOMING_EXCHANGE, newKey);
      await ch.unbindExchange(userExchange(userId), INCOMING_EXCHANGE, oldKey);
    });
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

  /** Consumes a client's queue on a shared channel; throws QueueMissing when it is gone. */
  consume(clientId: string, handlers: QueueConsumerHandlers): Promise<QueueConsumer> {
    return this.consumers.consume(clientQueue(clientId), handlers);
  }

  async close(): Promise<void> {
    await this.publisher.stop();
    await this.consumers.close();
    await this.main.close().catch(() => {});
  }
}
