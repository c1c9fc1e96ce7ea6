// A small closed-loop HTTP load generator over node:http with keep-alive sockets: exactly
// `concurrency` POSTs are in flight at any time, each worker sending its next request as
// soon as its previous answer is complete. (autocannon/undici are not dependencies here;
// global fetch is undici underneath but adds per-request Web-stream overhead that would
// be billed to the server, since both share the machine's two cores.)
import { Agent, type OutgoingHttpHeaders, request } from 'node:http';

export interface LoadTarget {
  host: string;
  port: number;
}

export interface LoadRequest {
  path: string;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

export interface LoadResponse {
  status: number;
  location: string | undefined;
}

export interface LoadOptions {
  target: LoadTarget;
  total: number;
  concurrency: number;
  /** Builds request `i` (0-based); called just before it is sent. */
  build(i: number): LoadRequest;
  /** `startedAt` is performance.now() just before the request was handed to node:http. */
  onResponse(i: number, startedAt: number, response: LoadResponse): void;
}

export interface LoadOutcome {
  /** Responses by status code. */
  statuses: Record<number, number>;
  /** Requests that failed below HTTP (socket errors). */
  transportErrors: number;
  firstError: string | null;
  startedAt: number;
  finishedAt: number;
}

function send(agent: Agent, target: LoadTarget, req: LoadRequest): Promise<LoadResponse> {
  return new Promise((resolve, reject) => {
    const r = request(
      {
        agent,
        host: target.host,
        port: target.port,
        method: 'POST',
        path: req.path,
        headers: { ...req.headers, 'content-length': req.body.byteLength },
      },
      (res) => {
        const location = res.headers.location;
        // Drain the (empty or small) body so the socket returns to the keep-alive pool.
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location }));
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.end(req.body);
  });
}

export async function runLoad(options: LoadOptions): Promise<LoadOutcome> {
  const { target, total, concurrency } = options;
  const agent = new Agent({
    keepAlive: true,
    maxSockets: concurrency,
    maxFreeSockets: concurrency,
  });
  const statuses: Record<number, number> = {};
  let transportErrors = 0;
  let firstError: string | null = null;
  let next = 0;

  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const req = options.build(i);
      const startedAt = performance.now();
      try {
        const res = await send(agent, target, req);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        options.onResponse(i, startedAt, res);
      } catch (err) {
        transportErrors += 1;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };

  const startedAt = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, () => worker()));
  const finishedAt = performance.now();
  agent.destroy();
  return { statuses, transportErrors, firstError, startedAt, finishedAt };
}
