// An in-memory Client Agent (docs/protocol.md §2) behind a fetch function, for unit tests of the
// background: the real ServerApi talks to it, so requests and answers keep their real shape.
// The e2e tests use the real server.
import {
  PAIRING_ALPHABET,
  PAIRING_STEP_PATTERN,
  PAIRING_TTL_SECONDS,
} from '../../../shared/protocol.js';
import type { FetchLike } from '../api-client.js';

interface FakeClient {
  clientId: string;
  userId: string;
  name: string;
  createdAt: string;
}

interface FakeSubscription {
  subscriptionId: string;
  userId: string;
  endpoint: string;
  meta: string | null;
  applicationServerKey: string | null;
  createdAt: string;
}

/** A pairing channel of the relay (docs/protocol.md §6). */
interface FakeChannel {
  expiresAt: number;
  steps: Map<string, unknown>;
  /** Closed by an `abort`, as the real relay does. */
  closed: boolean;
}

export const FAKE_SERVER_URL = 'http://push.test';

export class FakeServer {
  readonly accounts = new Map<string, { userId: string; password: string }>();
  readonly clients = new Map<string, FakeClient>();
  readonly subscriptions = new Map<string, FakeSubscription>();
  /** When true every request fails as if the network were down. */
  down = false;
  /** Requests (e.g. `POST /v1/clients`) that fail as if the network were down. */
  unreachable = new Set<string>();
  requests: string[] = [];
  readonly pairings = new Map<string, FakeChannel>();
  /** Changes a relayed message on its way to the reader, as a hostile relay could. */
  tamper: ((step: string, message: unknown) => unknown) | null = null;
  /** OpenID Connect providers GET /v1/info announces (docs/protocol.md §9). */
  oidcProviders: Array<{ issuer: string; clientId: string; name: string }> = [];
  /**
   * Accounts made by OIDC sign-ins, by subject. The fake takes any ID token whose payload
   * has a `sub` and an `iss` it announces; the real checks are the server's, tested there.
   */
  readonly oidcAccounts = new Map<string, string>();
  /** The relay's clock, for channel expiry. */
  relayNow: () => number = () => Date.now();
  #next = 1;
  #clock = Date.parse('2025-01-01T00:00:00Z');

  readonly fetch: FetchLike = async (input, init) => {
    if (this.down) throw new TypeError('Failed to fetch');
    const url = new URL(input);
    const method = init.method ?? 'GET';
    if (this.unreachable.has(`${method} ${url.pathname}`)) throw new TypeError('Failed to fetch');
    this.requests.push(`${method} ${url.pathname}`);
    const headers = new Headers(init.headers);
    const body =
      typeof init.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : {};
    return this.#route(method, url.pathname, headers.get('authorization'), body);
  };

  #id(prefix: string): string {
    return `${prefix}${this.#next++}`;
  }

  /** A device of `userId`, as POST /v1/clients and POST /v1/oidc/clients make one. */
  #registerClient(userId: string, name: string): { clientId: string; clientToken: string } {
    const clientId = this.#id('client');
    const clientToken = this.#id('token');
    this.clients.set(clientToken, { clientId, userId, name, createdAt: this.#now() });
    return { clientId, clientToken };
  }

  #now(): string {
    this.#clock += 1000;
    return new Date(this.#clock).toISOString();
  }

  #route(
    method: string,
    path: string,
    auth: string | null,
    body: Record<string, unknown>,
  ): Response {
    if (method === 'GET' && path === '/__heartbeat__') {
      return json(200, { status: 'ok', rabbitmq: 'ok', memcached: 'ok', database: 'ok' });
    }
    if (path === '/v1/pairings' || path.startsWith('/v1/pairings/')) {
      return this.#relay(method, path, body);
    }
    if (method === 'POST' && path === '/v1/accounts') {
      const username = String(body.username).toLowerCase();
      if (this.accounts.has(username)) return error(409, 'username_taken');
      const userId = this.#id('user');
      this.accounts.set(username, { userId, password: String(body.password) });
      return json(201, { userId });
    }
    if (method === 'GET' && path === '/v1/info') {
      return json(200, { oidcProviders: this.oidcProviders });
    }
    if (method === 'POST' && path === '/v1/oidc/nonce') {
      return json(201, { nonce: this.#id('nonce'), expiresIn: 600 });
    }
    if (method === 'POST' && path === '/v1/oidc/clients') {
      const claims = decodeClaims(String(body.idToken));
      const provider = this.oidcProviders.find((p) => p.issuer === claims?.iss);
      if (!claims || !provider || typeof claims.sub !== 'string') {
        return error(401, 'invalid_id_token');
      }
      const key = `${provider.issuer} ${claims.sub}`;
      const existing = this.oidcAccounts.get(key);
      const userId = existing ?? this.#id('user');
      this.oidcAccounts.set(key, userId);
      const client = this.#registerClient(userId, String(body.name));
      return json(201, { ...client, accountCreated: existing === undefined });
    }
    if (method === 'POST' && path === '/v1/clients') {
      const userId = this.#basicUser(auth) ?? this.#bearer(auth)?.userId;
      if (!userId) return error(401, 'unauthorized');
      return json(201, this.#registerClient(userId, String(body.name)));
    }
    const client = this.#bearer(auth);
    if (!client) return error(401, 'unauthorized');
    if (method === 'GET' && path === '/v1/clients') {
      return json(
        200,
        [...this.clients.values()]
          .filter((c) => c.userId === client.userId)
          .map((c) => ({
            clientId: c.clientId,
            name: c.name,
            createdAt: c.createdAt,
            lastSeenAt: null,
            connected: false,
          })),
      );
    }
    const clientMatch = /^\/v1\/clients\/([^/]+)$/.exec(path);
    if (method === 'DELETE' && clientMatch) {
      const entry = [...this.clients.entries()].find(
        ([, c]) => c.clientId === clientMatch[1] && c.userId === client.userId,
      );
      if (!entry) return error(404, 'not_found');
      this.clients.delete(entry[0]);
      return new Response(null, { status: 204 });
    }
    if (method === 'POST' && path === '/v1/subscriptions') {
      const subscriptionId = this.#id('sub');
      this.subscriptions.set(subscriptionId, {
        subscriptionId,
        userId: client.userId,
        endpoint: `${FAKE_SERVER_URL}/push/${subscriptionId}-token`,
        meta: typeof body.meta === 'string' ? body.meta : null,
        applicationServerKey:
          typeof body.applicationServerKey === 'string' ? body.applicationServerKey : null,
        createdAt: this.#now(),
      });
      return json(201, {
        subscriptionId,
        endpoint: `${FAKE_SERVER_URL}/push/${subscriptionId}-token`,
      });
    }
    if (method === 'GET' && path === '/v1/subscriptions') {
      return json(
        200,
        [...this.subscriptions.values()]
          .filter((s) => s.userId === client.userId)
          .map(({ subscriptionId, endpoint, meta, createdAt }) => ({
            subscriptionId,
            endpoint,
            meta,
            createdAt,
          })),
      );
    }
    const subMatch = /^\/v1\/subscriptions\/([^/]+)$/.exec(path);
    if (method === 'DELETE' && subMatch) {
      const sub = this.subscriptions.get(subMatch[1] ?? '');
      if (!sub || sub.userId !== client.userId) return error(404, 'not_found');
      this.subscriptions.delete(sub.subscriptionId);
      return new Response(null, { status: 204 });
    }
    return error(404, 'not_found');
  }

  #relay(method: string, path: string, body: Record<string, unknown>): Response {
    if (method === 'POST' && path === '/v1/pairings') {
      let channel = '';
      do {
        channel = Array.from(
          { length: 4 },
          () => PAIRING_ALPHABET[Math.floor(Math.random() * PAIRING_ALPHABET.length)],
        ).join('');
      } while (this.pairings.has(channel));
      const expiresAt = this.relayNow() + PAIRING_TTL_SECONDS * 1000;
      this.pairings.set(channel, { expiresAt, steps: new Map(), closed: false });
      return json(201, { channel, expiresAt: new Date(expiresAt).toISOString() });
    }
    const match = /^\/v1\/pairings\/([^/]+)\/([^/]+)$/.exec(path);
    if (!match) return error(404, 'not_found');
    const [, name = '', step = ''] = match;
    if (!PAIRING_STEP_PATTERN.test(step)) return error(400, 'invalid_request');
    const channel = this.pairings.get(name);
    if (!channel || channel.closed || channel.expiresAt <= this.relayNow()) {
      return error(404, 'channel_not_found');
    }
    if (method === 'PUT') {
      if (channel.steps.has(step)) return error(409, 'step_taken');
      channel.steps.set(step, body);
      if (step === 'abort') channel.closed = true;
      return new Response(null, { status: 204 });
    }
    if (method === 'GET') {
      if (!channel.steps.has(step)) return error(404, 'step_not_ready');
      const message = channel.steps.get(step);
      return json(200, this.tamper ? this.tamper(step, message) : message);
    }
    return error(405, 'method_not_allowed');
  }

  /** What was written to a channel's step (abort included), also after the channel closed. */
  step(channel: string, step: string): unknown {
    return this.pairings.get(channel)?.steps.get(step);
  }

  #basicUser(auth: string | null): string | null {
    if (!auth?.startsWith('Basic ')) return null;
    const binary = atob(auth.slice(6));
    const decoded = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const colon = decoded.indexOf(':');
    const account = this.accounts.get(decoded.slice(0, colon));
    return account && account.password === decoded.slice(colon + 1) ? account.userId : null;
  }

  #bearer(auth: string | null): FakeClient | null {
    if (!auth?.startsWith('Bearer ')) return null;
    return this.clients.get(auth.slice(7)) ?? null;
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

function error(status: number, code: string): Response {
  return json(status, { error: code, message: `${code} (fake server)` });
}

/** The payload of a JWT, unverified: the fake trusts whatever it is given. */
function decodeClaims(token: string): Record<string, unknown> | null {
  try {
    const payload = token.split('.')[1] ?? '';
    const json: unknown = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')));
    return typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** An unsigned JWT-shaped token with `claims`, for the fake server. */
export function fakeIdToken(claims: Record<string, unknown>): string {
  const part = (value: unknown) =>
    btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `${part({ alg: 'none' })}.${part(claims)}.`;
}
