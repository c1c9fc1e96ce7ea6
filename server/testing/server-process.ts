// Runs the push server as a child process (`node --import tsx server/main.ts`, i.e. what
// `npm run server` does, without the npm/npx wrapper processes): for the benchmark, so the
// load generator and the WebSocket clients do not share the server's event loop, and for
// tests of what only a real process does (worker processes, signals). With WORKERS > 1
// the pid is the primary's; `pids()` lists it and its workers.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export interface ServerProcess {
  /** http://127.0.0.1:port */
  url: string;
  host: string;
  port: number;
  pid: number;
  /** The tail of what the server wrote (warnings and errors, at LOG_LEVEL=warn). */
  output(): string;
  /** The server's process and its worker processes. */
  pids(): number[];
  /** SIGTERM, then SIGKILL after 10 s; resolves with the exit code (null when killed). */
  stop(): Promise<number | null>;
  /** kill -9 of the node and its workers: a crash, nothing drains. */
  kill(): Promise<void>;
}

/**
 * Worker processes of `pid`: its children running the server (Linux: from /proc; the
 * esbuild helper tsx starts is not one of them).
 */
export function workerPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== pid) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (command.includes('server/main.ts')) children.push(Number(entry));
    } catch {
      // The process ended while we looked: not a child any more.
    }
  }
  return children;
}

export interface ServerProcessOptions {
  amqpUrl: string;
  prefetch: number;
  /** Worker processes (WORKERS); 1 unless given. */
  workers?: number;
  /** Extra environment (e.g. DoS settings). */
  env: Record<string, string>;
  /** Extra node flags for the server, e.g. `--cpu-prof` to see where its time goes. */
  nodeArgs: string[];
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'push-bench-'));
  const host = '127.0.0.1';
  const port = await freePort();
  const url = `http://${host}:${port}`;
  const args = [...options.nodeArgs, '--import', 'tsx', 'server/main.ts'];
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: host,
      // Endpoints name 127.0.0.1, not localhost: the server listens on IPv4 only, and
      // "localhost" may resolve to ::1 first.
      PUBLIC_URL: url,
      AMQP_URL: options.amqpUrl,
      DATABASE_URL: `sqlite:${join(dir, 'push.db')}`,
      LOG_LEVEL: 'warn',
      DELIVERY_PREFETCH: String(options.prefetch),
      WORKERS: String(options.workers ?? 1),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const remember = (chunk: Buffer) => {
    // Kept (bounded) to explain a failed start or warnings logged under load.
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stderr?.on('data', remember);

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('server did not start within 30 s')), 30_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        remember(chunk);
        if (output.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code} before listening`));
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${output}`);
  }

  const pid = child.pid;
  if (pid === undefined) throw new Error('server process has no pid');
  return {
    url,
    host,
    port,
    pid,
    output: () => output,
    pids: () => [pid, ...workerPids(pid)],
    async kill() {
      const done = exited(child);
      for (const p of [pid, ...workerPids(pid)]) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
      await done;
      rmSync(dir, { recursive: true, force: true });
    },
    async stop() {
      const done = exited(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      return child.exitCode;
    },
  };
}
