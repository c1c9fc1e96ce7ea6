// Secrets at rest: after a full run (account, device, VAPID subscription, a push delivered),
// the database file, RabbitMQ's bindings (rabbitmqctl list_bindings, as an operator's dump
// would show them) and the logs are searched for every secret planted along the way — the
// endpoint token above all, which is the capability to push to a subscription. Then the same
// for a database and broker left by a version that stored endpoint tokens in clear: the
// start moves them to hashes, and the old endpoints keep working.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { SubscriptionList } from '../../shared/protocol.js';
import { clientQueue, INCOMING_EXCHANGE, userExchange } from '../broker/names.js';
import { endpointKeyFile } from '../security/endpoint-key.js';
import { hashToken, newId, newSecretToken } from '../security/tokens.js';
import { migrate, migrations } from '../store/migrations.js';
import { SqliteDriver } from '../store/sqlite-driver.js';
import { bearer, createSubscription, createUserWithClient, push } from '../testing/api.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { TestSocket } from '../testing/ws-client.js';

const run = promisify(execFile);
const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const started: TestServer[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const server of started) await server.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function serverOn(databasePath: string): Promise<TestServer> {
  const server = await startTestServer({ databaseUrl: `sqlite:${databasePath}` });
  started.push(server);
  return server;
}

/** The database as a copy of it would hold it: the file and its write-ahead log. */
function databaseBytes(path: string): string {
  return [path, `${path}-wal`]
    .filter((file) => existsSync(file))
    .map((file) => readFileSync(file).toString('latin1'))
    .join('\n');
}

/** Every binding of the default vhost, as `rabbitmqctl list_bindings` shows them. */
async function bindings(): Promise<string> {
  const { stdout } = await run('rabbitmqctl', [
    'list_bindings',
    '-q',
    'source_name',
    'destination_name',
    'routing_key',
  ]);
  return stdout;
}

const tokenOf = (endpoint: string) => endpoint.slice(endpoint.lastIndexOf('/') + 1);
const local = (server: TestServer, endpoint: string) =>
  endpoint.replace(/^http:\/\/localhost:\d+/, server.url);

function expectNowhere(where: Record<string, string>, secrets: Record<string, string>): void {
  for (const [place, text] of Object.entries(where)) {
    for (const [name, secret] of Object.entries(secrets)) {
      expect(secret.length, name).toBeGreaterThanOrEqual(16);
      expect(text.includes(secret), `${name} found in ${place}`).toBe(false);
    }
  }
}

describe('secrets at rest', () => {
  it('no endpoint token, client token or password in the database, the bindings or the logs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'push-at-rest-'));
    dirs.push(dir);
    const databasePath = join(dir, 'push.db');
    const server = await serverOn(databasePath);

    const user = await createUserWithClient(server.url, 'atrest');
    const vapid = webpush.generateVAPIDKeys();
    const { endpoint } = await createSubscription(server.url, user, {
      applicationServerKey: vapid.publicKey,
    });
    const socket = await TestSocket.connect(server.url, user.clientToken);
    // Built by web-push as a web app's server would, for the endpoint as handed out.
    const keys = {
      p256dh: webpush.generateVAPIDKeys().publicKey,
      auth: randomBytes(16).toString('base64url'),
    };
    const request = webpush.generateRequestDetails({ endpoint, keys }, 'at rest', {
      TTL: 60,
      vapidDetails: { subject: 'mailto:ops@example.org', ...vapid },
    });
    const sent = await fetch(local(server, endpoint), {
      method: 'POST',
      headers: request.headers as Record<string, string>,
      body: new Uint8Array(request.body as Buffer),
    });
    expect(sent.status).toBe(201);
    socket.ack((await socket.nextNotification()).id);
    await socket.close();

    const token = tokenOf(endpoint);
    const listed = await bindings();
    // Routed by the token's hash: the binding exists, under the hash only.
    expect(listed).toContain(
      `${INCOMING_EXCHANGE}\t${userExchange(user.userId)}\t${hashToken(token)}`,
    );
    const key = readFileSync(endpointKeyFile(databasePath), 'utf8').trim();
    expectNowhere(
      {
        database: databaseBytes(databasePath),
        'RabbitMQ bindings': listed,
        logs: server.rawLogs.join('\n'),
      },
      { endpointToken: token, clientToken: user.clientToken, password: user.password },
    );
    // The key that turns ids into tokens is kept apart from the database.
    expectNowhere({ database: databaseBytes(databasePath) }, { endpointKey: key });
  });

  it('a database and broker of a version that kept tokens in clear: moved to hashes, endpoints kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'push-legacy-'));
    dirs.push(dir);
    const databasePath = join(dir, 'push.db');
    // What the earlier version left: schema 3, tokens in clear, bound under the clear token.
    const userId = newId();
    const clientId = newId();
    const clientToken = newSecretToken();
    const live = { id: newId(), token: newSecretToken() };
    const deleted = { id: newId(), token: newSecretToken() };
    const driver = new SqliteDriver(databasePath);
    await migrate(driver, migrations.slice(0, 3));
    const at = new Date().toISOString();
    await driver.execute(
      'INSERT INTO accounts (user_id, username, password_hash, created_at) VALUES (?, ?, ?, ?)',
      [userId, `legacy-${randomBytes(4).toString('hex')}`, 'scrypt$x', at],
    );
    await driver.execute(
      'INSERT INTO clients (client_id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)',
      [clientId, userId, 'old laptop', hashToken(clientToken), at],
    );
    for (const [s, deletedAt] of [
      [live, null],
      [deleted, at],
    ] as const) {
      await driver.execute(
        `INSERT INTO subscriptions (subscription_id, user_id, client_id, token, created_at, deleted_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
        [s.id, userId, clientId, s.token, at, deletedAt],
      );
    }
    await driver.close();
    const connection = await amqp.connect(AMQP_URL);
    const ch = await connection.createChannel();
    await ch.assertExchange(userExchange(userId), 'fanout', { durable: true });
    await ch.assertQueue(clientQueue(clientId), { durable: true });
    await ch.bindQueue(clientQueue(clientId), userExchange(userId), '');
    await ch.bindExchange(userExchange(userId), INCOMING_EXCHANGE, live.token);
    await connection.close();

    const server = await serverOn(databasePath);
    expect(server.logs).toContainEqual(
      expect.objectContaining({ event: 'endpoints.tokens_hashed', subscriptions: 2 }),
    );
    // The old endpoints: the live one delivers, the deleted one says 410, as before.
    const socket = await TestSocket.connect(server.url, clientToken);
    const pushed = await push(`${server.url}/push/${live.token}`, { TTL: '60' });
    expect(pushed.status).toBe(201);
    socket.ack((await socket.nextNotification()).id);
    await socket.close();
    expect((await push(`${server.url}/push/${deleted.token}`, { TTL: '60' })).status).toBe(410);
    // Every device still sees the endpoint it had.
    const listed = SubscriptionList.parse(
      await (
        await fetch(`${server.url}/v1/subscriptions`, {
          headers: { authorization: bearer(clientToken) },
        })
      ).json(),
    );
    expect(listed.map((s) => s.endpoint)).toEqual([
      `${server.config.publicUrl}/push/${live.token}`,
    ]);

    const brokerView = await bindings();
    expect(brokerView).toContain(
      `${INCOMING_EXCHANGE}\t${userExchange(userId)}\t${hashToken(live.token)}`,
    );
    expectNowhere(
      { database: databaseBytes(databasePath), 'RabbitMQ bindings': brokerView },
      { liveToken: live.token, deletedToken: deleted.token },
    );

    // Starting again finds nothing to move, and the endpoint still works.
    const again = await serverOn(databasePath);
    expect(again.logs.filter((l) => l.event === 'endpoints.tokens_hashed')).toEqual([]);
    expect((await push(`${again.url}/push/${live.token}`, { TTL: '0' })).status).toBe(201);
  });
});
