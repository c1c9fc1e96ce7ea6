// What each QUEUE_TYPE costs per device (docs/operations.md, "Several nodes"), measured on
// a three-node RabbitMQ cluster of its own (server/testing/rabbitmq-cluster.ts), the shape
// a self-hoster runs quorum queues on: for each type, `devices` client queues are declared
// as the server declares them (clientQueueOptions), each behind its own user exchange bound
// from push.incoming, then
//   - memory: the growth of the three nodes' resident memory (VmRSS), per device;
//   - throughput: `messages` persistent pushes published with pipelined confirms, routed
//     to random devices, consumed with acks, from the first publish to the last ack.
// Self-contained, so `npm run bench` can call measureQueueTypes() and print
// formatQueueTypes(); `npm run bench:queue-types` runs it alone.
import { readFileSync } from 'node:fs';
import amqp, { type Channel, type ConfirmChannel } from 'amqplib';
import { encodeEnvelope, type PushMessage, publishOptions } from '../server/broker/message.js';
import { DEFAULT_QUEUE_BOUNDS } from '../server/broker/queue-bounds.js';
import { clientQueueOptions } from '../server/broker/topology.js';
import type { QueueType } from '../server/config.js';
import { newId } from '../server/security/tokens.js';
import { RabbitCluster } from '../server/testing/rabbitmq-cluster.js';

export interface QueueTypeOptions {
  devices: number;
  messages: number;
  /** Unconfirmed publishes kept outstanding. */
  inFlight: number;
  prefetch: number;
  log(line: string): void;
}

export interface QueueTypeFigures {
  type: QueueType;
  devices: number;
  /** Growth of the cluster's resident memory (all three nodes) per declared device queue. */
  clusterKbPerDevice: number;
  /** Time to declare one device's queue and bindings, on average. */
  declareMsPerDevice: number;
  messages: number;
  messagesPerSecond: number;
}

export const DEFAULT_QUEUE_TYPE_OPTIONS: QueueTypeOptions = {
  devices: 1000,
  messages: 10_000,
  inFlight: 256,
  prefetch: 50,
  log: (line) => console.log(line),
};

function residentKb(pid: number | null): number {
  if (pid === null) return 0;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measureOne(
  cluster: RabbitCluster,
  type: QueueType,
  options: QueueTypeOptions,
): Promise<QueueTypeFigures> {
  const clusterKb = () => cluster.nodes.reduce((sum, n) => sum + residentKb(n.pid), 0);
  const run = newId().slice(0, 8);
  const incoming = `bench.incoming.${run}`;
  const connections = await Promise.all(cluster.urls.map((url) => amqp.connect(url)));
  try {
    const setup = await Promise.all(connections.map((c) => c.createChannel()));
    await setup[0]!.assertExchange(incoming, 'direct', { durable: true });
    await sleep(2000);
    const before = clusterKb();
    const started = performance.now();
    const queues: string[] = [];
    // Declared through every node in turn, as server nodes behind a load balancer would.
    await Promise.all(
      setup.map(async (ch: Channel, c) => {
        for (let i = c; i < options.devices; i += setup.length) {
          const queue = `bench.client.${run}.${i}`;
          const exchange = `bench.user.${run}.${i}`;
          await ch.assertExchange(exchange, 'fanout', { durable: true });
          await ch.assertQueue(queue, clientQueueOptions({ type, bounds: DEFAULT_QUEUE_BOUNDS }));
          await ch.bindQueue(queue, exchange, '');
          await ch.bindExchange(exchange, incoming, `token-${i}`);
          queues[i] = queue;
        }
      }),
    );
    const declareMs = performance.now() - started;
    await sleep(3000);
    const grownKb = clusterKb() - before;
    options.log(
      `${type}: ${options.devices} device queues declared in ${Math.round(declareMs)} ms; ` +
        `cluster memory +${Math.round(grownKb / 1024)} MiB`,
    );

    // Consumers on every queue, spread over the nodes; each ack counts a delivery.
    let acked = 0;
    let allAcked: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      allAcked = resolve;
    });
    const consumers = await Promise.all(connections.map((c) => c.createChannel()));
    for (const ch of consumers) await ch.prefetch(options.prefetch, false);
    for (let i = 0; i < queues.length; i++) {
      const ch = consumers[i % consumers.length]!;
      await ch.consume(queues[i]!, (m) => {
        if (!m) return;
        ch.ack(m);
        if (++acked === options.messages) allAcked();
      });
    }
    const publisher: ConfirmChannel = await connections[0]!.createConfirmChannel();
    const body = Buffer.alloc(200, 1);
    const t0 = performance.now();
    let sent = 0;
    await new Promise<void>((resolve, reject) => {
      let outstanding = 0;
      const pump = () => {
        while (outstanding < options.inFlight && sent < options.messages) {
          const device = Math.floor(Math.random() * options.devices);
          const message: PushMessage = {
            messageId: newId(),
            subscriptionId: 'bench',
            body,
            encoding: 'aes128gcm',
            encryption: null,
            cryptoKey: null,
            ttl: 600,
            urgency: 'normal',
            topic: null,
            receivedAt: new Date().toISOString(),
          };
          outstanding++;
          sent++;
          publisher.publish(
            incoming,
            `token-${device}`,
            encodeEnvelope(message),
            publishOptions(message),
            (err: unknown) => {
              outstanding--;
              if (err) reject(err instanceof Error ? err : new Error(String(err)));
              else if (sent < options.messages) pump();
              else if (outstanding === 0) resolve();
            },
          );
        }
      };
      pump();
    });
    await done;
    const seconds = (performance.now() - t0) / 1000;
    const messagesPerSecond = options.messages / seconds;
    options.log(`${type}: ${options.messages} pushes in ${seconds.toFixed(1)} s`);

    // Tidy up, so the next type starts from the same cluster.
    for (const ch of consumers) await ch.close();
    await Promise.all(
      setup.map(async (ch: Channel, c) => {
        for (let i = c; i < options.devices; i += setup.length) {
          await ch.deleteQueue(queues[i]!);
          await ch.deleteExchange(`bench.user.${run}.${i}`);
        }
      }),
    );
    await setup[0]!.deleteExchange(incoming);
    return {
      type,
      devices: options.devices,
      clusterKbPerDevice: grownKb / options.devices,
      declareMsPerDevice: declareMs / options.devices,
      messages: options.messages,
      messagesPerSecond,
    };
  } finally {
    await Promise.all(connections.map((c) => c.close().catch(() => {})));
  }
}

/** Starts a three-node cluster, measures classic then quorum queues, stops the cluster. */
export async function measureQueueTypes(
  options: QueueTypeOptions = DEFAULT_QUEUE_TYPE_OPTIONS,
): Promise<QueueTypeFigures[]> {
  options.log('queue types: starting a three-node RabbitMQ cluster of its own…');
  const cluster = await RabbitCluster.start(3);
  try {
    const figures: QueueTypeFigures[] = [];
    for (const type of ['classic', 'quorum'] as const) {
      figures.push(await measureOne(cluster, type, options));
    }
    return figures;
  } finally {
    await cluster.stop();
  }
}

/** A Markdown section for the benchmark's report. */
export function formatQueueTypes(figures: QueueTypeFigures[]): string {
  const rows = figures.map(
    (f) =>
      `| ${f.type} | ${f.devices} | ${Math.round(f.clusterKbPerDevice)} KB | ` +
      `${f.declareMsPerDevice.toFixed(1)} ms | ${Math.round(f.messagesPerSecond).toLocaleString('en')} msgs/s |`,
  );
  return [
    '### Cost per device of each QUEUE_TYPE (three-node RabbitMQ cluster)',
    '',
    '| QUEUE_TYPE | devices | cluster memory per device | declaring a device | persistent pushes, confirmed and acked |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
