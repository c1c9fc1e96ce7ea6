// RabbitMQ trouble must make requests answer fast and honestly (docs/protocol.md §1, §3, §4):
// a server on a RabbitMQ node of this file's own, which the tests stop, restart and block
// with a memory alarm. Each case here hung before (the request waited for RabbitMQ without
// limit), so each checks the answer and that it came within the bound.
//   D1 RabbitMQ down: REST calls that need it answer 503 + Retry-After, hellos close 1011.
//   D2 a resource alarm blocks publishing: pushes answer 503 + Retry-After, the heartbeat
//      says degraded, and blocked/unblocked are logged and counted.
//   D4 a server stops within a bounded time while RabbitMQ blocks it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/protocol.js';
import {
  basic,
  bearer,
  createClient,
  createSubscription,
  createUser,
  type TestClient,
  type TestUser,
} from '../testing/api.js';
import { eventually } from '../testing/eventually.js';
import { RabbitCluster } from '../testing/rabbitmq-cluster.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { TestSocket } from '../testing/ws-client.js';

/** The bound docs/protocol.md promises for every answer while RabbitMQ is in trouble. */
const BOUND_MS = 2000;

let rabbit: RabbitCluster;
let server: TestServer;
let user: TestUser;
let client: TestClient;
let endpoint: string;

beforeAll(async () => {
  rabbit = await RabbitCluster.start(1);
  server = await startTestServer({ env: { AMQP_URL: rabbit.urls.join(',') } });
  user = await createUser(server.url);
  client = await createClient(server.url, user);
  ({ endpoint } = await createSubscription(server.url, client));
}, 120_000);

afterAll(async () => {
  // Bounded, so that the nodes are stopped even if a server failed to stop.
  await Promise.race([server?.close(), new Promise((r) => setTimeout(r, 20_000))]);
  await rabbit?.stop();
}, 60_000);

/** The request's answer and how long it took. */
async function timed(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; ms: number; retryAfter: string | null; body: string }> {
  const started = performance.now();
  const res = await fetch(url, init);
  const body = await res.text();
  return {
    status: res.status,
    ms: performance.now() - started,
    retryAfter: res.headers.get('retry-after'),
    body,
  };
}

const pushInit = (): RequestInit => ({
  method: 'POST',
  headers: { TTL: '60', 'Content-Encoding': 'aes128gcm' },
  body: new Uint8Array(64),
});

describe('D1: RabbitMQ down', () => {
  it('every call that needs it answers 503 with Retry-After within 2 s; hellos close 1011', async () => {
    await rabbit.nodes[0]!.kill();
    const answers = {
      register: await timed(`${server.url}/v1/clients`, {
        method: 'POST',
        headers: { authorization: basic(user.username, user.password) },
        body: JSON.stringify({ name: 'while down' }),
      }),
      subscribe: await timed(`${server.url}/v1/subscriptions`, {
        method: 'POST',
        headers: { authorization: bearer(client.clientToken) },
        body: '{}',
      }),
      push: await timed(endpoint, pushInit()),
    };
    for (const [call, answer] of Object.entries(answers)) {
      expect({ call, status: answer.status }).toEqual({ call, status: 503 });
      expect(answer.retryAfter).toMatch(/^[0-9]+$/);
      expect(answer.ms).toBeLessThan(BOUND_MS);
    }
    // Listing devices still works: who is connected is then this node's own knowledge.
    const list = await timed(`${server.url}/v1/clients`, {
      headers: { authorization: bearer(client.clientToken) },
    });
    expect(list.status).toBe(200);
    expect(list.ms).toBeLessThan(BOUND_MS);

    const heartbeat = await timed(`${server.url}/__heartbeat__`);
    expect(heartbeat.status).toBe(503);
    expect(JSON.parse(heartbeat.body)).toMatchObject({ status: 'degraded', rabbitmq: 'down' });

    const started = performance.now();
    const socket = await TestSocket.open(server.url);
    socket.send({ type: 'hello', clientToken: client.clientToken });
    const closed = await socket.closed;
    expect(closed.code).toBe(CloseCode.ServerError);
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
    console.log(
      `RabbitMQ down: register ${answers.register.ms.toFixed(0)} ms, subscribe ` +
        `${answers.subscribe.ms.toFixed(0)} ms, push ${answers.push.ms.toFixed(0)} ms, list ` +
        `${list.ms.toFixed(0)} ms, hello closed 1011 after ${(performance.now() - started).toFixed(0)} ms`,
    );
  });

  it('comes back by itself when RabbitMQ does', async () => {
    await rabbit.nodes[0]!.start();
    // Until the restarted node has recovered the device's queue, pushes answer 503 (never
    // 410: the device still exists).
    const statuses = new Set<number>();
    const res = await eventually(
      async () => {
        const answer = await fetch(endpoint, pushInit());
        statuses.add(answer.status);
        return answer.status === 201 ? answer : null;
      },
      { timeoutMs: 40_000, intervalMs: 250 },
    );
    expect([...statuses].filter((s) => s !== 201 && s !== 503)).toEqual([]);
    // The server's connections to RabbitMQ come back one by one (publishing, topology,
    // consumers); the heartbeat says ok once all of them have.
    await eventually(async () => (await fetch(`${server.url}/__heartbeat__`)).status === 200, {
      timeoutMs: 15_000,
      intervalMs: 250,
    });
    const socket = await TestSocket.connect(server.url, client.clientToken);
    const notification = await socket.nextNotification();
    expect(res.headers.get('location')).toContain(notification.id);
    await socket.close();
  }, 90_000);
});

describe('D2: a memory alarm blocks publishing', () => {
  it('pushes answer 503 with Retry-After within 2 s, the heartbeat says degraded, the block is logged and counted', async () => {
    await rabbit.nodes[0]!.memoryAlarm(true);
    try {
      const pushes = await Promise.all(
        Array.from({ length: 16 }, () => timed(endpoint, pushInit())),
      );
      expect(pushes.map((p) => p.status)).toEqual(Array(16).fill(503));
      expect(pushes.every((p) => p.retryAfter !== null)).toBe(true);
      const slowest = Math.max(...pushes.map((p) => p.ms));
      expect(slowest).toBeLessThan(BOUND_MS);
      // Now that RabbitMQ has said so, the next push answers at once.
      const next = await timed(endpoint, pushInit());
      expect(next.status).toBe(503);

      const heartbeat = await timed(`${server.url}/__heartbeat__`);
      expect(heartbeat.status).toBe(503);
      expect(JSON.parse(heartbeat.body)).toMatchObject({ status: 'degraded', rabbitmq: 'down' });
      expect(heartbeat.ms).toBeLessThan(BOUND_MS);
      expect(server.logs.some((l) => l.event === 'rabbitmq.blocked')).toBe(true);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/^push_broker_blocked 1$/m);
      expect(metrics).toMatch(/^push_broker_blocked_total [1-9]/m);
      console.log(
        `memory alarm: 16 pushes answered 503 within ${slowest.toFixed(0)} ms, the next in ` +
          `${next.ms.toFixed(0)} ms; heartbeat degraded in ${heartbeat.ms.toFixed(0)} ms`,
      );
    } finally {
      await rabbit.nodes[0]!.memoryAlarm(false);
    }
    await eventually(() => server.logs.some((l) => l.event === 'rabbitmq.unblocked'), {
      timeoutMs: 10_000,
    });
    await eventually(async () => (await fetch(endpoint, pushInit())).status === 201, {
      timeoutMs: 10_000,
      intervalMs: 250,
    });
    expect((await fetch(`${server.url}/__heartbeat__`)).status).toBe(200);
  });

  it('a quiet server reports an alarm on its heartbeat too (it probes with a publish)', async () => {
    // A fresh server: its publishing connection has not been told of any alarm.
    const quiet = await startTestServer({ env: { AMQP_URL: rabbit.urls.join(',') } });
    try {
      await rabbit.nodes[0]!.memoryAlarm(true);
      try {
        const heartbeat = await timed(`${quiet.url}/__heartbeat__`);
        expect(heartbeat.status).toBe(503);
        expect(heartbeat.ms).toBeLessThan(BOUND_MS);
      } finally {
        await rabbit.nodes[0]!.memoryAlarm(false);
      }
      await eventually(async () => (await fetch(`${quiet.url}/__heartbeat__`)).status === 200, {
        timeoutMs: 10_000,
        intervalMs: 250,
      });
    } finally {
      await quiet.close();
    }
  });
});

describe('D4: stopping while RabbitMQ blocks publishing', () => {
  it('the server stops within a bounded time, unconfirmed publishes and all', async () => {
    await rabbit.nodes[0]!.memoryAlarm(true);
    try {
      // Publishes now wait for confirms RabbitMQ will not send while the alarm lasts.
      const pending = await Promise.all(
        Array.from({ length: 8 }, () => timed(endpoint, pushInit())),
      );
      expect(pending.every((p) => p.status === 503)).toBe(true);
      const started = performance.now();
      await server.close();
      const ms = performance.now() - started;
      console.log(`stopped while blocked in ${ms.toFixed(0)} ms`);
      expect(ms).toBeLessThan(8000);
    } finally {
      await rabbit.nodes[0]!.memoryAlarm(false);
    }
  });
});
