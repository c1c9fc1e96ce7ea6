// Runs bench/floor-server.ts as a child and loads it like the POST Office is loaded: CPU
// per request of a bare node:http server, the reference for the server's own figures.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startCpuMeter } from './cpu.js';
import { runLoad } from './load.js';

export interface FloorResult {
  requests: number;
  requestsPerSecond: number;
  /** Server CPU per request, µs. */
  cpuMicros: number | null;
}

export async function measureFloor(requests: number, concurrency: number): Promise<FloorResult> {
  const child = fork(fileURLToPath(new URL('./floor-server.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
  });
  const port = await new Promise<number>((resolve) =>
    child.once('message', (m: { port: number }) => resolve(m.port)),
  );
  const body = Buffer.alloc(200, 7);
  const run = (total: number) =>
    runLoad({
      target: { host: '127.0.0.1', port },
      total,
      concurrency,
      build: () => ({
        path: '/push/floor',
        headers: { ttl: '3600', 'content-encoding': 'aes128gcm' },
        body,
      }),
      onResponse() {},
    });
  try {
    await run(Math.min(2000, requests)); // warm-up
    const cpu = startCpuMeter(child.pid === undefined ? null : [child.pid], null);
    const load = await run(requests);
    const share = cpu.stop();
    const seconds = (load.finishedAt - load.startedAt) / 1000;
    return {
      requests,
      requestsPerSecond: requests / seconds,
      cpuMicros: share.serverSeconds === null ? null : (share.serverSeconds / requests) * 1e6,
    };
  } finally {
    child.send('stop');
  }
}
