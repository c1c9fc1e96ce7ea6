// (a) The raw RabbitMQ ceiling: amqplib alone, through the server's own topology shape —
// a durable direct "incoming" exchange, a durable fanout exchange per user bound to it
// with the endpoint token as routing key (exchange-to-exchange), a durable classic queue
// per client bound to its user's exchange — publishing persistent + mandatory messages
// with the server's own message properties and pipelined confirms, and consuming every
// queue on its own channel with manual acks and the server's prefetch. No HTTP, no
// WebSocket, no JSON: what the server could reach if it cost nothing. `npm run bench` runs
// it through the seeded users' own objects (the same queues the server then delivers from).
import { randomBytes } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { batchWritesPerTurn } from '../server/broker/amqp-socket.js';
import { encodeEnvelope, type PushMessage, publishOptions } from '../server/broker/message.js';
import { newId } from '../server/security/tokens.js';
import { startCpuMeter } from './cpu.js';
import { DeliveryMatcher, perSecond, summarize } from './latency.js';
import { type PhaseResult, type Shape, waitUntil } from './phase.js';

/** As the server: each consuming channel on a connection holding at most this many. */
const CHANNELS_PER_CONNECTION = 1000;
/** Parallel channels used to declare (and delete) the topology quickly. */
const TOPOLOGY_CHANNELS = 8;

export interface CeilingOptions {
  amqpUrl: string;
  shape: Shape;
  warmup: number;
  messages: number;
  /** Unconfirmed publishes kept outstanding (the pipeline depth). */
  inFlight: number;
  /** Messages sent one at a time after the timed phase, for latency without queueing. */
  probe: number;
  prefetch: number;
  bodies: readonly Buffer[];
  rabbitPid: number | null;
  /**
   * The server's own objects for these users, already declared (bench/seed.ts): published
   * to and consumed from as they are, and left in place. Without it a topology of the same
   * shape is declared for the run and deleted after.
   */
  seeded?: Topology;
  log(line: string): void;
}

export interface Topology {
  incoming: string;
  userExchanges: string[];
  /** Routing key (the "endpoint token") of each user's one subscription. */
  tokens: string[];
  queues: string[];
}

function topologyFor(shape: Shape): Topology {
  // A fresh prefix per run, so an interrupted earlier run can never collide with this one.
  const prefix = `bench.${randomBytes(4).toString('hex')}`;
  const userExchanges: string[] = [];
  const tokens: string[] = [];
  const queues: string[] = [];
  for (let u = 0; u < shape.users; u++) {
    userExchanges.push(`${prefix}.user.${u}`);
    tokens.push(randomBytes(32).toString('base64url'));
    for (let c = 0; c < shape.clientsPerUser; c++) queues.push(`${prefix}.client.${u}.${c}`);
  }
  return { incoming: `${prefix}.incoming`, userExchanges, tokens, queues };
}

/** Runs `work` over `items` on a few channels in parallel (each channel serialises RPCs). */
export async function onChannels<T>(
  channels: Channel[],
  items: readonly T[],
  work: (ch: Channel, item: T) => Promise<unknown>,
): Promise<void> {
  await Promise.all(
    channels.map(async (ch, k) => {
      for (let i = k; i < items.length; i += channels.length) await work(ch, items[i]!);
    }),
  );
}

async function declare(model: ChannelModel, t: Topology, shape: Shape): Promise<void> {
  const channels = await Promise.all(
    Array.from({ length: TOPOLOGY_CHANNELS }, () => model.createChannel()),
  );
  await channels[0]!.assertExchange(t.incoming, 'direct', { durable: true });
  const users = t.userExchanges.map((exchange, u) => ({ exchange, u }));
  await onChannels(channels, users, async (ch, { exchange, u }) => {
    await ch.assertExchange(exchange, 'fanout', { durable: true });
    await ch.bindExchange(exchange, t.incoming, t.tokens[u]!);
    for (let c = 0; c < shape.clientsPerUser; c++) {
      const queue = t.queues[u * shape.clientsPerUser + c]!;
      await ch.assertQueue(queue, { durable: true });
      await ch.bindQueue(queue, exchange, '');
    }
  });
  await Promise.all(channels.map((ch) => ch.close()));
}

async function teardown(model: ChannelModel, t: Topology): Promise<void> {
  const channels = await Promise.all(
    Array.from({ length: TOPOLOGY_CHANNELS }, () => model.createChannel()),
  );
  await onChannels(channels, t.queues, (ch, q) => ch.deleteQueue(q));
  // Deleting a user exchange also removes its binding from the incoming exchange.
  await onChannels(channels, t.userExchanges, (ch, x) => ch.deleteExchange(x));
  await channels[0]!.deleteExchange(t.incoming);
  await Promise.all(channels.map((ch) => ch.close()));
}

/** Holds the consumers of one phase's deliveries; the matcher is swapped between phases. */
class Consumers {
  matcher = new DeliveryMatcher();
  private readonly channels: Channel[] = [];

  async open(models: ChannelModel[], queues: readonly string[], prefetch: number): Promise<void> {
    const batch = 100;
    for (let i = 0; i < queues.length; i += batch) {
      await Promise.all(
        queues.slice(i, i + batch).map(async (queue, k) => {
          const model = models[Math.floor((i + k) / CHANNELS_PER_CONNECTION)]!;
          const ch = await model.createChannel();
          batchWritesPerTurn(ch);
          this.channels.push(ch);
          await ch.prefetch(prefetch);
          await ch.consume(
            queue,
            (msg) => {
              if (!msg) return;
              const id = msg.properties.messageId;
              if (typeof id === 'string') this.matcher.delivered(id, performance.now());
              ch.ack(msg);
            },
            { noAck: false },
          );
        }),
      );
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.channels.map((ch) => ch.close().catch(() => {})));
  }
}

interface PublishRound {
  startedAt: number;
  lastConfirmAt: number;
  confirmLatencies: number[];
  nacked: number;
  returned: number;
}

/** Publishes `count` messages round-robin over the users, `inFlight` unconfirmed at most. */
async function publishRound(
  ch: ConfirmChannel,
  t: Topology,
  options: CeilingOptions,
  { count, inFlight }: { count: number; inFlight: number },
  matcher: DeliveryMatcher,
  returnedIds: Set<string>,
): Promise<PublishRound> {
  const round: PublishRound = {
    startedAt: performance.now(),
    lastConfirmAt: 0,
    confirmLatencies: [],
    nacked: 0,
    returned: 0,
  };
  let outstanding = 0;
  let wake: (() => void) | null = null;
  const receivedAt = new Date().toISOString();
  for (let i = 0; i < count; i++) {
    while (outstanding >= inFlight) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    const u = i % options.shape.users;
    const message: PushMessage = {
      messageId: newId(),
      subscriptionId: `bench-sub-${u}`,
      body: options.bodies[i % options.bodies.length]!,
      encoding: 'aes128gcm',
      encryption: null,
      cryptoKey: null,
      ttl: 3600,
      urgency: 'normal',
      topic: null,
      receivedAt,
    };
    const startedAt = performance.now();
    matcher.started(message.messageId, startedAt, options.shape.clientsPerUser);
    outstanding += 1;
    const writable = ch.publish(
      t.incoming,
      t.tokens[u]!,
      encodeEnvelope(message),
      publishOptions(message),
      (err: unknown) => {
        const now = performance.now();
        outstanding -= 1;
        round.lastConfirmAt = now;
        round.confirmLatencies.push(now - startedAt);
        if (err) round.nacked += 1;
        if (returnedIds.delete(message.messageId)) round.returned += 1;
        const w = wake;
        wake = null;
        w?.();
      },
    );
    // The socket's buffer is full: let it drain before writing more, as the server does.
    if (!writable) await new Promise<void>((resolve) => ch.once('drain', () => resolve()));
  }
  await ch.waitForConfirms();
  return round;
}

export async function runRabbitCeiling(options: CeilingOptions): Promise<PhaseResult> {
  const { shape, seeded } = options;
  const t = seeded ?? topologyFor(shape);
  const admin = await amqp.connect(options.amqpUrl);
  const publisherModel = await amqp.connect(options.amqpUrl);
  const consumerModels: ChannelModel[] = [];
  const consumers = new Consumers();
  try {
    if (seeded) {
      options.log(`through the seeded ${t.userExchanges.length} users' objects`);
    } else {
      options.log(`declaring ${t.userExchanges.length} user exchanges, ${t.queues.length} queues`);
      await declare(admin, t, shape);
    }
    for (let i = 0; i < Math.ceil(t.queues.length / CHANNELS_PER_CONNECTION); i++) {
      consumerModels.push(await amqp.connect(options.amqpUrl));
    }
    await consumers.open(consumerModels, t.queues, options.prefetch);

    const ch = await publisherModel.createConfirmChannel();
    batchWritesPerTurn(ch);
    const returnedIds = new Set<string>();
    ch.on('return', (msg) => {
      if (typeof msg.properties.messageId === 'string') returnedIds.add(msg.properties.messageId);
    });

    const expectedOf = (n: number) => n * shape.clientsPerUser;
    options.log(`warm-up: ${options.warmup} messages`);
    const loaded = { inFlight: options.inFlight };
    await publishRound(
      ch,
      t,
      options,
      { ...loaded, count: options.warmup },
      consumers.matcher,
      returnedIds,
    );
    await waitUntil(() => consumers.matcher.matched >= expectedOf(options.warmup), 60_000);

    options.log(`timed: ${options.messages} messages`);
    const matcher = new DeliveryMatcher();
    consumers.matcher = matcher;
    const cpu = startCpuMeter(null, options.rabbitPid);
    const round = await publishRound(
      ch,
      t,
      options,
      { ...loaded, count: options.messages },
      matcher,
      returnedIds,
    );
    const complete = await waitUntil(() => matcher.matched >= expectedOf(options.messages), 60_000);
    const cpuShare = cpu.stop();

    options.log(`probe: ${options.probe} messages one at a time`);
    const probe = new DeliveryMatcher();
    consumers.matcher = probe;
    await publishRound(ch, t, options, { count: options.probe, inFlight: 1 }, probe, returnedIds);
    await waitUntil(() => probe.matched >= expectedOf(options.probe), 60_000);

    const end = Math.max(round.lastConfirmAt, matcher.lastDeliveryAt);
    const seconds = (end - round.startedAt) / 1000;

    const problems: string[] = [];
    if (round.nacked) problems.push(`${round.nacked} publishes nacked`);
    if (round.returned) problems.push(`${round.returned} publishes returned unroutable`);
    if (!complete) {
      problems.push(`${expectedOf(options.messages) - matcher.matched} deliveries missing`);
    }
    if (matcher.extra + matcher.unknownDeliveries > 0) {
      problems.push(`${matcher.extra + matcher.unknownDeliveries} unexpected deliveries`);
    }
    await ch.close();
    return {
      path: 'rabbitmq',
      shape,
      messages: options.messages,
      deliveries: matcher.matched,
      expectedDeliveries: expectedOf(options.messages),
      seconds,
      messagesPerSecond: perSecond(options.messages, seconds),
      deliveriesPerSecond: perSecond(matcher.matched, seconds),
      acceptedPerSecond: perSecond(
        options.messages - round.nacked,
        (round.lastConfirmAt - round.startedAt) / 1000,
      ),
      deliveryLatencyMs: summarize(matcher.latencies),
      acceptLatencyMs: summarize(round.confirmLatencies),
      lightLatencyMs: summarize(probe.latencies),
      inFlight: options.inFlight,
      prefetch: options.prefetch,
      problems,
      cpu: cpuShare,
    };
  } finally {
    await consumers.close();
    await Promise.all(consumerModels.map((m) => m.close().catch(() => {})));
    await publisherModel.close().catch(() => {});
    if (!seeded) {
      await teardown(admin, t).catch((err: unknown) => {
        options.log(`cleanup of ${t.incoming}… failed: ${String(err)}`);
      });
    }
    await admin.close().catch(() => {});
  }
}
