// What connected devices cost and how they behave in numbers: server and RabbitMQ memory
// per idle connected device, the AMQP channels they take, how long connecting them all
// takes, push latency while they are all connected, and a herd — every device dropping and
// coming straight back at once.
import { readFileSync } from 'node:fs';
import type { ServerProcess } from '../server/testing/server-process.js';
import { type ConnectOutcome, Fleets } from './fleets.js';
import { type OpenLoopResult, runOpenLoop } from './open-loop.js';
import type { BenchUser } from './seed.js';

export interface ConnectionsOptions {
  server: ServerProcess;
  rabbitPid: number | null;
  devices: readonly BenchUser[];
  /** Pushes per second while everything is connected, and for how long; null: none. */
  latency: { rate: number; seconds: number } | null;
  herd: boolean;
  /** How long idle memory is watched after connecting; 30 s by default. */
  idleSettleMs?: number;
  log(line: string): void;
}

export interface ConnectionsResult {
  devices: number;
  connect: ConnectOutcome;
  /** Resident memory added per idle connected device, KB (server: all its processes). */
  serverKBPerDevice: number | null;
  rabbitKBPerDevice: number | null;
  channels: number | null;
  consumerConnections: number | null;
  latency: OpenLoopResult | null;
  herd: ConnectOutcome | null;
  /** Devices the server dropped while they should have stayed connected. */
  drops: number;
}

/** VmRSS of a process in KB, or null when it cannot be read. */
export function rssKB(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

function sumRss(pids: readonly number[]): number | null {
  let sum = 0;
  for (const pid of pids) {
    const kb = rssKB(pid);
    if (kb === null) return null;
    sum += kb;
  }
  return sum;
}

async function gauge(serverUrl: string, name: string): Promise<number | null> {
  const text = await (await fetch(`${serverUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : null;
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long idle memory is watched after connecting (see runConnections). */
const IDLE_SETTLE_MS = 30_000;

/** The lowest RSS of the server's processes and of RabbitMQ, read every 2 s for `ms`. */
async function lowestRss(
  pids: readonly number[],
  rabbitPid: number | null,
  ms: number,
): Promise<[number | null, number | null]> {
  let server: number | null = null;
  let rabbit: number | null = null;
  for (let waited = 0; waited < Math.max(ms, 2000); waited += 2000) {
    await settle(2000);
    const s = sumRss(pids);
    const r = rabbitPid === null ? null : rssKB(rabbitPid);
    if (s !== null && (server === null || s < server)) server = s;
    if (r !== null && (rabbit === null || r < rabbit)) rabbit = r;
  }
  return [server, rabbit];
}

export async function runConnections(options: ConnectionsOptions): Promise<ConnectionsResult> {
  const { server, devices, log } = options;
  const pids = server.pids();
  const idleMs = options.idleSettleMs ?? IDLE_SETTLE_MS;
  // The baseline is read the same way as the idle figure below, or a start-up heap V8 has
  // not yet given back would be counted against the devices (or for them).
  const [server0, rabbit0] = await lowestRss(pids, options.rabbitPid, idleMs / 2);
  const fleets = await Fleets.start(
    server.url,
    devices.map((d) => d.clients[0]!),
  );
  try {
    log(`connecting ${devices.length} devices`);
    const connect = await fleets.connect(180_000);
    log(
      `  ${connect.devices - connect.failed} connected in ${connect.seconds.toFixed(1)} s ` +
        `(${connect.retries} retried, ${connect.failed} failed)`,
    );
    // Idle memory: connecting leaves garbage behind, and V8 gives it back only once the
    // process has been quiet for a while (its memory reducer, after ~10–20 s here). Read
    // every 2 s for up to IDLE_SETTLE_MS and keep the lowest.
    const [server1, rabbit1] = await lowestRss(pids, options.rabbitPid, idleMs);
    const connected = connect.devices - connect.failed;
    const perDevice = (a: number | null, b: number | null) =>
      a === null || b === null || connected === 0 ? null : (b - a) / connected;
    const channels = await gauge(server.url, 'push_broker_consumer_channels');
    const consumerConnections = await gauge(server.url, 'push_broker_consumer_connections');

    let latency: OpenLoopResult | null = null;
    if (options.latency) {
      log(
        `pushing ${options.latency.rate}/s for ${options.latency.seconds} s while all are connected`,
      );
      latency = await runOpenLoop({
        host: server.host,
        port: server.port,
        rate: options.latency.rate,
        seconds: options.latency.seconds,
        targets: devices.map((d) => ({ token: d.token, body: d.bodies[0]!, devices: 1 })),
        fleets,
      });
    }
    const { drops } = await fleets.arrivals();

    let herd: ConnectOutcome | null = null;
    if (options.herd) {
      log(`herd: all ${devices.length} devices drop and reconnect at once`);
      herd = await fleets.herd(180_000);
      log(
        `  back in ${herd.seconds.toFixed(1)} s (${herd.retries} retried, ${herd.failed} failed)`,
      );
    }
    return {
      devices: devices.length,
      connect,
      serverKBPerDevice: perDevice(server0, server1),
      rabbitKBPerDevice: perDevice(rabbit0, rabbit1),
      channels,
      consumerConnections,
      latency,
      herd,
      drops,
    };
  } finally {
    await fleets.close();
  }
}
