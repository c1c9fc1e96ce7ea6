// Prints the results as a table with the ratio server / RabbitMQ per shape, and writes
// them as JSON (bench/results/latest.json, ignored by git) for pasting and comparing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ConnectionsResult } from './connections.js';
import type { CpuShare } from './cpu.js';
import type { FloorResult } from './floor.js';
import type { LatencySummary } from './latency.js';
import type { OpenLoopResult } from './open-loop.js';
import type { PhaseResult, Shape } from './phase.js';

export interface BenchReport {
  startedAt: string;
  mode: 'quick' | 'full' | 'devices';
  machine: {
    node: string;
    cpus: number;
    cpuModel: string;
    rabbitmq: string;
    loadAverageAtStart: number;
  };
  settings: {
    messagesPerPhase: number;
    warmupPerPhase: number;
    probePerPhase: number;
    concurrency: number;
    prefetch: number;
    workers: number;
    openLoop: string;
    vhost: string;
  };
  /** A bare node:http server on this machine: the least an HTTP front can cost. */
  floor: FloorResult | null;
  shapes: Array<{
    shape: Shape;
    rabbitmq: PhaseResult;
    server: PhaseResult;
    /** server / rabbitmq deliveries per second. */
    ratio: number;
    serverMicrosPerDelivery: number | null;
  }>;
  /** 1000 pushes/s offered to the 100 × 1 devices. */
  openLoop: OpenLoopResult | null;
  connections: ConnectionsResult | null;
  /** RabbitMQ memory per registered device (its durable queue, idle), KB. */
  queueKBPerDevice: number | null;
  totalSeconds: number;
}

/** Cores used by other processes above which a run is flagged as taken on a busy machine. */
const NOISY_OTHER_CORES = 0.25;

function fmtRate(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fmtMs(n: number): string {
  return n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n).toString();
}

function fmtLatency(s: LatencySummary | null): string {
  return s ? `${fmtMs(s.p50)} / ${fmtMs(s.p99)}` : '—';
}

function fmtCpu(c: CpuShare): string {
  const part = (name: string, v: number | null) => (v === null ? '' : `${name} ${v.toFixed(2)}`);
  return [
    part('bench', c.bench),
    part('server', c.server),
    part('rabbit', c.rabbitmq),
    part('other processes', c.other),
  ]
    .filter(Boolean)
    .join(', ');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  const line = (r: string[]) =>
    r.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!)));
  const [head, ...body] = rows;
  const rule = widths.map((w) => '-'.repeat(w));
  return [line(head!), rule, ...body.map(line)].map((r) => r.join('  ')).join('\n');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function shapeName(s: Shape): string {
  return `${plural(s.users, 'user')} × ${plural(s.clientsPerUser, 'client')}`;
}

function fmtKB(n: number | null): string {
  return n === null ? '—' : `${n.toFixed(1)} KB`;
}

/** The targets, each with what this run measured and whether it holds. */
function targets(r: BenchReport): string[][] {
  const rows: string[][] = [['target', 'measured', 'met']];
  const check = (name: string, measured: string, ok: boolean | null) =>
    rows.push([name, measured, ok === null ? '—' : ok ? 'yes' : 'NO']);
  for (const s of r.shapes) {
    const name = `${s.shape.users}×${s.shape.clientsPerUser}`;
    check(`deliveries/s ≥ 0.9 × ceiling, ${name}`, `${s.ratio.toFixed(2)} ×`, s.ratio >= 0.9);
    const lost = s.server.expectedDeliveries - s.server.deliveries;
    check(`0 lost, ${name}`, String(lost), lost === 0);
    const us = s.serverMicrosPerDelivery;
    check(
      `server CPU ≤ 60 µs / delivery, ${name}`,
      us === null ? '—' : `${us.toFixed(0)} µs`,
      us === null ? null : us <= 60,
    );
  }
  const p99 = r.openLoop?.latencyMs?.p99 ?? null;
  if (r.openLoop)
    check(
      'p99 ≤ 25 ms at 1000/s, 100 devices',
      p99 === null ? '—' : `${fmtMs(p99)} ms`,
      p99 === null ? null : p99 <= 25,
    );
  const c = r.connections;
  if (c) {
    const connectedP99 = c.latency?.latencyMs?.p99 ?? null;
    check(
      `p99 ≤ 50 ms at 1000/s, ${c.devices} connected`,
      connectedP99 === null ? '—' : `${fmtMs(connectedP99)} ms`,
      connectedP99 === null || c.devices < 10_000 ? null : connectedP99 <= 50,
    );
    check(
      '≤ 10 KB server memory per idle device',
      fmtKB(c.serverKBPerDevice),
      // Judged from 10,000 devices on: below that, 10 KB a device is less than the few tens of
      // MB a Node process's heap moves by itself (quick runs have read negative figures).
      c.serverKBPerDevice === null || c.devices < 10_000 ? null : c.serverKBPerDevice <= 10,
    );
    check(
      'RabbitMQ channels ≤ devices / 100',
      c.channels === null ? '—' : `${c.channels} for ${c.devices}`,
      c.channels === null ? null : c.channels <= c.devices / 100,
    );
    if (c.herd) {
      check(
        `herd of ${c.devices}: 0 failures`,
        `${c.herd.failed} failed (${c.herd.retries} retried)`,
        c.devices < 20_000 ? null : c.herd.failed === 0,
      );
    }
  }
  return rows;
}

export function formatReport(r: BenchReport): string {
  const out: string[] = [];
  const s = r.settings;
  out.push(
    '',
    `push-service benchmark (${r.mode}) — ${r.startedAt}`,
    `machine: ${r.machine.cpus} × ${r.machine.cpuModel}; Node ${r.machine.node}; ` +
      `RabbitMQ ${r.machine.rabbitmq}; 1-min load average at start ${r.machine.loadAverageAtStart}`,
    `settings: ${s.messagesPerPhase} messages per timed phase after ${s.warmupPerPhase} warm-up; ` +
      `${s.concurrency} in flight; prefetch ${s.prefetch}; ~200-byte aes128gcm bodies; TTL 3600; ` +
      `server: ${s.workers} worker processes, SQLite, LOG_LEVEL=warn; open loop: ${s.openLoop}`,
    `RabbitMQ: ${s.vhost}`,
    '',
  );
  if (r.floor) {
    out.push(
      `floor: a bare node:http server answers ${fmtRate(r.floor.requestsPerSecond)} POSTs/s here at ` +
        `${r.floor.cpuMicros === null ? '—' : r.floor.cpuMicros.toFixed(0)} µs of CPU each`,
      '',
    );
  }
  if (r.shapes.length) {
    const throughput: string[][] = [
      [
        'throughput',
        'msgs/s',
        'deliveries/s',
        'deliveries',
        'b/a',
        'server µs/delivery',
        'seconds',
      ],
    ];
    const latency: string[][] = [
      ['latency, ms (p50 / p99)', 'deliver, loaded', 'accept, loaded', 'deliver, 1 in flight'],
    ];
    for (const { shape, rabbitmq, server, ratio, serverMicrosPerDelivery } of r.shapes) {
      for (const [label, p] of [
        ['(a) RabbitMQ', rabbitmq],
        ['(b) server', server],
      ] as const) {
        const name = `${shapeName(shape)} ${label}`;
        const isServer = p === server;
        throughput.push([
          name,
          fmtRate(p.messagesPerSecond),
          fmtRate(p.deliveriesPerSecond),
          `${p.deliveries}/${p.expectedDeliveries}`,
          isServer ? `${ratio.toFixed(2)} ×` : '',
          isServer && serverMicrosPerDelivery !== null ? serverMicrosPerDelivery.toFixed(0) : '',
          p.seconds.toFixed(2),
        ]);
        latency.push([
          name,
          fmtLatency(p.deliveryLatencyMs),
          fmtLatency(p.acceptLatencyMs),
          fmtLatency(p.lightLatencyMs),
        ]);
      }
    }
    out.push(table(throughput), '', table(latency), '');
    out.push('CPU during each timed phase, in cores busy:');
    for (const { shape, rabbitmq, server } of r.shapes) {
      out.push(`  ${shapeName(shape)} (a): ${fmtCpu(rabbitmq.cpu)}`);
      out.push(`  ${shapeName(shape)} (b): ${fmtCpu(server.cpu)}`);
    }
    out.push('');
  }
  if (r.openLoop) {
    const o = r.openLoop;
    out.push(
      `open loop, ${o.offeredPerSecond} pushes/s offered to 100 devices: POST → WebSocket frame ` +
        `p50 / p99 ${fmtLatency(o.latencyMs)} ms; ${o.accepted}/${o.sent} accepted, ` +
        `${o.deliveries} delivered, ${o.missing} missing`,
    );
  }
  const c = r.connections;
  if (c) {
    out.push(
      `connected devices: ${c.devices - c.connect.failed}/${c.devices} connected in ` +
        `${c.connect.seconds.toFixed(1)} s (${c.connect.retries} retried after 1013 or an error)`,
      `  memory per idle connected device: server ${fmtKB(c.serverKBPerDevice)}, RabbitMQ ` +
        `${fmtKB(c.rabbitKBPerDevice)} (consumer); RabbitMQ per registered device (its queue) ` +
        `${fmtKB(r.queueKBPerDevice)}`,
      `  AMQP: ${c.channels ?? '—'} consumer channels on ${c.consumerConnections ?? '—'} connections`,
    );
    if (c.latency) {
      out.push(
        `  while all are connected, ${c.latency.offeredPerSecond} pushes/s: p50 / p99 ` +
          `${fmtLatency(c.latency.latencyMs)} ms; ${c.latency.accepted}/${c.latency.sent} accepted, ` +
          `${c.latency.missing} missing`,
      );
    }
    if (c.herd) {
      out.push(
        `  herd (all drop and reconnect at once): ${c.herd.devices - c.herd.failed}/${c.herd.devices} ` +
          `back in ${c.herd.seconds.toFixed(1)} s, ${c.herd.retries} retried, ${c.herd.failed} failed`,
      );
    }
    out.push(`  devices the server dropped meanwhile: ${c.drops}`, '');
  }
  out.push(table(targets(r)), '');
  out.push(
    'msgs/s: messages per second end to end, first send → last delivery acked (a: publishes;',
    '  b: POSTs answered 201); b/a: server deliveries/s ÷ RabbitMQ deliveries/s.',
    'server µs/delivery: CPU time of every server process over the timed phase ÷ deliveries.',
    'deliver, loaded: send start → message at the client under the saturating load (includes',
    "  time queued); deliver, 1 in flight: one message at a time, the path's own latency.",
    `whole run ${r.totalSeconds.toFixed(1)} s.`,
  );
  const problems = r.shapes.flatMap(({ shape, rabbitmq, server }) => [
    ...rabbitmq.problems.map((p) => `${shapeName(shape)} (a): ${p}`),
    ...server.problems.map((p) => `${shapeName(shape)} (b): ${p}`),
  ]);
  out.push(problems.length ? `PROBLEMS:\n  ${problems.join('\n  ')}` : 'problems: none');
  const busiest = Math.max(
    0,
    ...r.shapes.flatMap(({ rabbitmq, server }) => [rabbitmq.cpu.other ?? 0, server.cpu.other ?? 0]),
  );
  if (busiest > NOISY_OTHER_CORES) {
    out.push(
      `WARNING: other processes used up to ${busiest.toFixed(2)} cores during a timed phase; ` +
        'the machine was not quiet, so these figures understate what it can do.',
    );
  }
  return out.join('\n');
}

export function writeReport(path: string, report: BenchReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
