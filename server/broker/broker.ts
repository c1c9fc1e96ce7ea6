// The server's side of RabbitMQ: connections to any node of the cluster (failing over to the
// next node by themselves), the topology (one exchange per user, one durable queue per
// client, one binding per subscription token), the publisher and the shared consumers.
//
// Nothing here waits for RabbitMQ without limit (docs/protocol.md §1): with no connection a
// call fails at once with BrokerUnavailable, and every topology call gives up after
// `timeoutMs`, so the request behind it answers 503 instead of hanging.
import type { Channel } from 'amqplib';
import type { QueueType } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { BrokerConnection, type BrokerConnectionOptions } from './connection.js';
import { ConsumerPool, type QueueConsumer, type QueueConsumerHandlers } from './consumer-pool.js';
import { BrokerUnavailable, isAmqpNotFound } from './errors.js';
import { clientQueue, DROPPED_EXCHANGE, INCOMING_EXCHANGE, userExchange } from './names.js';
import { Publisher } from './publisher.js';
import { DEFAULT_QUEUE_BOUNDS, type QueueBounds } from './queue-bounds.js';
import { declareClientQueue, declareSubscription } from './topology.js';

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
  /** How client queues are declared (docs/operations.md, "Several nodes"). */
  queueType: QueueType;
  /** Longest wait for RabbitMQ in one call (a confirm, a declaration); 503 past it. */
  timeoutMs: number;
  onPublishConfirm?: (seconds: number) => void;
  onBlockedChange?: (blocked: boolean) => void;
}

/** Longest wait for one node to accept a connection. */
const CONNECT_TIMEOUT_MS = 2000;
/** How long a stopping server waits for RabbitMQ (confirms due, connection.close). */
const CLOSE_TIMEOUT_MS = 2000;

export class Broker {
  readonly consumers: ConsumerPool;

  private constructor(
    private readonly main: BrokerConnection,
    private readonly publishing: BrokerConnection,
    readonly publisher: Publisher,
    private readonly options: BrokerOptions,
    urls: string[],
  ) {
    this.consumers = new ConsumerPool({
      urls,
      name: 'push-server-consumers',
      prefetch: options.prefetch,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      timeoutMs: options.timeoutMs,
    });
  }

  /** Connects and declares the base topology; retries for a few seconds, then throws. */
  static async connect(urls: string[], log: Logger, options: BrokerOptions): Promise<Broker> {
    const open = (name: string): Promise<BrokerConnection> => {
      const settings: BrokerConnectionOptions = {
        urls,
        name,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
      };
      return BrokerConnection.open(settings);
    };
    const main = await open('push-server');
    // Publishing has a connection of its own: a resource alarm blocks a connection that
    // publishes, whole, and registering devices or binding subscriptions must go on.
    const publishing = await open('push-server-publisher').catch(async (err: unknown) => {
      await main.close(CLOSE_TIMEOUT_MS);
      throw err;
    });
    watch(main, log, 'main');
    watch(publishing, log, 'publisher');
    const publisher = new Publisher(publishing, log, {
      timeoutMs: options.timeoutMs,
      onConfirm: options.onPublishConfirm,
      onBlockedChange: options.onBlockedChange,
    });
    const broker = new Broker(main, publishing, publisher, options, urls);
    try {
      await broker.withChannel((ch) =>
        Promise.all([
          ch.assertExchange(INCOMING_EXCHANGE, 'direct', { durable: true }),
          // Client queues name it as their dead-letter exchange; it must exist before they drop.
          ch.assertExchange(DROPPED_EXCHANGE, 'fanout', { durable: true }),
        ]),
      );
      await publisher.start();
    } catch (err) {
      await broker.close();
      throw err;
    }
    return broker;
  }

  /** Connected for topology calls and for publishing. */
  get isUp(): boolean {
    return this.main.isUp && this.publishing.isUp;
  }

  /**
   * Runs topology operations on a short-lived channel: a failing operation closes its
   * channel in AMQP, and it must not take other sessions' work down with it. Bounded by
   * timeoutMs: a node that is lost or starting may not answer for a long time.
   */
  private async withChannel<T>(work: (ch: Channel) => Promise<T>): Promise<T> {
    const model = this.main.current;
    if (!model) throw new BrokerUnavailable(new Error('no connection to RabbitMQ'));
    // Set once the channel is open, so that a call given up on can still close it.
    const opened: { channel: Channel | null; abandoned: boolean } = {
      channel: null,
      abandoned: false,
    };
    const run = async (): Promise<T> => {
      const ch = await model.createChannel();
      opened.channel = ch;
      // A failed operation also rejects its own call, which reaches the caller through work().
      ch.on('error', () => {});
      if (opened.abandoned) throw new BrokerUnavailable(new Error('given up on'));
      try {
        return await work(ch);
      } finally {
        // A failed operation has closed the channel already.
        await ch.close().catch(() => {});
      }
    };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        opened.abandoned = true;
        reject(
          new BrokerUnavailable(
            new Error(`RabbitMQ did not answer within ${this.options.timeoutMs} ms`),
          ),
        );
      }, this.options.timeoutMs);
    });
    const running = run();
    // Once given up on, its outcome no longer matters to anyone.
    running.catch(() => {});
    try {
      return await Promise.race([running, deadline]);
    } catch (err) {
      if (opened.abandoned) {
        // Whatever the call still does, its channel closes as soon as RabbitMQ answers.
        void opened.channel?.close().catch(() => {});
        throw err;
      }
      // A channel that could not be opened means the connection is going.
      if (opened.channel === null) throw new BrokerUnavailable(err);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async createClientQueue(userId: string, clientId: string): Promise<void> {
    await this.withChannel((ch) =>
      declareClientQueue(ch, userId, clientId, {
        type: this.options.queueType,
        bounds: this.options.queueBounds ?? DEFAULT_QUEUE_BOUNDS,
      }),
    );
  }

  /** Deleting the queue also cancels its consumer on whichever server holds the socket. */
  async deleteClientQueue(clientId: string): Promise<void> {
    await this.withChannel((ch) => ch.deleteQueue(clientQueue(clientId)));
  }

  /** Routes pushes published with `bindingKey` (an endpoint token's hash) to the user's devices. */
  async bindSubscription(userId: string, bindingKey: string): Promise<void> {
    await this.withChannel((ch) => declareSubscription(ch, userId, bindingKey));
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

  /** Bounded: a blocked or lost RabbitMQ cannot hold a stopping server (docs/operations.md). */
  async close(): Promise<void> {
    await this.publisher.stop(CLOSE_TIMEOUT_MS);
    await Promise.all([
      this.publishing.close(CLOSE_TIMEOUT_MS),
      this.consumers.close(CLOSE_TIMEOUT_MS),
      this.main.close(CLOSE_TIMEOUT_MS),
    ]);
  }
}

/** Logs each loss and recovery of a connection once, naming the node it reached. */
function watch(connection: BrokerConnection, log: Logger, role: string): void {
  connection.on('down', (err) => {
    log.error({ event: 'rabbitmq.lost', connection: role, err }, 'RabbitMQ connection lost');
  });
  connection.on('up', (_model, node) => {
    log.info(
      { event: 'rabbitmq.recovered', connection: role, node },
      'RabbitMQ connection recovered',
    );
  });
}
