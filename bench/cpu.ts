// CPU time of the processes sharing the machine during a timed phase — this benchmark's
// own process (load generator and WebSocket clients, or the amqplib publisher/consumers),
// the server child, and RabbitMQ — so the report can say where the cores went. Linux only
// (/proc); elsewhere the figures are simply absent.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux we target. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface CpuShare {
  /** CPU seconds used per wall-clock second (1.0 = one core busy all the time). */
  bench: number;
  /** The server's processes together (a primary and its workers). */
  server: number | null;
  /** CPU seconds the server's processes used in the phase (for µs per message). */
  serverSeconds: number | null;
  rabbitmq: number | null;
  /**
   * Everything else on the machine (other processes, kernel work not billed to ours):
   * the whole machine's busy time minus the three above. Well above zero means the
   * figures were taken on a machine that was not quiet.
   */
  other: number | null;
}

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat. */
function machineBusySeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal …: everything but idle and iowait.
    const [user, nice, system, , , irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const parts = [user, nice, system, irq, softirq, steal];
    if (parts.some((v) => v === undefined || !Number.isFinite(v))) return null;
    return parts.reduce<number>((a, b) => a + (b ?? 0), 0) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

function procCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
    return (utime + stime) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/**
 * The Erlang VM of the RabbitMQ node the benchmark uses (the default one on 5672): asked of
 * rabbitmqctl, since tests may run further nodes of their own beside it; failing that, the
 * first beam.smp found.
 */
export function findRabbitPid(): number | null {
  try {
    const status = execFileSync('rabbitmqctl', ['-q', 'status'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin` },
    });
    const pid = /OS PID: (\d+)/.exec(status)?.[1];
    if (pid) return Number(pid);
  } catch {
    // rabbitmqctl missing or not allowed (not root): look for the process instead
  }
  return findBeamPid();
}

function findBeamPid(): number | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  for (const entry of entries) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'beam.smp') return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return null;
}

export interface CpuMeter {
  stop(): CpuShare;
}

/** CPU seconds of several processes together; null when any cannot be read. */
function procsCpuSeconds(pids: readonly number[]): number | null {
  let sum = 0;
  for (const pid of pids) {
    const seconds = procCpuSeconds(pid);
    if (seconds === null) return null;
    sum += seconds;
  }
  return sum;
}

/**
 * Starts measuring; `stop()` returns each side's average cores used since the start.
 * `serverPids`: the server's processes (a primary and its workers), read at the start.
 */
export function startCpuMeter(
  serverPids: readonly number[] | null,
  rabbitPid: number | null,
): CpuMeter {
  const wall0 = performance.now();
  const self0 = process.cpuUsage();
  const server0 = serverPids === null ? null : procsCpuSeconds(serverPids);
  const rabbit0 = rabbitPid === null ? null : procCpuSeconds(rabbitPid);
  const machine0 = machineBusySeconds();
  return {
    stop() {
      const wall = (performance.now() - wall0) / 1000;
      const self = process.cpuUsage(self0);
      const share = (used: number) => (wall > 0 ? used / wall : 0);
      const delta = (pid: number | null, before: number | null): number | null => {
        if (pid === null || before === null) return null;
        const after = procCpuSeconds(pid);
        return after === null ? null : share(after - before);
      };
      const bench = share((self.user + self.system) / 1e6);
      const server1 = serverPids === null ? null : procsCpuSeconds(serverPids);
      const serverSeconds = server0 === null || server1 === null ? null : server1 - server0;
      const server = serverSeconds === null ? null : share(serverSeconds);
      const rabbitmq = delta(rabbitPid, rabbit0);
      const machine1 = machineBusySeconds();
      const machine = machine0 === null || machine1 === null ? null : share(machine1 - machine0);
      const other =
        machine === null ? null : Math.max(0, machine - bench - (server ?? 0) - (rabbitmq ?? 0));
      return { bench, server, serverSeconds, rabbitmq, other };
    },
  };
}
