// `npm run bench` (via scripts/bench.sh): (a) the raw RabbitMQ ceiling and (b) the full
// path through the server, for 1 user × 1 client and for many users × 2 clients, in one
// run on this machine; prints a table and writes bench/results/latest.json.
//
// Knobs (environment), with their defaults:
//   BENCH_MESSAGES=20000   messages per timed phase
//   BENCH_WARMUP=2000      untimed messages before each timed phase
//   BENCH_PROBE=1000       messages sent one at a time after it, for unloaded latency
//   BENCH_USERS=1000       users in the big shape …
//   BENCH_CLIENTS=2        … and clients per user there
//   BENCH_CONCURRENCY=64   POSTs (b) / unconfirmed publishes (a) in flight
//   DELIVERY_PREFETCH=50   as the server's default; passed to the server child too
//   BENCH_SETUP_PARALLEL=4 users created at once during setup
//   BENCH_AMQP_URL         set by scripts/bench.sh to a dedicated vhost when it can make one
//   BENCH_VHOST_NOTE       how that URL was chosen, for the report
//   BENCH_SERVER_NODE_ARGS extra node flags for the server child, e.g. "--cpu-prof
//                          --cpu-prof-dir=/tmp/prof" (NODE_OPTIONS refuses profiling flags)
import { cpus, loadavg } from 'node:os';
import amqp from 'amqplib';
import { clientQueue, userExchange } from '../server/broker/names.js';
import { startServerProcess } from '../server/testing/server-process.js';
import {
  deriveSubscriptionKeys,
  encryptPushPayload,
  generateSecretKey,
} from '../shared/crypto/index.js';
import { findRabbitPid } from './cpu.js';
import { runFullPath } from './full-path.js';
import type { PhaseResult, Shape } from './phase.js';
import { runRabbitCeiling } from './rabbit-ceiling.js';
import { type BenchReport, formatReport, writeReport } from './report.js';
import { type BenchUser, createBenchUsers, makePlaintext } from './setup.js';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
}

const settings = {
  messages: intFromEnv('BENCH_MESSAGES', 20_000),
  warmup: intFromEnv('BENCH_WARMUP', 2_000),
  users: intFromEnv('BENCH_USERS', 1_000),
  clientsPerUser: intFromEnv('BENCH_CLIENTS', 2),
  concurrency: intFromEnv('BENCH_CONCURRENCY', 64),
  probe: intFromEnv('BENCH_PROBE', 1_000),
  prefetch: intFromEnv('DELIVERY_PREFETCH', 50),
  setupParallel: intFromEnv('BENCH_SETUP_PARALLEL', 4),
  amqpUrl:
    process.env.BENCH_AMQP_URL || process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672',
  vhostNote: process.env.BENCH_VHOST_NOTE || 'default vhost; bench objects deleted by name',
};
const RESULTS = 'bench/results/latest.json';
/** Distinct bodies per user: the server never reads them, so a few per subscription do. */
const BODIES_SMALL = 64;
const BODIES_BIG = 2;

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

function section(title: string): (line: string) => void {
  return (line) => log(`${title}: ${line}`);
}

/** Bodies for path (a): encrypted for some subscription's keys, like the real ones. */
function ceilingBodies(count: number): Buffer[] {
  const keys = deriveSubscriptionKeys(generateSecretKey(), 'bench-ceiling');
  return Array.from({ length: count }, () => {
    const b = encryptPushPayload({
      plaintext: makePlaintext(),
      uaPublicKey: keys.publicKey,
      authSecret: keys.auth,
    });
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  });
}

async function rabbitVersion(url: string): Promise<string> {
  const model = await amqp.connect(url);
  const version = model.connection.serverProperties.version ?? 'unknown';
  await model.close();
  return version;
}

/** The server's own RabbitMQ objects for the bench users: their client queues and user exchanges. */
async function deleteServerTopology(url: string, users: readonly BenchUser[]): Promise<void> {
  const model = await amqp.connect(url);
  try {
    const channels = await Promise.all(Array.from({ length: 8 }, () => model.createChannel()));
    const queues = users.flatMap((u) => u.clients.map((c) => clientQueue(c.clientId)));
    const exchanges = users.map((u) => userExchange(u.userId));
    const each = async (names: string[], del: (ch: amqp.Channel, n: string) => Promise<unknown>) =>
      Promise.all(
        channels.map(async (ch, k) => {
          for (let i = k; i < names.length; i += channels.length) await del(ch, names[i]!);
        }),
      );
    await each(queues, (ch, q) => ch.deleteQueue(q));
    await each(exchanges, (ch, x) => ch.deleteExchange(x));
    await Promise.all(channels.map((ch) => ch.close()));
  } finally {
    await model.close().catch(() => {});
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  // Other work on the machine skews every figure; the 1-minute load says how quiet it was.
  const loadAtStart = loadavg()[0] ?? 0;
  const rabbitPid = findRabbitPid();
  const version = await rabbitVersion(settings.amqpUrl);
  const small: Shape = { users: 1, clientsPerUser: 1 };
  const big: Shape = { users: settings.users, clientsPerUser: settings.clientsPerUser };
  const bodies = ceilingBodies(BODIES_SMALL);
  const bodyBytes = bodies[0]!.byteLength;

  const ceiling = (shape: Shape, name: string) =>
    runRabbitCeiling({
      amqpUrl: settings.amqpUrl,
      shape,
      warmup: settings.warmup,
      messages: settings.messages,
      inFlight: settings.concurrency,
      probe: settings.probe,
      prefetch: settings.prefetch,
      bodies,
      rabbitPid,
      log: section(`(a) ${name}`),
    });
  const aSmall = await ceiling(small, '1×1');
  const aBig = await ceiling(big, `${big.users}×${big.clientsPerUser}`);

  log('starting the server as a child process');
  const server = await startServerProcess({
    amqpUrl: settings.amqpUrl,
    prefetch: settings.prefetch,
    // The load generator is one address sending far beyond the default DoS limits; a real
    // deployment would allow-list a trusted bulk sender the same way. Requests are still
    // counted, so the per-request DoS bookkeeping is part of what is measured.
    // Setup signs up 1000 accounts: at the production scrypt cost (2^17, one sign-up hash at
    // a time) that alone would take minutes, and hashing is not what is measured.
    env: { DOS_ALLOW_LIST: '127.0.0.1', PASSWORD_SCRYPT_LOG_N: '14' },
    nodeArgs: (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
  });
  const serverMode =
    `child process (node --import tsx server/main.ts, pid ${server.pid}); LOG_LEVEL=warn, ` +
    `SQLite in a temp dir, DOS_ALLOW_LIST=127.0.0.1, PASSWORD_SCRYPT_LOG_N=14; load generator and WebSocket clients ` +
    `in this process`;
  const allUsers: BenchUser[] = [];
  let bSmall: PhaseResult;
  let bBig: PhaseResult;
  let setupSeconds = 0;
  try {
    const full = (users: BenchUser[], name: string) =>
      runFullPath({
        server,
        users,
        warmup: settings.warmup,
        messages: settings.messages,
        concurrency: settings.concurrency,
        probe: settings.probe,
        prefetch: settings.prefetch,
        rabbitPid,
        log: section(`(b) ${name}`),
      });
    const setup0 = performance.now();
    const one = await createBenchUsers(server.url, {
      count: 1,
      clientsPerUser: 1,
      bodiesPerUser: BODIES_SMALL,
      parallel: 1,
      progress: () => {},
    });
    allUsers.push(...one);
    setupSeconds += (performance.now() - setup0) / 1000;
    bSmall = await full(one, '1×1');

    const setup1 = performance.now();
    log(
      `creating ${big.users} users × ${big.clientsPerUser} clients × 1 subscription through ` +
        `the API (${settings.setupParallel} at a time; scrypt makes this the slow part)`,
    );
    const many = await createBenchUsers(server.url, {
      count: big.users,
      clientsPerUser: big.clientsPerUser,
      bodiesPerUser: BODIES_BIG,
      parallel: settings.setupParallel,
      progress: (done) =>
        log(`  ${done}/${big.users} users (${((performance.now() - setup1) / 1000).toFixed(0)} s)`),
    });
    allUsers.push(...many);
    setupSeconds += (performance.now() - setup1) / 1000;
    bBig = await full(many, `${big.users}×${big.clientsPerUser}`);
  } finally {
    await server.stop();
    await deleteServerTopology(settings.amqpUrl, allUsers).catch((err: unknown) =>
      log(`cleanup of the server's bench queues failed: ${String(err)}`),
    );
  }

  const cpu = cpus()[0];
  const report: BenchReport = {
    startedAt,
    machine: {
      node: process.versions.node,
      cpus: cpus().length,
      cpuModel: cpu ? cpu.model.trim() : 'unknown',
      rabbitmq: version,
      loadAverageAtStart: Number(loadAtStart.toFixed(2)),
    },
    settings: {
      probePerPhase: settings.probe,
      messagesPerPhase: settings.messages,
      warmupPerPhase: settings.warmup,
      concurrency: settings.concurrency,
      prefetch: settings.prefetch,
      bodyBytes,
      serverMode,
      vhost: `${settings.amqpUrl.replace(/\/\/[^@/]*@/, '//')} — ${settings.vhostNote}`,
    },
    shapes: [
      { shape: small, rabbitmq: aSmall, server: bSmall, ratio: ratio(bSmall, aSmall) },
      { shape: big, rabbitmq: aBig, server: bBig, ratio: ratio(bBig, aBig) },
    ],
    setupSeconds,
    totalSeconds: (performance.now() - started) / 1000,
  };
  writeReport(RESULTS, report);
  process.stdout.write(`${formatReport(report)}\nJSON: ${RESULTS}\n`);
  const failed = report.shapes.some((s) => s.rabbitmq.problems.length || s.server.problems.length);
  if (failed) process.exitCode = 1;
}

function ratio(server: PhaseResult, rabbit: PhaseResult): number {
  return rabbit.messagesPerSecond > 0 ? server.messagesPerSecond / rabbit.messagesPerSecond : 0;
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
