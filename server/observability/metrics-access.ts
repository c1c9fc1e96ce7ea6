// Who may read GET /metrics (docs/operations.md, Metrics). By default anyone who reaches the
// main port, as docs/protocol.md §8 says — the operator keeps it internal. Two options close
// it: METRICS_TOKEN (a bearer token on every scrape) and METRICS_PORT (a listener of its own,
// on METRICS_HOST, loopback by default; the main port then has no /metrics at all).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import { secretsEqual } from '../security/tokens.js';
import type { Metrics } from './metrics.js';

export type MetricsAnswer =
  | { status: 200; contentType: string; body: string }
  | { status: 401 | 404; error: string; message: string };

/** The answer to one scrape with this Authorization header. */
export async function answerScrape(
  config: Pick<Config, 'metrics'>,
  metrics: Pick<Metrics, 'registry'>,
  scrape: () => Promise<string>,
  authorization: string | undefined,
): Promise<MetricsAnswer> {
  const { token } = config.metrics;
  if (token !== null) {
    const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match || !secretsEqual(match[1]!, token)) {
      return {
        status: 401,
        error: 'unauthorized',
        message: 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>',
      };
    }
  }
  return { status: 200, contentType: metrics.registry.contentType, body: await scrape() };
}

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/** The listener of its own (METRICS_PORT): GET /metrics, and 404 for anything else. */
export async function listenForMetrics(
  config: Pick<Config, 'metrics'>,
  metrics: Pick<Metrics, 'registry'>,
  scrape: () => Promise<string>,
): Promise<MetricsListener | null> {
  const where = config.metrics.listener;
  if (!where) return null;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const found = req.method === 'GET' && path === '/metrics';
    const pending: Promise<MetricsAnswer> = found
      ? answerScrape(config, metrics, scrape, req.headers.authorization)
      : Promise.resolve({ status: 404, error: 'not_found', message: 'only GET /metrics here' });
    pending.then(
      (answer) => {
        if (answer.status === 200) {
          res.writeHead(200, { 'content-type': answer.contentType });
          res.end(answer.body);
          return;
        }
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: answer.error, message: answer.message }));
      },
      () => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'internal_error', message: 'the scrape failed' }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(where.port, where.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = where.host.includes(':') ? `[${where.host}]` : where.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
