// Push latency at a fixed offered rate (open loop): POSTs go out on schedule whether or not
// earlier ones were answered, as real senders do, and each is timed from just before it is
// written to its notification's arrival at a device (both sides read the same machine
// clock, the devices being in other processes). This is the latency a site sees at that
// load; the closed-loop throughput phases measure how much the path can take.
import { Agent, request } from 'node:http';
import type { Fleets } from './fleets.js';
import { type LatencySummary, summarize } from './latency.js';

export interface OpenLoopTarget {
  token: string;
  body: Buffer;
  /** Devices of the subscription's user: deliveries expected per push. */
  devices: number;
}

export interface OpenLoopOptions {
  host: string;
  port: number;
  /** Pushes per second offered. */
  rate: number;
  seconds: number;
  targets: readonly OpenLoopTarget[];
  fleets: Fleets;
}

export interface OpenLoopResult {
  offeredPerSecond: number;
  sent: number;
  accepted: number;
  /** Answers other than 201, and transport errors. */
  refused: number;
  deliveries: number;
  /** Deliveries of accepted pushes that never arrived (lost). */
  missing: number;
  latencyMs: LatencySummary | null;
}

const epochMs = () => performance.timeOrigin + performance.now();

export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const started = new Map<string, { at: number; left: number }>();
  const latencies: number[] = [];
  let sent = 0;
  let accepted = 0;
  let refused = 0;
  let answered = 0;
  let expected = 0;
  options.fleets.track(true);
  await options.fleets.arrivals(); // forget what arrived before

  const post = (target: OpenLoopTarget) => {
    const at = epochMs();
    sent++;
    const req = request(
      {
        agent,
        host: options.host,
        port: options.port,
        method: 'POST',
        path: `/push/${target.token}`,
        headers: {
          ttl: '3600',
          'content-encoding': 'aes128gcm',
          'content-length': target.body.byteLength,
        },
      },
      (res) => {
        res.resume();
        answered++;
        const location = res.headers.location;
        if (res.statusCode === 201 && location) {
          accepted++;
          expected += target.devices;
          started.set(location.slice(location.lastIndexOf('/') + 1), { at, left: target.devices });
        } else {
          refused++;
        }
      },
    );
    req.on('error', () => {
      answered++;
      refused++;
    });
    req.end(target.body);
  };

  const total = Math.round(options.rate * options.seconds);
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * options.rate));
      while (sent < due) post(options.targets[sent % options.targets.length]!);
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 2);
  });

  let deliveries = 0;
  /** Arrivals whose 201 (which carries the id) had not been read yet when they came in. */
  let early: Array<[string, number]> = [];
  const drain = async () => {
    const { arrivals } = await options.fleets.arrivals();
    const pending = [...early, ...arrivals];
    early = [];
    for (const [id, at] of pending) {
      const entry = started.get(id);
      if (!entry) {
        early.push([id, at]);
        continue;
      }
      latencies.push(at - entry.at);
      deliveries++;
      if (--entry.left === 0) started.delete(id);
    }
  };
  // Wait for the answers and the last deliveries (a bounded while: the phase reports what
  // did not arrive rather than hang).
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    await drain();
    if (answered >= sent && deliveries >= expected) break;
  }
  options.fleets.track(false);
  agent.destroy();
  return {
    offeredPerSecond: options.rate,
    sent,
    accepted,
    refused,
    deliveries,
    missing: expected - deliveries,
    latencyMs: summarize(latencies),
  };
}
