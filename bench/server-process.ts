// Runs the push server as a child process (`node --import tsx server/main.ts`, i.e. what
// `npm run server` does, without the npm/npx wrapper processes), so the load generator and
// the WebSocket clients do not share the server's event loop. One process, so the pid we
// hold is the server itself: its CPU time can be read and it can be stopped by that pid.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServerProcess {
  /** http://127.0.0.1:port */
  url: string;
  host: string;
  port: number;
  pid: number;
  /** The tail of what the server wrote (warnings and errors, at LOG_LEVEL=warn). */
  output(): string;
  stop(): Promise<void>;
}

export interface ServerProcessOptions {
  amqpUrl: string;
  prefetch: number;
  /** Extra environment (e.g. DoS settings). */
  env: Record<string, string>;
  /** Extra node flags for the server, e.g. `--cpu-prof` to see where its time goes. */
  nodeArgs: string[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
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
    async stop() {
      const done = exited(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
