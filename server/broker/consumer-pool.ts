// Consumers of client queues, many to a channel. A channel per connected device cost
// RabbitMQ ~25 KB and the server an amqplib channel object per device; here a channel
// carries up to CONSUMERS_PER_CHANNEL consumers, each with its own prefetch (basic.qos
// without `global` is per consumer in RabbitMQ).
//
// What a per-session channel gave for free is done by hand:
//   - a session that ends cancels its consumer and hands back what it had not acked
//     (nack with requeue, after the cancel is confirmed so nothing is delivered to it
//     again), so "no ack → delivered again, marked redelivered" still holds;
//   - a consume on a queue that does not exist would close the whole shared channel
//     (AMQP answers 404 with a channel error), so the queue is first checked on a probe
//     channel of its own, where a 404 costs nothing but that channel. The gap between the
//     check and the consume is sub-millisecond; should a client be deleted exactly then,
//     the shared channel closes and its sessions reconnect (closed 1011), losing nothing.
//
// Connections are opened once (concurrent first consumes wait for the same one), to any
// node of the cluster, and closed again when no consumer has been left on them for a while.
// A consume answers within `timeoutMs` (the hello is answered or closed 1011 in time, docs/
// protocol.md §3); one that completes after that is closed again at once.
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { batchWritesPerTurn } from './amqp-socket.js';
import { closeWithin } from './connection.js';
import { BrokerUnavailable, isAmqpNotFound, QueueMissing } from './errors.js';

/** RabbitMQ requires ≤ devices / 100 channels; 500 consumers share one. */
export const CONSUMERS_PER_CHANNEL = 500;
/** RabbitMQ allows 2047 channels per connection; 200 keep one connection's load moderate. */
const CHANNELS_PER_CONNECTION = 200;
const PROBE_CHANNELS = 4;
/** After no node answered, consumes fail at once for this long instead of each trying. */
const FAIL_FAST_MS = 500;
/** An empty pool keeps its connection this long, for the next reconnecting device. */
const IDLE_CLOSE_MS = 30_000;

/** `cancelled`: the queue was deleted (client removed); `closed`: channel or connection died. */
export type ConsumerEndReason = 'cancelled' | 'closed';

export interface QueueConsumerHandlers {
  onMessage(message: ConsumeMessage): void;
  /** Called once when the consumer stops on its own (not after close()), for any reason. */
  onEnd(reason: ConsumerEndReason): void;
}

export interface QueueConsumer {
  /** Acks a message this consumer delivered; ignored once the consumer has ended. */
  ack(message: ConsumeMessage): void;
  /** Stops consuming and hands every unacked message back to the queue. */
  close(): Promise<void>;
}

export interface ConsumerPoolOptions {
  /** The cluster's nodes; a new connection goes to the next one in turn. */
  urls: string[];
  /** The connection name shown by RabbitMQ's management tools. */
  name: string;
  prefetch: number;
  connectTimeoutMs: number;
  /** Longest a consume may take, connecting included; BrokerUnavailable past it. */
  timeoutMs: number;
  consumersPerChannel?: number;
  /** How long an empty pool keeps its connection; IDLE_CLOSE_MS by default. */
  idleCloseMs?: number;
}

class PooledConsumer implements QueueConsumer {
  tag = '';
  ended = false;
  /** Delivered and not yet acked, by delivery tag. */
  readonly unacked = new Map<number, ConsumeMessage>();

  constructor(
    private readonly slot: SharedChannel,
    readonly handlers: QueueConsumerHandlers,
  ) {}

  deliver(message: ConsumeMessage | null): void {
    if (message === null) {
      // RabbitMQ cancelled us: the queue was deleted. Its unacked messages went with it.
      this.end('cancelled');
      return;
    }
    this.unacked.set(message.fields.deliveryTag, message);
    if (!this.ended) this.handlers.onMessage(message);
  }

  ack(message: ConsumeMessage): void {
    if (this.ended || !this.unacked.delete(message.fields.deliveryTag)) return;
    try {
      this.slot.channel.ack(message);
    } catch {
      // The channel closed a moment ago; RabbitMQ requeued the message with it.
    }
  }

  end(reason: ConsumerEndReason): void {
    if (this.ended) return;
    this.ended = true;
    this.unacked.clear();
    this.slot.release(this);
    this.handlers.onEnd(reason);
  }

  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.slot.cancel(this);
  }
}

class SharedChannel {
  readonly consumers = new Map<string, PooledConsumer>();
  /** Consumers counted from the moment a consume is started, so the pool does not overfill. */
  reserved = 0;
  dead = false;

  constructor(
    readonly channel: Channel,
    private readonly onEmpty: () => void,
  ) {
    channel.on('close', () => this.die());
    // The 'close' event follows every channel error; the error itself says nothing more.
    channel.on('error', () => {});
  }

  private die(): void {
    if (this.dead) return;
    this.dead = true;
    for (const consumer of [...this.consumers.values()]) consumer.end('closed');
    this.consumers.clear();
  }

  async consume(queue: string, handlers: QueueConsumerHandlers): Promise<PooledConsumer> {
    const consumer = new PooledConsumer(this, handlers);
    try {
      const { consumerTag } = await this.channel.consume(queue, (m) => consumer.deliver(m), {
        noAck: false,
      });
      consumer.tag = consumerTag;
    } finally {
      this.reserved--;
    }
    if (this.dead) {
      consumer.ended = true;
      throw new BrokerUnavailable(new Error('channel closed while consuming'));
    }
    this.consumers.set(consumer.tag, consumer);
    return consumer;
  }

  release(consumer: PooledConsumer): void {
    if (this.consumers.delete(consumer.tag) && this.load === 0) this.onEmpty();
  }

  /** Cancel first, then hand back what is unacked: nothing can be delivered to it again. */
  async cancel(consumer: PooledConsumer): Promise<void> {
    if (this.dead) return;
    try {
      await this.channel.cancel(consumer.tag);
      for (const message of consumer.unacked.values()) this.channel.nack(message, false, true);
    } catch {
      // The channel closed meanwhile: RabbitMQ requeued everything unacked on it already.
    } finally {
      consumer.unacked.clear();
      this.release(consumer);
    }
  }

  get load(): number {
    return this.consumers.size + this.reserved;
  }
}

class PoolConnection {
  readonly channels: SharedChannel[] = [];
  private opening: Promise<SharedChannel> | null = null;
  private readonly probes: Array<Channel | undefined> = [];
  private probeTurn = 0;
  dead = false;

  constructor(
    readonly model: ChannelModel,
    private readonly pool: ConsumerPool,
  ) {
    model.on('close', () => {
      this.dead = true;
    });
    // Followed by 'close'; consumers learn of it through their channels.
    model.on('error', () => {});
  }

  get load(): number {
    return this.channels.reduce((sum, c) => sum + c.load, 0);
  }

  get full(): boolean {
    return (
      this.channels.length >= CHANNELS_PER_CONNECTION &&
      this.channels.every((c) => c.dead || c.load >= this.pool.perChannel)
    );
  }

  /** The live channel with the most room; a new one only when all are full. */
  async channelWithRoom(): Promise<SharedChannel> {
    for (;;) {
      const live = this.channels.filter((c) => !c.dead);
      let best: SharedChannel | null = null;
      for (const c of live)
        if (c.load < this.pool.perChannel && (!best || c.load < best.load)) best = c;
      if (best) {
        best.reserved++;
        return best;
      }
      this.opening ??= this.openChannel().finally(() => {
        this.opening = null;
      });
      await this.opening;
    }
  }

  private async openChannel(): Promise<SharedChannel> {
    const channel = await this.model.createChannel();
    batchWritesPerTurn(channel);
    await channel.prefetch(this.pool.prefetch, false);
    const shared = new SharedChannel(channel, () => this.pool.noteEmpty());
    // Forget dead channels as new ones come, so the list stays as long as the live set.
    const index = this.channels.findIndex((c) => c.dead);
    if (index >= 0) this.channels.splice(index, 1, shared);
    else this.channels.push(shared);
    return shared;
  }

  /** Throws QueueMissing when the queue does not exist; only the probe channel pays for it. */
  async checkQueue(queue: string): Promise<void> {
    const slot = this.probeTurn++ % PROBE_CHANNELS;
    let probe = this.probes[slot];
    if (!probe) {
      probe = await this.model.createChannel();
      const opened = probe;
      opened.on('error', () => {}); // a 404 closes it; 'close' below forgets it
      opened.on('close', () => {
        if (this.probes[slot] === opened) this.probes[slot] = undefined;
      });
      this.probes[slot] = opened;
    }
    try {
      await probe.checkQueue(queue);
    } catch (err) {
      if (isAmqpNotFound(err)) throw new QueueMissing(err);
      throw err;
    }
  }

  async close(ms: number): Promise<void> {
    this.dead = true;
    // Closing the connection requeues whatever its channels had not acked.
    await closeWithin(this.model, ms);
  }
}

export class ConsumerPool {
  private readonly connections: PoolConnection[] = [];
  private connecting: Promise<PoolConnection> | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** The node the next connection tries first: connections spread over the cluster. */
  private nextUrl: number;
  /** Until then, consumes fail at once: no node answered a moment ago (a herd of hellos). */
  private failFastUntil = 0;
  readonly perChannel: number;

  constructor(private readonly options: ConsumerPoolOptions) {
    this.perChannel = options.consumersPerChannel ?? CONSUMERS_PER_CHANNEL;
    this.nextUrl = Math.floor(Math.random() * options.urls.length);
  }

  get prefetch(): number {
    return this.options.prefetch;
  }

  /** Consumers open now, and the channels and connections carrying them. */
  stats(): { consumers: number; channels: number; connections: number } {
    const live = this.connections.filter((c) => !c.dead);
    const channels = live.flatMap((c) => c.channels.filter((ch) => !ch.dead));
    return {
      consumers: channels.reduce((sum, c) => sum + c.consumers.size, 0),
      channels: channels.length,
      connections: live.length,
    };
  }

  async consume(queue: string, handlers: QueueConsumerHandlers): Promise<QueueConsumer> {
    if (this.closed) throw new BrokerUnavailable(new Error('consumer pool closed'));
    if (Date.now() < this.failFastUntil) {
      throw new BrokerUnavailable(new Error('no RabbitMQ node answered a moment ago'));
    }
    const given = { up: false };
    const consuming = this.consumeNow(queue, handlers, given);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        given.up = true;
        reject(
          new BrokerUnavailable(
            new Error(`RabbitMQ did not open the consumer within ${this.options.timeoutMs} ms`),
          ),
        );
      }, this.options.timeoutMs);
    });
    // A consumer that opens after the caller gave up is nobody's: close it, so its messages
    // go back to the queue for the device's next connection.
    consuming.then(
      (consumer) => {
        if (given.up) void consumer.close();
      },
      () => {},
    );
    try {
      return await Promise.race([consuming, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async consumeNow(
    queue: string,
    handlers: QueueConsumerHandlers,
    given: { up: boolean },
  ): Promise<QueueConsumer> {
    this.cancelIdleClose();
    const connection = await this.connectionWithRoom();
    let slot: SharedChannel;
    try {
      // The channel first, so the check and the consume follow each other closely.
      slot = await connection.channelWithRoom();
    } catch (err) {
      throw new BrokerUnavailable(err);
    }
    try {
      await connection.checkQueue(queue);
    } catch (err) {
      slot.reserved--;
      if (err instanceof QueueMissing) throw err;
      throw new BrokerUnavailable(err);
    }
    if (given.up) {
      slot.reserved--;
      throw new BrokerUnavailable(new Error('given up on'));
    }
    try {
      return await slot.consume(queue, handlers);
    } catch (err) {
      if (isAmqpNotFound(err)) throw new QueueMissing(err);
      if (err instanceof BrokerUnavailable) throw err;
      throw new BrokerUnavailable(err);
    }
  }

  private async connectionWithRoom(): Promise<PoolConnection> {
    for (;;) {
      const live = this.connections.filter((c) => !c.dead);
      const usable = live.find((c) => !c.full);
      if (usable) return usable;
      this.connecting ??= this.connect().finally(() => {
        this.connecting = null;
      });
      await this.connecting;
    }
  }

  /** A connection to the next node that answers, trying each once. */
  private async connect(): Promise<PoolConnection> {
    const { urls } = this.options;
    let model: ChannelModel | null = null;
    let lastError: unknown;
    for (let i = 0; i < urls.length && !model; i++) {
      const url = urls[this.nextUrl % urls.length]!;
      this.nextUrl = (this.nextUrl + 1) % urls.length;
      try {
        model = await amqp.connect(url, {
          clientProperties: {
            connection_name: `${this.options.name}-${this.connections.length}`,
          },
          timeout: this.options.connectTimeoutMs,
        });
      } catch (err) {
        lastError = err;
      }
    }
    if (!model) {
      // Every node refused: the hellos right behind this one need not each try again.
      this.failFastUntil = Date.now() + FAIL_FAST_MS;
      throw new BrokerUnavailable(lastError);
    }
    const connection = new PoolConnection(model, this);
    const index = this.connections.findIndex((c) => c.dead);
    if (index >= 0) this.connections.splice(index, 1, connection);
    else this.connections.push(connection);
    return connection;
  }

  /** A channel just lost its last consumer: close everything if the whole pool stays empty. */
  noteEmpty(): void {
    if (this.closed || this.idleTimer || this.connections.some((c) => c.load > 0)) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.connections.some((c) => c.load > 0) || this.connecting) return;
      const all = this.connections.splice(0);
      for (const c of all) void c.close(this.options.connectTimeoutMs);
    }, this.options.idleCloseMs ?? IDLE_CLOSE_MS);
    this.idleTimer.unref();
  }

  private cancelIdleClose(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  /** Closes every connection, each within `ms` even if its node does not answer. */
  async close(ms: number): Promise<void> {
    this.closed = true;
    this.cancelIdleClose();
    await Promise.all(this.connections.splice(0).map((c) => c.close(ms)));
  }
}
