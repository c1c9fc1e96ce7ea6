// `npm run bench` (via scripts/bench.sh): in one run on this machine,
//   - the floor: what a bare node:http server costs per request here;
//   - (a) the RabbitMQ ceiling and (b) the full path through the server, for 100 users × 1
//     device and 1000 users × 2 devices: deliveries/s, b/a, server CPU µs per delivery;
//   - push latency (POST → WebSocket frame) at 1000 pushes/s offered to 100 devices;
//   - connected devices: memory per device (server, RabbitMQ), channels, connect time,
//     push latency at 1000/s while they are all connected, and a herd reconnecting at once;
//   - (full run only) the add-on in idle Firefox ESR and Chromium: reconnects per hour and
//     idle-then-push latency (bench/idle-browsers.ts; BENCH_IDLE_MINUTES=0 skips it).
// Prints a table with the targets and writes bench/results/latest.json.
//
//   npm run bench                  full run (20,000 connected devices; ~6 minutes)
//   npm run bench -- --quick       the same figures, smaller (1,000 devices; under 2 minutes)
//   npm run bench -- --devices 100000 [--herd]
//                                  only the connected-devices figures, for that many devices
//                                  (worker processes and load generators scaled to fit)
//
// Knobs (environment): BENCH_MESSAGES, BENCH_CONCURRENCY (64), DELIVERY_PREFETCH (50),
// BENCH_WORKERS (server worker processes; default one per core but one, and one per 50,000
// devices), BENCH_SERVER_NODE_ARGS
// (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"), BENCH_AMQP_URL (set by scripts/bench.sh to
// a vhost of its own).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { clientQueue, INCOMING_EXCHANGE, userExchange } from '../server/broker/names.js';
import { hashToken } from '../server/security/tokens.js';
import { startServerProcess } from '../server/testing/server-process.js';
import {
  deriveSubscriptionKeys,
  encryptPushPayload,
  generateSecretKey,
} from '../shared/crypto/index.js';
import { type ConnectionsResult, rssKB, runConnections } from './connections.js';
import { findRabbitPid } from './cpu.js';
import { Fleets } from './fleets.js';
import { measureFloor } from './floor.js';
import { runFullPath } from './full-path.js';
import { benchIdleBrowsers } from './idle-browsers.js';
import { type OpenLoopResult, runOpenLoop } from './open-loop.js';
import type { PhaseResult, Shape } from './phase.js';
import { onChannels, runRabbitCeiling, type Topology } from './rabbit-ceiling.js';
import { type BenchReport, formatReport, writeReport } from './report.js';
import { type BenchUser, makePlaintext, opaqueBodies, seedUsers } from './seed.js';

type Mode = 'quick' | 'full' | 'devices';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
}

function parseArgs(argv: string[]): { mode: Mode; devices: number; herd: boolean } {
  const at = argv.indexOf('--devices');
  if (at >= 0) {
    const devices = Number(argv[at + 1]);
    if (!Number.isInteger(devices) || devices <= 0) throw new Error('--devices needs a number');
    return { mode: 'devices', devices, herd: argv.includes('--herd') };
  }
  const quick = argv.includes('--quick');
  return { mode: quick ? 'quick' : 'full', devices: quick ? 1_000 : 20_000, herd: true };
}

const args = parseArgs(process.argv.slice(2));
const quick = args.mode === 'quick';
const settings = {
  messages: intFromEnv('BENCH_MESSAGES', quick ? 5_000 : 20_000),
  warmup: quick ? 500 : 2_000,
  probe: quick ? 100 : 500,
  concurrency: intFromEnv('BENCH_CONCURRENCY', 64),
  prefetch: intFromEnv('DELIVERY_PREFETCH', 50),
  openLoopSeconds: quick ? 5 : 15,
  openLoopRate: 1000,
  floorRequests: quick ? 5_000 : 20_000,
  workers: intFromEnv(
    'BENCH_WORKERS',
    // One core is left to RabbitMQ and the load generators, which share the machine here
    // (measured on 2 cores: 1 worker delivered more than 2); and at most 50,000 devices per
    // worker, so that no process nears its file-handle limit.
    Math.max(availableParallelism() - 1, 1, Math.ceil(args.devices / 50_000)),
  ),
  amqpUrl:
    process.env.BENCH_AMQP_URL || process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672',
  vhostNote: process.env.BENCH_VHOST_NOTE || 'default vhost; bench objects deleted by name',
};
const RESULTS = 'bench/results/latest.json';
const SMALL: Shape = { users: 100, clientsPerUser: 1 };
const BIG: Shape = { users: 1000, clientsPerUser: 2 };
/** Distinct bodies per user: the server never reads them, so a few per subscription do. */
// Encrypting them is most of the seeding time (P-256 in JavaScript), so the quick run makes one.
const BODIES_PER_USER = quick ? 1 : 4;

const runStarted = performance.now();
/** Progress, with the seconds since the start: shows which phase a slow run spent its time in. */
function log(line: string): void {
  const at = ((performance.now() - runStarted) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[bench ${at} s] ${line}\n`);
}

function section(title: string): (line: string) => void {
  return (line) => log(`${title}: ${line}`);
}

/** The server's objects for seeded users, as the ceiling (a) publishes and consumes them. */
function seededTopology(users: readonly BenchUser[]): Topology {
  return {
    incoming: INCOMING_EXCHANGE,
    userExchanges: users.map((u) => userExchange(u.userId)),
    // The server routes by the token's hash (server/security/endpoint-tokens.ts).
    tokens: users.map((u) => hashToken(u.token)),
    queues: users.flatMap((u) => u.clients.map((c) => clientQueue(c.clientId))),
  };
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
    const channels = await Promise.all(Array.from({ length: 16 }, () => model.createChannel()));
    // push.incoming stays: without a vhost of its own the bench shares it with a deployment.
    const { queues, userExchanges } = seededTopology(users);
    await onChannels(channels, queues, (ch, q) => ch.deleteQueue(q));
    await onChannels(channels, userExchanges, (ch, x) => ch.deleteExchange(x));
    await Promise.all(channels.map((ch) => ch.close()));
  } finally {
    await model.close().catch(() => {}); // tidying only
  }
}

/** Latency at 1000 pushes/s offered to the small shape's devices. */
async function openLoopSmall(
  serverUrl: string,
  host: string,
  port: number,
  users: readonly BenchUser[],
): Promise<OpenLoopResult> {
  const fleets = await Fleets.start(
    serverUrl,
    users.map((u) => u.clients[0]!),
  );
  try {
    const connected = await fleets.connect(60_000);
    if (connected.failed) throw new Error(`${connected.failed} devices could not connect`);
    return await runOpenLoop({
      host,
      port,
      rate: settings.openLoopRate,
      seconds: settings.openLoopSeconds,
      targets: users.map((u) => ({ token: u.token, body: u.bodies[0]!, devices: 1 })),
      fleets,
    });
  } finally {
    await fleets.close();
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  // Other work on the machine skews every figure; the 1-minute load says how quiet it was.
  const loadAtStart = loadavg()[0] ?? 0;
  const rabbitPid = findRabbitPid();
  const version = await rabbitVersion(settings.amqpUrl);
  const dir = mkdtempSync(join(tmpdir(), 'push-bench-'));
  const databasePath = join(dir, 'push.db');
  // Given to the seeder and the server alike: endpoint tokens are derived under it.
  const endpointKey = randomBytes(32);
  const allUsers: BenchUser[] = [];
  const throughput = args.mode !== 'devices';

  let floor: BenchReport['floor'] = null;
  const shapes: BenchReport['shapes'] = [];
  let openLoop: OpenLoopResult | null = null;
  let connections: ConnectionsResult | null = null;
  let queueKBPerDevice: number | null = null;
  try {
    let small: BenchUser[] = [];
    let big: BenchUser[] = [];
    let aSmall: PhaseResult | null = null;
    let aBig: PhaseResult | null = null;
    if (throughput) {
      log('floor: a bare node:http server');
      floor = await measureFloor(settings.floorRequests, settings.concurrency);
      // Seeded first, so the ceiling runs through the very exchanges, bindings and bounded
      // queues the server will use (declaring a second set cost a fifth of a quick run).
      log('seeding the throughput users');
      const seed = (shape: Shape, group: string) =>
        seedUsers({
          databasePath,
          amqpUrl: settings.amqpUrl,
          users: shape.users,
          clientsPerUser: shape.clientsPerUser,
          bodiesPerUser: BODIES_PER_USER,
          group,
          endpointKey,
        });
      small = await seed(SMALL, 'small');
      big = await seed(BIG, 'big');
      allUsers.push(...small, ...big);
      const bodies = ceilingBodies(64);
      const ceiling = (shape: Shape, users: BenchUser[]) =>
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
          seeded: seededTopology(users),
          log: section(`(a) ${shape.users}×${shape.clientsPerUser}`),
        });
      aSmall = await ceiling(SMALL, small);
      aBig = await ceiling(BIG, big);
    }
    log(`seeding ${args.devices} devices to connect`);
    const rabbitBeforeQueues = rabbitPid === null ? null : rssKB(rabbitPid);
    const devices = await seedUsers({
      databasePath,
      amqpUrl: settings.amqpUrl,
      users: args.devices,
      clientsPerUser: 1,
      bodiesPerUser: 0,
      group: 'devices',
      endpointKey,
      progress: (n) => log(`  ${n} seeded`),
    });
    allUsers.push(...devices);
    for (const d of devices) d.bodies = opaqueBodies(1);
    const rabbitAfterQueues = rabbitPid === null ? null : rssKB(rabbitPid);
    if (rabbitBeforeQueues !== null && rabbitAfterQueues !== null) {
      queueKBPerDevice = (rabbitAfterQueues - rabbitBeforeQueues) / args.devices;
    }

    log(`starting the server: ${settings.workers} worker processes`);
    const server = await startServerProcess({
      amqpUrl: settings.amqpUrl,
      prefetch: settings.prefetch,
      workers: settings.workers,
      // The load generator and the devices are loopback addresses far beyond the default
      // DoS limits; loopback is allow-listed by default, as for a trusted local sender.
      // Requests are still counted, so the DoS bookkeeping is part of what is measured.
      env: {
        DATABASE_URL: `sqlite:${databasePath}`,
        ENDPOINT_KEY: endpointKey.toString('base64url'),
      },
      nodeArgs: (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
    });
    try {
      if (throughput && aSmall && aBig) {
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
        const bSmall = await full(small, '100×1');
        const bBig = await full(big, '1000×2');
        for (const [a, b] of [
          [aSmall, bSmall],
          [aBig, bBig],
        ] as const) {
          shapes.push({
            shape: a.shape,
            rabbitmq: a,
            server: b,
            ratio: a.deliveriesPerSecond > 0 ? b.deliveriesPerSecond / a.deliveriesPerSecond : 0,
            serverMicrosPerDelivery:
              b.cpu.serverSeconds === null || b.deliveries === 0
                ? null
                : (b.cpu.serverSeconds / b.deliveries) * 1e6,
          });
        }
        log(`open loop: ${settings.openLoopRate} pushes/s to ${small.length} devices`);
        openLoop = await openLoopSmall(server.url, server.host, server.port, small);
      }
      connections = await runConnections({
        server,
        rabbitPid,
        devices,
        latency: { rate: settings.openLoopRate, seconds: settings.openLoopSeconds },
        herd: args.herd,
        idleSettleMs: quick ? 10_000 : 30_000,
        log: section('connections'),
      });
    } finally {
      await server.stop();
    }
  } finally {
    log('removing what the benchmark declared');
    await deleteServerTopology(settings.amqpUrl, allUsers).catch((err: unknown) =>
      log(`cleanup of the server's bench queues failed: ${String(err)}`),
    );
    rmSync(dir, { recursive: true, force: true });
  }

  const cpu = cpus()[0];
  const report: BenchReport = {
    startedAt,
    mode: args.mode,
    machine: {
      node: process.versions.node,
      cpus: cpus().length,
      cpuModel: cpu ? cpu.model.trim() : 'unknown',
      rabbitmq: version,
      loadAverageAtStart: Number(loadAtStart.toFixed(2)),
    },
    settings: {
      messagesPerPhase: settings.messages,
      warmupPerPhase: settings.warmup,
      probePerPhase: settings.probe,
      concurrency: settings.concurrency,
      prefetch: settings.prefetch,
      workers: settings.workers,
      openLoop: `${settings.openLoopRate} pushes/s for ${settings.openLoopSeconds} s`,
      vhost: `${settings.amqpUrl.replace(/\/\/[^@/]*@/, '//')} — ${settings.vhostNote}`,
    },
    floor,
    shapes,
    openLoop,
    connections,
    queueKBPerDevice,
    totalSeconds: (performance.now() - started) / 1000,
  };
  writeReport(RESULTS, report);
  process.stdout.write(`${formatReport(report)}\nJSON: ${RESULTS}\n`);
  const problems =
    shapes.some((s) => s.rabbitmq.problems.length || s.server.problems.length) ||
    (openLoop?.missing ?? 0) > 0 ||
    (connections?.latency?.missing ?? 0) > 0;
  if (problems) process.exitCode = 1;
  if (args.mode === 'full' && !(await benchIdleBrowsers(section('idle browsers')))) {
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
