// The live figures at the top of the admin page. Counts come from the database, queue
// depths from RabbitMQ over AMQP (one passive queue check per client: the management API
// is not assumed), rates from this node's counters.
import { BrokerUnavailable } from '../broker/broker.js';
import { checkHealth, type HealthProbes, type HealthReport } from '../observability/heartbeat.js';
import type { MinuteRates, RateSnapshot } from '../observability/rates.js';
import type { Services } from '../services.js';
import type { StoreCounts } from '../store/store.js';

/** Queue checks per refresh; beyond this the totals are marked partial. */
export const MAX_QUEUES_CHECKED = 5000;
const QUEUE_CHECK_CONCURRENCY = 16;
/** Queue totals are recomputed at most this often, however many admins are watching. */
const QUEUE_REFRESH_MS = 5_000;

export interface QueueTotals {
  /** Messages waiting in client queues (ready ones; those sent and not yet acked are not counted). */
  messages: number;
  /** Client queues with a consumer: devices connected to any node. */
  connectedClients: number;
  queuesChecked: number;
  /** True when there are more clients than MAX_QUEUES_CHECKED. */
  partial: boolean;
  at: string;
}

export type Health = HealthReport;

export interface Figures {
  node: { connectedClients: number; uptimeSeconds: number };
  queues: QueueTotals | null;
  counts: StoreCounts | null;
  health: Health;
  rates: RateSnapshot;
  penaltyBox: { size: number; memcachedSync: boolean };
}

/** The sum of one numeric field over every worker's answer. */
function sumOf(answers: readonly unknown[], field: string): number {
  let sum = 0;
  for (const answer of answers) {
    const value = (answer as Record<string, unknown> | null)?.[field];
    if (typeof value === 'number') sum += value;
  }
  return sum;
}

export class LiveFigures {
  private queueTotals: QueueTotals | null = null;
  private queueRefresh: Promise<void> | null = null;
  private readonly startedAt = Date.now();

  constructor(
    private readonly services: Services,
    private readonly probes: HealthProbes,
    private readonly rates: MinuteRates,
  ) {}

  async current(): Promise<Figures> {
    const { store, dos, group } = this.services;
    const health = await checkHealth(this.probes);
    const { rabbitmq, database } = health;
    // Counts are shown as unknown when the query fails; the health figures say why.
    const counts = database === 'ok' ? await store.counts().catch(() => null) : null;
    if (rabbitmq === 'ok') this.refreshQueues();
    // A fresh sample, so the last-minute figures include what happened a moment ago.
    await this.rates.sample();
    return {
      node: {
        connectedClients: sumOf(await group.gather('node-figures'), 'connectedClients'),
        uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      },
      queues: this.queueTotals,
      counts,
      health,
      rates: this.rates.snapshot(),
      penaltyBox: { size: dos.boxed().length, memcachedSync: dos.sharedBoxReachable },
    };
  }

  /** Starts a background recount when the last one is old; the page shows the last result. */
  refreshQueues(): Promise<void> {
    const fresh =
      this.queueTotals && Date.now() - Date.parse(this.queueTotals.at) < QUEUE_REFRESH_MS;
    if (fresh) return Promise.resolve();
    this.queueRefresh ??= this.countQueues()
      .then((totals) => {
        this.queueTotals = totals;
      })
      // The page keeps showing the last totals; a broker or database outage shows in health.
      .catch(() => {})
      .finally(() => {
        this.queueRefresh = null;
      });
    return this.queueRefresh;
  }

  private async countQueues(): Promise<QueueTotals> {
    const { store, broker } = this.services;
    const ids = await store.listClientIds(MAX_QUEUES_CHECKED + 1);
    const partial = ids.length > MAX_QUEUES_CHECKED;
    const checked = ids.slice(0, MAX_QUEUES_CHECKED);
    let messages = 0;
    let connectedClients = 0;
    for (let i = 0; i < checked.length; i += QUEUE_CHECK_CONCURRENCY) {
      const batch = checked.slice(i, i + QUEUE_CHECK_CONCURRENCY);
      const stats = await Promise.all(
        batch.map((id) =>
          broker.queueStats(id).catch((err: unknown) => {
            if (err instanceof BrokerUnavailable) throw err;
            return null;
          }),
        ),
      );
      for (const s of stats) {
        if (!s) continue;
        messages += s.messages;
        if (s.consumers > 0) connectedClients++;
      }
    }
    return {
      messages,
      connectedClients,
      queuesChecked: checked.length,
      partial,
      at: new Date().toISOString(),
    };
  }
}
