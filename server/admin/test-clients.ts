// What the admin and logging integration tests need of a user: an account, a client, a
// subscription, a WebSocket connection. Plain HTTP and `ws`, as a real client would do.
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

export interface TestUser {
  username: string;
  password: string;
  userId: string;
  clientId: string;
  clientToken: string;
}

async function json<T>(response: Response, expected: number): Promise<T> {
  const text = await response.text();
  if (response.status !== expected) {
    throw new Error(`expected ${expected}, got ${response.status}: ${text}`);
  }
  return JSON.parse(text) as T;
}

export async function createUser(baseUrl: string, prefix = 'user'): Promise<TestUser> {
  const username = `${prefix}-${randomBytes(5).toString('hex')}`;
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  const { userId } = await json<{ userId: string }>(
    await fetch(`${baseUrl}/v1/accounts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
    }),
    201,
  );
  const client = await addClient(baseUrl, username, password);
  return { username, password, userId, ...client };
}

export async function addClient(
  baseUrl: string,
  username: string,
  password: string,
  name = 'test device',
): Promise<{ clientId: string; clientToken: string }> {
  return json(
    await fetch(`${baseUrl}/v1/clients`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
      },
      body: JSON.stringify({ name }),
    }),
    201,
  );
}

export async function subscribe(
  baseUrl: string,
  clientToken: string,
  body: { applicationServerKey?: string; meta?: string } = {},
): Promise<{ subscriptionId: string; endpoint: string }> {
  return json(
    await fetch(`${baseUrl}/v1/subscriptions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${clientToken}` },
      body: JSON.stringify(body),
    }),
    201,
  );
}

export interface Connection {
  ws: WebSocket;
  /** Frames received after the hello, parsed. */
  frames: Array<Record<string, unknown>>;
  /** Resolves with the close code. */
  closed: Promise<number>;
  nextFrame(type: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** Connects and completes the hello; rejects when the server closes instead. */
export function connect(baseUrl: string, clientToken: string): Promise<Connection> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/connect`);
  const frames: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.on('message', (data) => {
    frames.push(JSON.parse(String(data)) as Record<string, unknown>);
    for (const wake of waiters.splice(0)) wake();
  });
  const nextFrame = (type: string, timeoutMs = 5000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} frame`)), timeoutMs);
      const look = () => {
        const index = frames.findIndex((f) => f.type === type);
        if (index >= 0) {
          clearTimeout(timer);
          resolve(frames.splice(index, 1)[0]!);
        } else waiters.push(look);
      };
      look();
    });
  return new Promise((resolve, reject) => {
    ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', clientToken })));
    ws.once('error', reject);
    void closed.then((code) => reject(new Error(`closed with ${code} before hello`)));
    nextFrame('hello').then(() => resolve({ ws, frames, closed, nextFrame }), reject);
  });
}

/** Resolves with the close code of a hello the server refuses. */
export function refusedHello(baseUrl: string, clientToken: string): Promise<number> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/connect`);
  ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', clientToken })));
  ws.on('error', () => {});
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}
