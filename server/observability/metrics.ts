// Prometheus metrics. One registry per server instance so several servers can run in one
// process (tests) without sharing counters.
import {
  AggregatorRegistry,
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from 'prom-client';
import type { ProcessGroup } from '../workers/group.js';

export type BackingService = 'rabbitmq' | 'memcached' | 'database';

/**
 * Counts of a per-message counter kept as plain numbers, handed to prom-client when it is
 * scraped. prom-client hashes and validates the label object on every inc(), children
 * included: a few µs per message, a measurable share of a push (docs/performance.md).
 */
class LocalCounts<L extends string> {
  private readonly counts = new Map<
    string,
    { labels: Partial<Record<L, string>>; n: number; synced: number }
  >();

  add(key: string, labels: () => Partial<Record<L, string>>): void {
    const entry = this.counts.get(key);
    if (entry) entry.n++;
    else this.counts.set(key, { labels: labels(), n: 1, synced: 0 });
  }

  /** Adds to `counter` what was counted here since the last sync. */
  sync(counter: Counter<L>): void {
    for (const entry of this.counts.values()) {
      if (entry.n === entry.synced) continue;
      counter.inc(entry.labels, entry.n - entry.synced);
      entry.synced = entry.n;
    }
  }
}

export class Metrics {
  readonly registry = new Registry();

  private readonly localRequests = new LocalCounts<'route' | 'method' | 'status'>();
  private readonly localAccepted = new LocalCounts<'urgency'>();
  private readonly localDeliveries = new LocalCounts<'redelivered'>();
  private localAcks = 0;
  private syncedAcks = 0;

  readonly httpRequests: Counter<'route' | 'method' | 'status'> = new Counter({
    name: 'push_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
    collect: (): void => this.localRequests.sync(this.httpRequests),
  });
  readonly httpDuration = new Histogram({
    name: 'push_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route', 'method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly pushesAccepted: Counter<'urgency'> = new Counter({
    name: 'push_pushes_accepted_total',
    help: 'Pushes stored durably (201)',
    labelNames: ['urgency'] as const,
    registers: [this.registry],
    collect: (): void => this.localAccepted.sync(this.pushesAccepted),
  });
  readonly pushesRejected = new Counter({
    name: 'push_pushes_rejected_total',
    help: 'Pushes refused, by reason (the error code answered)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly deliveries: Counter<'redelivered'> = new Counter({
    name: 'push_deliveries_total',
    help: 'Notifications sent to a connected client (redeliveries included)',
    labelNames: ['redelivered'] as const,
    registers: [this.registry],
    collect: (): void => this.localDeliveries.sync(this.deliveries),
  });
  readonly acks: Counter = new Counter({
    name: 'push_acks_total',
    help: 'Notifications acknowledged by clients',
    registers: [this.registry],
    collect: (): void => {
      if (this.localAcks === this.syncedAcks) return;
      this.acks.inc(this.localAcks - this.syncedAcks);
      this.syncedAcks = this.localAcks;
    },
  });
  readonly expired = new Counter({
    name: 'push_expired_total',
    help: 'Messages dropped at delivery time because their TTL had passed',
    registers: [this.registry],
  });
  readonly queueDropped = new Counter({
    name: 'push_queue_dropped_total',
    help: 'Messages client queues dropped: the oldest of a full queue (overflow), or one whose TTL ran out while waiting (expired)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly superseded = new Counter({
    name: 'push_topic_superseded_total',
    help: 'Messages dropped at delivery time because a newer one with the same Topic exists',
    registers: [this.registry],
  });
  readonly connectionsRefused = new Counter({
    name: 'push_connections_refused_total',
    help: 'WebSockets closed with 1013 (try again later): this process is full, or too many devices are identifying at once',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly connectedClients = new Gauge({
    name: 'push_connected_clients',
    help: 'WebSocket sessions identified on this server',
    registers: [this.registry],
  });
  readonly publishConfirmSeconds = new Histogram({
    name: 'push_broker_publish_confirm_seconds',
    help: 'Time from publish to RabbitMQ confirm',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly brokerBlocked = new Gauge({
    name: 'push_broker_blocked',
    help: 'Processes whose publishing RabbitMQ blocks right now (a memory or disk alarm)',
    registers: [this.registry],
  });
  readonly brokerBlockedTotal = new Counter({
    name: 'push_broker_blocked_total',
    help: 'Times RabbitMQ started blocking publishing (a memory or disk alarm)',
    registers: [this.registry],
  });
  readonly penaltyBoxSize = new Gauge({
    name: 'push_penalty_box_size',
    help: 'IP addresses currently in the penalty box (blacklisted) as seen by this server',
    registers: [this.registry],
  });
  readonly penaltyBoxRejections = new Counter({
    name: 'push_penalty_box_rejections_total',
    help: 'Requests answered 429 because the IP was in the penalty box',
    registers: [this.registry],
  });
  /** Read at scrape time by `serviceUp` (see watchHealth). */
  private healthSources: Partial<Record<BackingService, () => boolean>> = {};
  readonly serviceUp: Gauge<'service'> = new Gauge({
    name: 'push_backing_service_up',
    help: '1 when the backing service answers, 0 when it is down',
    labelNames: ['service'] as const,
    registers: [this.registry],
    collect: () => {
      for (const [service, up] of Object.entries(this.healthSources)) {
        this.serviceUp.set({ service }, up() ? 1 : 0);
      }
    },
  });
  readonly dosBoxed = new Counter({
    name: 'push_dos_boxed_total',
    help: 'IP addresses put in the penalty box by this server, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly dosWouldBox = new Counter({
    name: 'push_dos_would_box_total',
    help: 'Observe-only mode: times an IP went over a threshold and would have been boxed',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly dosBadRequests = new Counter({
    name: 'push_dos_bad_requests_total',
    help: 'Requests counted as bad (a client error: 400/401/403/404/405/413/415)',
    registers: [this.registry],
  });
  readonly dosTrackedIps = new Gauge({
    name: 'push_dos_tracked_ips',
    help: 'IP addresses in the DoS counters (the LRU) of this server',
    registers: [this.registry],
  });
  readonly dosSyncFailures = new Counter({
    name: 'push_dos_sync_failures_total',
    help: 'Background syncs of the shared penalty box that failed (memcached down or busy)',
    registers: [this.registry],
  });
  readonly adminActions = new Counter({
    name: 'push_admin_actions_total',
    help: 'Actions taken on the admin page, by action',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });

  // The per-message counters, resolved once per label value: prom-client hashes the label
  // object on every inc(), a measurable share of a push's CPU (docs/performance.md).
  countDelivery(redelivered: boolean): void {
    const value = redelivered ? 'true' : 'false';
    this.localDeliveries.add(value, () => ({ redelivered: value }));
  }

  countAck(): void {
    this.localAcks++;
  }

  countAccepted(urgency: string): void {
    this.localAccepted.add(urgency, () => ({ urgency }));
  }

  /** For the node:http fast paths; Hono's routes count with httpRequests.inc directly. */
  countRequest(route: string, method: string, status: number): void {
    this.localRequests.add(`${method} ${route} ${status}`, () => ({
      route,
      method,
      status: String(status),
    }));
  }

  noteBrokerBlocked(blocked: boolean): void {
    this.brokerBlocked.set(blocked ? 1 : 0);
    if (blocked) this.brokerBlockedTotal.inc();
  }

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
    }
  }

  /** Cheap up/down readings (no network) that `push_backing_service_up` reports at each scrape. */
  watchHealth(sources: Partial<Record<BackingService, () => boolean>>): void {
    this.healthSources = { ...this.healthSources, ...sources };
  }

  /** Read at scrape time by the consumer gauges (see watchConsumers). */
  private consumerStats: () => { consumers: number; channels: number; connections: number } =
    () => ({ consumers: 0, channels: 0, connections: 0 });
  readonly brokerConsumers: Gauge = new Gauge({
    name: 'push_broker_consumers',
    help: 'Client queues this server consumes (one per connected device)',
    registers: [this.registry],
    collect: (): void => this.brokerConsumers.set(this.consumerStats().consumers),
  });
  readonly brokerConsumerChannels: Gauge = new Gauge({
    name: 'push_broker_consumer_channels',
    help: 'AMQP channels carrying those consumers (many consumers share one)',
    registers: [this.registry],
    collect: (): void => this.brokerConsumerChannels.set(this.consumerStats().channels),
  });
  readonly brokerConsumerConnections: Gauge = new Gauge({
    name: 'push_broker_consumer_connections',
    help: 'AMQP connections carrying those channels',
    registers: [this.registry],
    collect: (): void => this.brokerConsumerConnections.set(this.consumerStats().connections),
  });

  watchConsumers(stats: () => { consumers: number; channels: number; connections: number }): void {
    this.consumerStats = stats;
  }
}

/**
 * The Prometheus text of this node: with several worker processes, every worker's metrics
 * aggregated (counters summed, as prom-client's cluster support does); alone, its own.
 */
export async function scrapeNode({
  metrics,
  group,
}: {
  metrics: Metrics;
  group: ProcessGroup;
}): Promise<string> {
  if (group.size <= 1) return metrics.registry.metrics();
  const perWorker = (await group.gather('metrics')).filter(Array.isArray) as Array<
    Array<MetricObjectWithValues<MetricValue<string>>>
  >;
  return AggregatorRegistry.aggregate(perWorker).metrics();
}
