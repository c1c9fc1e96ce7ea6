// One AMQP connection to a RabbitMQ cluster that comes back by itself: it connects to one of
// the nodes of AMQP_URL and, when that connection drops, straight away to the next node,
// then round after round with a growing pause while none answers.
//
// Unlike amqplib's recovering connection, it never makes a caller wait for RabbitMQ:
// `current` is the live connection or null, and callers answer 503 on null at once
// (amqplib queues createChannel() until it reconnects, which left requests hanging for as
// long as RabbitMQ was away). It also reports RabbitMQ's flow control: `blocked` while a
// resource alarm (memory, disk) stops this connection's publishes.
import { EventEmitter } from 'node:events';
import amqp, { type ChannelModel } from 'amqplib';
import { socketOfModel } from './amqp-socket.js';
import { BrokerUnavailable } from './errors.js';

export interface BrokerConnectionOptions {
  /** The cluster's nodes; tried in turn, from a random one so nodes share the connections. */
  urls: string[];
  /** The connection name shown by RabbitMQ's management tools. */
  name: string;
  /** Longest wait for one node to accept a connection (TCP and AMQP handshake). */
  connectTimeoutMs: number;
  /** Declares what this connection's users need, on every new connection (e.g. a queue). */
  setup?: (model: ChannelModel) => Promise<void>;
  /** Rounds over every node at start before giving up; RabbitMQ may be starting too. */
  startupRounds?: number;
  /** Pause between rounds in which no node answered: doubles from `initialMs` to `maxMs`. */
  backoff?: { initialMs: number; maxMs: number };
}

/** What a BrokerConnection tells its listeners. */
export interface BrokerConnectionEvents {
  /** Connected (again); `node` is the host:port it reached. */
  up: [model: ChannelModel, node: string];
  /** The connection was lost; reconnecting has begun. */
  down: [err: Error];
  /** RabbitMQ stopped reading this connection's publishes (a resource alarm). */
  blocked: [reason: string];
  unblocked: [];
}

/** `host:port` of an AMQP URL: enough to say which node, without its credentials. */
export function nodeOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || (parsed.protocol === 'amqps:' ? '5671' : '5672')}`;
  } catch {
    return 'unknown';
  }
}

/**
 * Closes an AMQP connection within `ms`: a node that is frozen, or blocked by an alarm,
 * never answers connection.close, and shutting down must not wait for it.
 */
export async function closeWithin(model: ChannelModel, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  // A connection that is already gone needs no closing.
  const closing = model.close().then(
    () => 'closed' as const,
    () => 'closed' as const,
  );
  const outcome = await Promise.race([closing, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') socketOfModel(model)?.destroy();
}

export class BrokerConnection extends EventEmitter<BrokerConnectionEvents> {
  private model: ChannelModel | null = null;
  private node: string | null = null;
  private blockedReason: string | null = null;
  private closed = false;
  /** Index in `urls` of the node to try first next time. */
  private nextIndex: number;
  private round = 0;
  private timer: NodeJS.Timeout | null = null;
  private connecting = false;

  private constructor(private readonly options: BrokerConnectionOptions) {
    super();
    if (options.urls.length === 0) throw new Error('no RabbitMQ URL');
    this.nextIndex = Math.floor(Math.random() * options.urls.length);
  }

  /** Connects to one of the nodes; throws BrokerUnavailable when none answered at start. */
  static async open(options: BrokerConnectionOptions): Promise<BrokerConnection> {
    const connection = new BrokerConnection(options);
    const rounds = options.startupRounds ?? 8;
    let lastError: unknown;
    for (let round = 0; round < rounds; round++) {
      try {
        connection.adopt(...(await connection.tryEveryNode()));
        return connection;
      } catch (err) {
        lastError = err;
        await new Promise((resolve) => setTimeout(resolve, connection.pause(round)));
      }
    }
    throw new BrokerUnavailable(lastError);
  }

  /** The live connection, or null while there is none (never waits). */
  get current(): ChannelModel | null {
    return this.model;
  }

  get isUp(): boolean {
    return this.model !== null;
  }

  /** True while RabbitMQ's flow control holds this connection's publishes. */
  get blocked(): boolean {
    return this.blockedReason !== null;
  }

  /** The node connected to (host:port), or null while down. */
  get connectedNode(): string | null {
    return this.node;
  }

  private pause(round: number): number {
    const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 200, maxMs: 5000 };
    const ceiling = Math.min(maxMs, initialMs * 2 ** round);
    // Jittered, so the processes of every server node do not come back in step.
    return ceiling / 2 + (Math.random() * ceiling) / 2;
  }

  /** One round: each node once, starting at nextIndex. */
  private async tryEveryNode(): Promise<[ChannelModel, number]> {
    const { urls } = this.options;
    let lastError: unknown = new Error('no RabbitMQ URL');
    for (let i = 0; i < urls.length; i++) {
      const index = (this.nextIndex + i) % urls.length;
      let model: ChannelModel;
      try {
        model = await amqp.connect(urls[index]!, {
          clientProperties: { connection_name: this.options.name },
          timeout: this.options.connectTimeoutMs,
        });
      } catch (err) {
        lastError = err;
        continue;
      }
      try {
        await this.options.setup?.(model);
      } catch (err) {
        lastError = err;
        await closeWithin(model, this.options.connectTimeoutMs);
        continue;
      }
      return [model, index];
    }
    throw lastError;
  }

  private adopt(model: ChannelModel, index: number): void {
    if (this.closed) {
      void closeWithin(model, this.options.connectTimeoutMs);
      return;
    }
    this.model = model;
    this.node = nodeOf(this.options.urls[index]!);
    this.nextIndex = index;
    this.round = 0;
    model.on('blocked', (reason: string) => {
      if (this.model !== model) return;
      this.blockedReason = reason || 'blocked';
      this.emit('blocked', this.blockedReason);
    });
    model.on('unblocked', () => {
      if (this.model !== model || this.blockedReason === null) return;
      this.blockedReason = null;
      this.emit('unblocked');
    });
    // Always followed by 'close', which is where the loss is handled.
    model.on('error', () => {});
    model.on('close', (err?: Error) => {
      if (this.model !== model) return;
      this.model = null;
      this.node = null;
      const wasBlocked = this.blockedReason !== null;
      this.blockedReason = null;
      if (wasBlocked) this.emit('unblocked');
      if (this.closed) return;
      // The node just lost is the last one to try again.
      this.nextIndex = (index + 1) % this.options.urls.length;
      this.emit('down', err ?? new Error('connection closed'));
      this.reconnect();
    });
    this.emit('up', model, this.node);
  }

  private reconnect(): void {
    if (this.closed || this.connecting || this.timer) return;
    this.connecting = true;
    this.tryEveryNode().then(
      ([model, index]) => {
        this.connecting = false;
        this.adopt(model, index);
      },
      () => {
        this.connecting = false;
        if (this.closed) return;
        this.timer = setTimeout(
          () => {
            this.timer = null;
            this.reconnect();
          },
          this.pause(this.round++),
        );
        this.timer.unref();
      },
    );
  }

  /** Closes for good, within `ms` even if RabbitMQ does not answer. */
  async close(ms: number): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const model = this.model;
    this.model = null;
    if (model) await closeWithin(model, ms);
  }
}
