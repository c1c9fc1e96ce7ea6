// The Client Agent API (docs/protocol.md §2) as the add-on uses it. Every response is checked against
// the shared schemas, so a wrong server (or a proxy's error page) is reported as such instead
// of leaking undefined values into storage.
import type { z } from 'zod';
import { utf8Encode } from '../../shared/crypto/base64url.js';
import {
  ClientList,
  CreateAccountResponse,
  CreateClientResponse,
  type CreateSubscriptionRequest,
  CreateSubscriptionResponse,
  ErrorBody,
  Heartbeat,
  OidcClientResponse,
  OidcNonceResponse,
  ServerInfo,
  SubscriptionList,
} from '../../shared/protocol.js';

/** The server answered with an error status; `code` is its machine code (docs/protocol.md, errors). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** No answer at all: offline, wrong address, server down, or it took too long. */
export class NetworkError extends Error {
  override name = 'NetworkError';
}

/** An answer that is not what a push server sends. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export type Auth = { basic: { username: string; password: string } } | { bearer: string };

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

const REQUEST_TIMEOUT_MS = 15_000;

export function basicAuthorization(username: string, password: string): string {
  // btoa takes "binary strings"; go through UTF-8 so non-ASCII passwords survive.
  const bytes = utf8Encode(`${username}:${password}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

function authorization(auth: Auth): string {
  return 'bearer' in auth
    ? `Bearer ${auth.bearer}`
    : basicAuthorization(auth.basic.username, auth.basic.password);
}

export class ServerApi {
  readonly #fetch: FetchLike;

  constructor(
    readonly baseUrl: string,
    // A wrapper, because the service worker's fetch throws when called detached from globalThis.
    fetchImpl: FetchLike = (input, init) => fetch(input, init),
  ) {
    this.#fetch = fetchImpl;
  }

  /** 200 and 503 both carry the heartbeat shape (docs/protocol.md §8). */
  async heartbeat(): Promise<Heartbeat> {
    const response = await this.#send('GET', '/__heartbeat__');
    const body = await readJson(response);
    const parsed = Heartbeat.safeParse(body);
    if (!parsed.success) {
      if (!response.ok) throw apiError(response.status, body);
      throw new ProtocolError('this address does not answer like a push server');
    }
    return parsed.data;
  }

  async createAccount(username: string, password: string): Promise<CreateAccountResponse> {
    return this.#json(CreateAccountResponse, 'POST', '/v1/accounts', null, { username, password });
  }

  async createClient(auth: Auth, name: string): Promise<CreateClientResponse> {
    return this.#json(CreateClientResponse, 'POST', '/v1/clients', auth, { name });
  }

  /** What the server offers before sign-in: its OpenID Connect providers (docs/protocol.md §9). */
  async info(): Promise<ServerInfo> {
    return this.#json(ServerInfo, 'GET', '/v1/info', null);
  }

  async oidcNonce(): Promise<OidcNonceResponse> {
    return this.#json(OidcNonceResponse, 'POST', '/v1/oidc/nonce', null);
  }

  async createOidcClient(idToken: string, name: string): Promise<OidcClientResponse> {
    return this.#json(OidcClientResponse, 'POST', '/v1/oidc/clients', null, { idToken, name });
  }

  async listClients(token: string): Promise<z.infer<typeof ClientList>> {
    return this.#json(ClientList, 'GET', '/v1/clients', { bearer: token });
  }

  async deleteClient(token: string, clientId: string): Promise<void> {
    await this.#empty('DELETE', `/v1/clients/${encodeURIComponent(clientId)}`, { bearer: token });
  }

  async createSubscription(
    token: string,
    body: CreateSubscriptionRequest,
  ): Promise<CreateSubscriptionResponse> {
    return this.#json(
      CreateSubscriptionResponse,
      'POST',
      '/v1/subscriptions',
      { bearer: token },
      body,
    );
  }

  async listSubscriptions(token: string): Promise<z.infer<typeof SubscriptionList>> {
    return this.#json(SubscriptionList, 'GET', '/v1/subscriptions', { bearer: token });
  }

  async deleteSubscription(token: string, subscriptionId: string): Promise<void> {
    await this.#empty('DELETE', `/v1/subscriptions/${encodeURIComponent(subscriptionId)}`, {
      bearer: token,
    });
  }

  async #json<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    auth: Auth | null,
    body?: unknown,
  ): Promise<z.infer<S>> {
    const response = await this.#send(method, path, auth, body);
    const json = await readJson(response);
    if (!response.ok) throw apiError(response.status, json);
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new ProtocolError(`unexpected answer to ${method} ${path}`);
    return parsed.data;
  }

  async #empty(method: string, path: string, auth: Auth): Promise<void> {
    const response = await this.#send(method, path, auth);
    if (!response.ok) throw apiError(response.status, await readJson(response));
  }

  async #send(method: string, path: string, auth?: Auth | null, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (auth) headers.Authorization = authorization(auth);
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await this.#fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        // Nothing here should be answered from, or stored in, the HTTP cache.
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (err) {
      const timedOut = err instanceof DOMException && err.name === 'TimeoutError';
      throw new NetworkError(
        timedOut ? 'The push server did not answer in time.' : 'The push server cannot be reached.',
      );
    }
  }
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => '');
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function apiError(status: number, body: unknown): ApiError {
  const parsed = ErrorBody.safeParse(body);
  if (parsed.success) return new ApiError(status, parsed.data.error, parsed.data.message);
  return new ApiError(status, `http_${status}`, `the server answered ${status}`);
}
