// Publishes pushes with publisher confirms. Confirms are pipelined: each publish waits for
// its own confirm, but many are in flight on the channel at once (awaiting them one by one
// in series measured ~6x slower here).
//
// Every publish answers within `timeoutMs` (docs/protocol.md §4: a 503 rather than a hung
// sender): at once while RabbitMQ blocks this connection for a resource alarm, or when no
// confirm came in time. Either way the message may still have been stored — a late confirm
// is simply not waited for — which is the at-least-once case senders are told about.
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { Logger } from '../observability/logger.js';
import { batchWritesPerTurn } from './amqp-socket.js';
import type { BrokerConnection } from './connection.js';
import { encodeEnvelope, type PushMessage, publishOptions } from './message.js';
import { INCOMING_EXCHANGE } from './names.js';

/** `unroutable`: no queue is bound (the user has no device), so nothing was stored. */
export type PublishOutcome = 'stored' | 'unroutable';

/** Routed nowhere: endpoint tokens are 43 base64url characters, never this. */
const PROBE_ROUTING_KEY = 'heartbeat.probe';

export class PublishFailed extends Error {
  constructor(reason: string, cause?: unknown) {
    super(`publish failed: ${reason}`, { cause });
    this.name = 'PublishFailed';
  }
}

export interface PublisherOptions {
  /** Longest wait for a confirm; past it the publish fails (the push answers 503). */
  timeoutMs: number;
  onConfirm?: (seconds: number) => void;
  /** Told when RabbitMQ starts or stops blocking publishes (for metrics). */
  onBlockedChange?: (blocked: boolean) => void;
}

/** A publish waiting for its confirm. */
interface Pending {
  deadline: number;
  settled: boolean;
  expire(): void;
}

/**
 * Publishes waiting for their confirm, oldest first. All share one timeout, so the oldest is
 * always the next to expire: one timer for all of them instead of a timer per publish
 * (setTimeout and clearTimeout per message showed in the CPU profile).
 */
class Deadlines {
  private readonly queue: Pending[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;

  add(pending: Pending, timeoutMs: number): void {
    this.queue.push(pending);
    this.timer ??= setTimeout(() => this.sweep(), timeoutMs);
  }

  private sweep(): void {
    this.timer = null;
    const now = performance.now();
    while (this.head < this.queue.length) {
      const first = this.queue[this.head]!;
      if (!first.settled && first.deadline > now) break;
      this.head++;
      if (!first.settled) first.expire();
    }
    // Drop the swept part now and then, so the array does not grow without end.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    const next = this.queue[this.head];
    if (next) this.timer = setTimeout(() => this.sweep(), Math.max(1, next.deadline - now));
  }
}

export class Publisher {
  private readonly deadlines = new Deadlines();
  private channel: ConfirmChannel | null = null;
  private stopped = false;
  /** Message ids RabbitMQ returned as unroutable; a return always precedes its confirm. */
  private readonly returned = new Set<string>();
  private drained: Promise<void> | null = null;
  private probing: Promise<boolean> | null = null;

  constructor(
    private readonly connection: BrokerConnection,
    private readonly log: Logger,
    private readonly options: PublisherOptions,
  ) {}

  async start(): Promise<void> {
    this.connection.on('up', (model) => void this.reopen(model));
    this.connection.on('down', () => {
      this.channel = null;
    });
    this.connection.on('blocked', (reason) => {
      this.log.warn(
        { event: 'rabbitmq.blocked', reason },
        'RabbitMQ blocks publishing (resource alarm): pushes answer 503 until it lifts',
      );
      this.options.onBlockedChange?.(true);
    });
    this.connection.on('unblocked', () => {
      this.log.info({ event: 'rabbitmq.unblocked' }, 'RabbitMQ accepts publishes again');
      this.options.onBlockedChange?.(false);
    });
    const model = this.connection.current;
    if (model) await this.open(model);
  }

  private async reopen(model: ChannelModel): Promise<void> {
    try {
      await this.open(model);
    } catch (err) {
      this.log.warn({ event: 'rabbitmq.publisher_channel_failed', err });
      // The connection is still there: try again shortly; a new connection brings its own.
      setTimeout(() => {
        if (this.connection.current === model && !this.channel) void this.reopen(model);
      }, 200).unref();
    }
  }

  private async open(model: ChannelModel): Promise<void> {
    if (this.stopped) return;
    const ch = await model.createConfirmChannel();
    // Followed by 'close', where the publisher reopens; pending publishes are rejected.
    batchWritesPerTurn(ch);
    ch.on('error', () => {});
    ch.on('return', (msg) => {
      if (msg.properties.messageId) this.returned.add(msg.properties.messageId);
    });
    ch.on('close', () => {
      if (this.channel !== ch) return;
      this.channel = null;
      // A channel closed under a live connection (a channel error) is opened again.
      if (!this.stopped && this.connection.current === model) {
        setTimeout(() => void this.reopen(model), 200).unref();
      }
    });
    this.channel = ch;
  }

  /** A channel is open and RabbitMQ accepts publishes on it. */
  get ready(): boolean {
    return this.channel !== null && !this.connection.blocked;
  }

  /** True while a resource alarm blocks publishing. */
  get blocked(): boolean {
    return this.connection.blocked;
  }

  publish(routingKey: string, message: PushMessage): Promise<PublishOutcome> {
    if (this.connection.blocked) {
      return Promise.reject(
        new PublishFailed('RabbitMQ blocks publishing (resource alarm); try again later'),
      );
    }
    const started = performance.now();
    return new Promise<PublishOutcome>((resolve, reject) => {
      const pending: Pending = {
        deadline: started + this.options.timeoutMs,
        settled: false,
        expire: () => {
          pending.settled = true;
          reject(new PublishFailed(`no confirm from RabbitMQ within ${this.options.timeoutMs} ms`));
        },
      };
      this.deadlines.add(pending, this.options.timeoutMs);
      const confirmed = (err: unknown) => {
        const wasReturned = this.returned.delete(message.messageId);
        if (pending.settled) return;
        pending.settled = true;
        this.options.onConfirm?.((performance.now() - started) / 1000);
        if (err) reject(new PublishFailed('not confirmed by RabbitMQ', err));
        else resolve(wasReturned ? 'unroutable' : 'stored');
      };
      const send = () => {
        if (pending.settled) return;
        const ch = this.channel;
        if (!ch) {
          confirmed(new Error('no channel to RabbitMQ'));
          return;
        }
        let writable: boolean;
        try {
          writable = ch.publish(
            INCOMING_EXCHANGE,
            routingKey,
            encodeEnvelope(message),
            publishOptions(message),
            confirmed,
          );
        } catch (err) {
          // amqplib throws when the channel closed a moment ago.
          confirmed(err);
          return;
        }
        if (!writable && !this.drained) this.holdUntilDrained(ch);
      };
      if (this.drained) this.drained.then(send);
      else send();
    });
  }

  /**
   * Whether RabbitMQ confirms a publish now, for the heartbeat. RabbitMQ tells a connection
   * that an alarm blocks it only when the connection next publishes, so a quiet server would
   * report `ok` through a whole alarm: this publishes an empty, transient message that no
   * queue receives (routing key PROBE_ROUTING_KEY is never a token) and waits for its confirm.
   * Calls made while one probe is out share it.
   */
  probe(timeoutMs: number): Promise<boolean> {
    this.probing ??= this.probeOnce(timeoutMs).finally(() => {
      this.probing = null;
    });
    return this.probing;
  }

  private probeOnce(timeoutMs: number): Promise<boolean> {
    const ch = this.channel;
    if (!ch || this.connection.blocked) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      try {
        ch.publish(INCOMING_EXCHANGE, PROBE_ROUTING_KEY, Buffer.alloc(0), {}, (err: unknown) => {
          clearTimeout(timer);
          resolve(!err && !this.connection.blocked);
        });
      } catch {
        // The channel closed a moment ago: RabbitMQ cannot take pushes right now.
        clearTimeout(timer);
        resolve(false);
      }
    });
  }

  /** Socket buffer full: hold further publishes until it drains (or the channel dies). */
  private holdUntilDrained(ch: ConfirmChannel): void {
    this.drained = new Promise<void>((done) => {
      const release = () => {
        this.drained = null;
        ch.off('drain', release);
        ch.off('close', release);
        done();
      };
      ch.on('drain', release);
      ch.on('close', release);
    });
  }

  /**
   * Waits up to `timeoutMs` for the confirms still due, then lets go of the channel (the
   * connection's owner closes the connection). Bounded because a blocked or frozen
   * RabbitMQ may never confirm, and shutting down must end.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    const ch = this.channel;
    this.channel = null;
    if (!ch) return;
    let timer: NodeJS.Timeout | undefined;
    // A nack has already rejected its own publish(); this only waits for the rest.
    await Promise.race([
      ch.waitForConfirms().catch(() => {}),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
