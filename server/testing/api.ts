// Thin typed calls to the Client Agent and POST Office for tests.
import { randomBytes } from 'node:crypto';
import webpush from 'web-push';
import { CreateClientResponse, CreateSubscriptionResponse } from '../../shared/protocol.js';

export interface TestUser {
  username: string;
  password: string;
  userId: string;
}

export interface TestClient {
  clientId: string;
  clientToken: string;
}

let counter = 0;
export function uniqueUsername(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export function bearer(token: string): string {
  return `Bearer ${token}`;
}

export async function json(res: Response): Promise<unknown> {
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

export async function createUser(base: string, username = uniqueUsername()): Promise<TestUser> {
  // Random, so a test scanning the logs for it cannot be fooled by some other text.
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  const res = await fetch(`${base}/v1/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 201) throw new Error(`account: ${res.status} ${await res.text()}`);
  const { userId } = (await res.json()) as { userId: string };
  return { username, password, userId };
}

export async function createClient(
  base: string,
  user: TestUser,
  name = 'test device',
): Promise<TestClient> {
  const res = await fetch(`${base}/v1/clients`, {
    method: 'POST',
    headers: {
      authorization: basic(user.username, user.password),
      'content-type': 'application/json',
    },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 201) throw new Error(`client: ${res.status} ${await res.text()}`);
  return CreateClientResponse.parse(await res.json());
}

/** Another client of the same user, registered with the Bearer of an existing one (no scrypt). */
export async function createSiblingClient(
  base: string,
  existing: TestClient,
  name = 'test device',
): Promise<TestClient> {
  const res = await fetch(`${base}/v1/clients`, {
    method: 'POST',
    headers: { authorization: bearer(existing.clientToken), 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 201) throw new Error(`client: ${res.status} ${await res.text()}`);
  return CreateClientResponse.parse(await res.json());
}

export async function createSubscription(
  base: string,
  client: TestClient,
  body: { applicationServerKey?: string; meta?: string } = {},
): Promise<{ subscriptionId: string; endpoint: string }> {
  const res = await fetch(`${base}/v1/subscriptions`, {
    method: 'POST',
    headers: { authorization: bearer(client.clientToken), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`subscription: ${res.status} ${await res.text()}`);
  return CreateSubscriptionResponse.parse(await res.json());
}

/** An account with one registered client, as one object. */
export async function createUserWithClient(
  base: string,
  prefix = 'user',
): Promise<TestUser & TestClient> {
  const user = await createUser(base, uniqueUsername(prefix));
  return { ...user, ...(await createClient(base, user)) };
}

/** A user with one client and one subscription: the usual starting point. */
export async function userWithSubscription(
  base: string,
  body: { applicationServerKey?: string } = {},
) {
  const user = await createUser(base);
  const client = await createClient(base, user);
  const subscription = await createSubscription(base, client, body);
  return { user, client, subscription };
}

/** A raw POST to an endpoint with the given headers and body. */
export function push(
  endpoint: string,
  headers: Record<string, string>,
  body?: Uint8Array<ArrayBuffer> | string,
): Promise<Response> {
  return fetch(endpoint, { method: 'POST', headers, body: body ?? null });
}

export interface WebPushSendOptions {
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } };
  payload?: string | Buffer;
  vapid?: { subject: string; publicKey: string; privateKey: string };
  ttl?: number;
  urgency?: 'very-low' | 'low' | 'normal' | 'high';
  topic?: string;
  /** The content coding web-push encrypts with; aesgcm also switches VAPID to its legacy form. */
  encoding?: 'aes128gcm' | 'aesgcm';
}

/**
 * Sends like any Web Push application server, with npm web-push building the request
 * (RFC 8291 body, VAPID header). web-push only speaks https, so the request it built is
 * sent with fetch over plain http to the loopback server.
 */
export async function sendWithWebPush(options: WebPushSendOptions): Promise<Response> {
  const details = webpush.generateRequestDetails(
    options.subscription,
    options.payload ?? undefined,
    {
      TTL: options.ttl ?? 60,
      contentEncoding: options.encoding ?? 'aes128gcm',
      ...(options.vapid ? { vapidDetails: options.vapid } : {}),
      ...(options.urgency ? { urgency: options.urgency } : {}),
      ...(options.topic ? { topic: options.topic } : {}),
    },
  );
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(details.headers)) headers[k] = String(v);
  delete headers['Content-Length'];
  return fetch(details.endpoint, {
    method: details.method,
    headers,
    body: details.body ? new Uint8Array(details.body) : null,
  });
}
