// Prints the results as a table with the ratio server / RabbitMQ per shape, and writes
// them as JSON (bench/results/latest.json, ignored by git) for pasting and comparing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CpuShare } from './cpu.js';
import type { LatencySummary } from './latency.js';
import type { PhaseResult, Shape } from './phase.js';

export interface BenchReport {
  startedAt: string;
  machine: {
    node: string;
    cpus: number;
    cpuModel: string;
    rabbitmq: string;
    loadAverageAtStart: number;
  };
  settings: {
    probePerPhase: number;
    messagesPerPhase: number;
    warmupPerPhase: number;
    concurrency: number;
    prefetch: number;
    bodyBytes: number;
    serverMode: string;
    vhost: string;
  };
  shapes: Array<{
    shape: Shape;
    rabbitmq: PhaseResult;
    server: PhaseResult;
    /** server / rabbitmq messages per second. */
    ratio: number;
  }>;
  setupSeconds: number;
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

export function formatReport(r: BenchReport): string {
  const out: string[] = [];
  const s = r.settings;
  out.push(
    '',
    `push-service benchmark — ${r.startedAt}`,
    `machine: ${r.machine.cpus} × ${r.machine.cpuModel}; Node ${r.machine.node}; ` +
      `RabbitMQ ${r.machine.rabbitmq}; 1-min load average at start ${r.machine.loadAverageAtStart}`,
    `settings: ${s.messagesPerPhase} messages per timed phase after ${s.warmupPerPhase} warm-up; ` +
      `${s.concurrency} in flight (POSTs on the server path, unconfirmed publishes on the ` +
      `RabbitMQ path); prefetch ${s.prefetch}; ${s.bodyBytes}-byte aes128gcm bodies; TTL 3600`,
    `server: ${s.serverMode}`,
    `RabbitMQ: ${s.vhost}`,
    '',
  );
  const throughput: string[][] = [
    ['throughput', 'msgs/s', 'accepted/s', 'deliveries/s', 'deliveries', 'b/a', 'seconds'],
  ];
  const latency: string[][] = [
    ['latency, ms (p50 / p99)', 'deliver, loaded', 'accept, loaded', 'deliver, 1 in flight'],
  ];
  for (const { shape, rabbitmq, server, ratio } of r.shapes) {
    for (const [label, p] of [
      ['(a) RabbitMQ', rabbitmq],
      ['(b) server', server],
    ] as const) {
      const name = `${shapeName(shape)} ${label}`;
      throughput.push([
        name,
        fmtRate(p.messagesPerSecond),
        fmtRate(p.acceptedPerSecond),
        fmtRate(p.deliveriesPerSecond),
        `${p.deliveries}/${p.expectedDeliveries}`,
        p === server ? `${(ratio * 100).toFixed(0)}%` : '',
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
  out.push('CPU during each timed phase, in cores busy (2 cores = 2.00):');
  for (const { shape, rabbitmq, server } of r.shapes) {
    out.push(`  ${shapeName(shape)} (a): ${fmtCpu(rabbitmq.cpu)}`);
    out.push(`  ${shapeName(shape)} (b): ${fmtCpu(server.cpu)}`);
  }
  out.push(
    '',
    'msgs/s: messages per second end to end, first send → last delivery acked (a: publishes;',
    '  b: POSTs answered 201); b/a: server msgs/s ÷ RabbitMQ msgs/s.',
    'accepted/s: the same messages over the sending time only (until the last confirm or 201);',
    '  higher than msgs/s when delivery is the slower side and messages wait in the queues.',
    'deliveries/s: deliveries received and acked per second (each message fans out to every',
    '  client of its user, so deliveries = messages × clients).',
    'deliver, loaded: send start (publish call, or POST written) → message at the consumer /',
    '  WebSocket client, over every delivery of the timed phase: under that saturating load, so',
    '  it includes time waiting in queues. accept, loaded: send start → publisher confirm (a) or',
    `  201 (b). deliver, 1 in flight: the same with one message at a time (${s.probePerPhase} after`,
    "  each timed phase): the path's own latency, without queueing.",
    `setup (users through the API, not timed): ${r.setupSeconds.toFixed(1)} s; whole run ${r.totalSeconds.toFixed(1)} s.`,
  );
  const problems = r.shapes.flatMap(({ shape, rabbitmq, server }) => [
    ...rabbitmq.problems.map((p) => `${shapeName(shape)} (a): ${p}`),
    ...server.problems.map((p) => `${shapeName(shape)} (b): ${p}`),
  ]);
  out.push(problems.length ? `PROBLEMS:\n  ${problems.join('\n  ')}` : 'problems: none');
  const busiest = Math.max(
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
