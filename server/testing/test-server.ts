// Starts real server nodes for integration and e2e tests: real RabbitMQ and memcached
// (scripts/services.sh makes sure they run), a fresh SQLite file per server, a free port.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type Config, loadConfig } from '../config.js';
import { createLogger } from '../observability/logger.js';
import { type RunningServer, startServer } from '../server.js';
import { freePort } from './ports.js';

export interface TestServer extends RunningServer {
  config: Config;
  /** Every log line the server wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  /** Every log line as written (for scanning for secrets). */
  rawLogs: string[];
}

export interface TestServerOptions {
  /** Environment variables on top of the test defaults (e.g. DOS_MAX_REQUESTS). */
  env?: Record<string, string>;
  /** Share a database between servers (several nodes); defaults to a fresh SQLite file. */
  databaseUrl?: string;
}

/**
 * Durable queues and exchanges outlive the test run; delete the ones this server's users
 * made so repeated runs do not pile them up in RabbitMQ.
 */
async function removeBrokerEntities(server: RunningServer): Promise<void> {
  const { store, broker } = server.services;
  // Tidying only, after the tests: what cannot be deleted now (a test stopped RabbitMQ or
  // deleted it already) must not fail the run.
  const accounts = await store.searchAccounts('', 1_000_000).catch(() => []);
  for (const account of accounts) {
    for (const client of await store.listClients(account.userId)) {
      await broker.deleteClientQueue(client.clientId).catch(() => {}); // tidying only
    }
    await broker.deleteUser(account.userId).catch(() => {}); // tidying only
  }
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'push-test-'));
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: options.databaseUrl ?? `sqlite:${join(dir, 'push.db')}`,
    LOG_LEVEL: 'debug',
    // Every test server shares the memcached penalty box on 127.0.0.1:11211, and tests make
    // bad requests on purpose: without this, loopback would be boxed for an hour for every
    // test (and every later run). DoS tests set their own allow-list and client addresses.
    DOS_ALLOW_LIST: '127.0.0.1,::1',
    // The lowest scrypt cost the server accepts (2^14; production: 2^17, ~0.7 s a hash on a
    // CI core): the suites make hundreds of accounts, and what they test is not the cost.
    // security/passwords.test.ts checks the production cost; tests of the hashing lanes set
    // their own.
    PASSWORD_SCRYPT_LOG_N: '14',
    ...options.env,
  };
  let config = loadConfig(env);
  const rawLogs: string[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        rawLogs.push(line);
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not JSON: kept in rawLogs only
        }
      }
      done();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  // PUBLIC_URL must name the real port, which is only known once listening; with PORT=0
  // the tests pass no PUBLIC_URL and we restart the config with the chosen port.
  let server: RunningServer;
  if (config.port === 0 && !env.PUBLIC_URL) {
    config = loadConfig({ ...env, PORT: String(await freePort()) });
  }
  server = await startServer(config, { logger });
  return {
    ...server,
    config,
    logs,
    rawLogs,
    async close() {
      await removeBrokerEntities(server);
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
