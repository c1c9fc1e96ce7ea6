// Sign-in with an OpenID Connect provider (docs/protocol.md §9) against a real server and a
// real provider (npm oidc-provider on 127.0.0.1): the ID token of an authorization-code flow
// with PKCE buys a device of the account of (issuer, sub), made on first use; every token
// that is not exactly right is a 401 and is logged without the token.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ClientList,
  ErrorBody,
  OidcClientResponse,
  OidcNonceResponse,
  ServerInfo,
} from '../../shared/protocol.js';
import { bearer } from '../testing/api.js';
import { MemcachedProcess } from '../testing/memcached-process.js';
import { TestOidcProvider } from '../testing/oidc-provider.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

const CLIENT_ID = 'push-addon';
const ADMIN_TOKEN = `admin-${'0123456789abcdef'.repeat(2)}`;
const REDIRECT = 'http://127.0.0.1:1/callback';

describe('OpenID Connect sign-in', () => {
  let provider: TestOidcProvider;
  /** Runs, but is not in OIDC_ISSUERS. */
  let stranger: TestOidcProvider;
  let server: TestServer;
  /** Every ID token a test handed the server: none may reach the logs. */
  const tokens: string[] = [];

  beforeAll(async () => {
    const clients = [
      { clientId: CLIENT_ID, redirectUris: [REDIRECT] },
      { clientId: 'other-app', redirectUris: [REDIRECT] },
    ];
    provider = await TestOidcProvider.start({ clients });
    stranger = await TestOidcProvider.start({ clients });
    server = await startTestServer({
      env: {
        OIDC_ISSUERS: JSON.stringify([
          { issuer: provider.issuer, clientId: CLIENT_ID, name: 'Test ID' },
          // Configured, but nothing listens there.
          { issuer: 'http://127.0.0.1:9', clientId: CLIENT_ID, name: 'Gone' },
        ]),
        // The rotation test waits this long for the server to fetch the keys again.
        OIDC_JWKS_COOLDOWN_SECONDS: '1',
        ADMIN_TOKEN,
      },
    });
  });

  afterAll(async () => {
    await server?.close();
    await provider?.close();
    await stranger?.close();
  });

  async function nonce(): Promise<string> {
    const res = await fetch(`${server.url}/v1/oidc/nonce`, { method: 'POST' });
    expect(res.status).toBe(201);
    return OidcNonceResponse.parse(await res.json()).nonce;
  }

  async function exchange(idToken: string, name = 'laptop') {
    tokens.push(idToken);
    const res = await fetch(`${server.url}/v1/oidc/clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ idToken, name }),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  }

  async function signIn(user = 'alice', clientId = CLIENT_ID, from = provider) {
    const { idToken } = await from.signIn({
      clientId,
      redirectUri: REDIRECT,
      nonce: await nonce(),
      user,
    });
    return idToken;
  }

  async function refused(idToken: string) {
    const { status, body } = await exchange(idToken);
    expect(status).toBe(401);
    return ErrorBody.parse(body);
  }

  async function devices(clientToken: string) {
    const res = await fetch(`${server.url}/v1/clients`, {
      headers: { authorization: bearer(clientToken) },
    });
    expect(res.status).toBe(200);
    return ClientList.parse(await res.json());
  }

  it('GET /v1/info lists the issuers with their client ids and names', async () => {
    const res = await fetch(`${server.url}/v1/info`);
    expect(res.status).toBe(200);
    expect(ServerInfo.parse(await res.json())).toEqual({
      oidcProviders: [
        { issuer: provider.issuer, clientId: CLIENT_ID, name: 'Test ID' },
        { issuer: 'http://127.0.0.1:9', clientId: CLIENT_ID, name: 'Gone' },
      ],
    });
  });

  it('makes the account on first use and finds the same account on the next', async () => {
    const first = await exchange(await signIn('carol'), 'laptop');
    expect(first.status).toBe(201);
    const laptop = OidcClientResponse.parse(first.body);
    expect(laptop.accountCreated).toBe(true);

    const second = await exchange(await signIn('carol'), 'phone');
    expect(second.status).toBe(201);
    const phone = OidcClientResponse.parse(second.body);
    expect(phone.accountCreated).toBe(false);
    expect(phone.clientId).not.toBe(laptop.clientId);
    // One account, two devices: each token lists both.
    expect((await devices(phone.clientToken)).map((d) => d.name).sort()).toEqual([
      'laptop',
      'phone',
    ]);

    // Another subject is another account.
    const dave = OidcClientResponse.parse((await exchange(await signIn('dave'))).body);
    expect(dave.accountCreated).toBe(true);
    expect((await devices(dave.clientToken)).map((d) => d.clientId)).toEqual([dave.clientId]);

    const identity = await server.services.store.findClientByTokenHash(
      (await import('../security/tokens.js')).hashToken(laptop.clientToken),
    );
    expect(identity?.account).toMatchObject({
      oidcIssuer: provider.issuer,
      oidcSubject: 'carol',
      passwordHash: '',
    });

    // The admin page shows how the account signs in.
    const userId = identity!.account.userId;
    const adminHeaders = { authorization: bearer(ADMIN_TOKEN) };
    const detail = await fetch(`${server.url}/admin/api/accounts/${userId}`, {
      headers: adminHeaders,
    });
    expect(await detail.json()).toMatchObject({ userId, oidcIssuer: provider.issuer });
    const found = await fetch(`${server.url}/admin/api/accounts?q=${userId}`, {
      headers: adminHeaders,
    });
    expect(await found.json()).toMatchObject({
      accounts: [{ userId, oidcIssuer: provider.issuer, clients: 2 }],
    });
  });

  it('never lets a password sign into an account made by OpenID Connect', async () => {
    expect((await exchange(await signIn('erin'))).status).toBe(201);
    const { account } = await server.services.store.findOrCreateOidcAccount(
      provider.issuer,
      'erin',
    );
    // Its name holds a ':', which Basic credentials cannot even carry; were it found by some
    // other name, its empty hash must still match no password, the empty one included.
    const lookup = vi
      .spyOn(server.services.store, 'findAccountByUsername')
      .mockResolvedValue(account);
    try {
      for (const password of ['', 'x']) {
        const res = await fetch(`${server.url}/v1/clients`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`erin:${password}`).toString('base64')}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ name: 'laptop' }),
        });
        expect(res.status).toBe(401);
      }
      expect(lookup).toHaveBeenCalledTimes(2);
    } finally {
      lookup.mockRestore();
    }
  });

  it('answers like POST /v1/clients: a device name is required', async () => {
    const { status, body } = await exchange(await signIn(), '  ');
    expect(status).toBe(400);
    expect(ErrorBody.parse(body).error).toBe('invalid_request');
  });

  it('refuses an expired ID token', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    const idToken = await provider.signIdToken({
      sub: 'alice',
      aud: CLIENT_ID,
      nonce: await nonce(),
      iat: past - 300,
      exp: past,
    });
    const error = await refused(idToken);
    expect(error).toEqual({ error: 'invalid_id_token', message: 'the ID token has expired' });
  });

  it('refuses an ID token issued to another client (aud)', async () => {
    const error = await refused(await signIn('alice', 'other-app'));
    expect(error.error).toBe('invalid_id_token');
    expect(error.message).toMatch(/another client \(aud\)/);
  });

  it('with several audiences, accepts the token only when azp names this client', async () => {
    const aud = [CLIENT_ID, 'other-app'];
    const toOther = await provider.signIdToken({
      sub: 'alice',
      aud,
      azp: 'other-app',
      nonce: await nonce(),
    });
    expect((await refused(toOther)).message).toMatch(/another client \(azp\)/);
    const toUs = await provider.signIdToken({
      sub: 'alice',
      aud,
      azp: CLIENT_ID,
      nonce: await nonce(),
    });
    expect((await exchange(toUs)).status).toBe(201);
  });

  it('refuses an ID token of an issuer it was not configured with', async () => {
    const error = await refused(await signIn('alice', CLIENT_ID, stranger));
    expect(error.error).toBe('invalid_id_token');
    expect(error.message).toMatch(/issuer this server does not accept/);
  });

  it('refuses an ID token naming a configured issuer but signed by another key', async () => {
    const forged = await stranger.signIdToken({
      iss: provider.issuer,
      sub: 'alice',
      aud: CLIENT_ID,
      nonce: await nonce(),
    });
    const error = await refused(forged);
    expect(error.error).toBe('invalid_id_token');
    expect(error.message).toMatch(/signature/);
  });

  it('refuses an ID token used twice (its nonce is spent) and a nonce it never issued', async () => {
    const idToken = await signIn();
    expect((await exchange(idToken)).status).toBe(201);
    const replay = await refused(idToken);
    expect(replay.error).toBe('invalid_nonce');

    const { idToken: ownNonce } = await provider.signIn({
      clientId: CLIENT_ID,
      redirectUri: REDIRECT,
      nonce: 'n'.repeat(43),
    });
    expect((await refused(ownNonce)).error).toBe('invalid_nonce');
  });

  it('does not spend a nonce on a token it refuses', async () => {
    const spare = await nonce();
    const wrongAudience = await provider.signIdToken({ sub: 'alice', aud: 'other', nonce: spare });
    expect((await refused(wrongAudience)).error).toBe('invalid_id_token');
    const right = await provider.signIdToken({ sub: 'alice', aud: CLIENT_ID, nonce: spare });
    expect((await exchange(right)).status).toBe(201);
  });

  it('follows a key rotation: new tokens verify, and so do tokens signed before it', async () => {
    // The server has the current keys (an earlier sign-in fetched them).
    expect((await exchange(await signIn())).status).toBe(201);
    const oldKid = provider.currentKid;
    const beforeRotation = await signIn();

    await provider.rotateKeys();
    expect(provider.currentKid).not.toBe(oldKid);
    const afterRotation = await signIn();
    const header = JSON.parse(
      Buffer.from(afterRotation.split('.')[0]!, 'base64url').toString(),
    ) as { kid: string };
    expect(header.kid).toBe(provider.currentKid);
    // Past OIDC_JWKS_COOLDOWN_SECONDS, an unknown kid makes the server fetch the keys again.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await exchange(afterRotation)).status).toBe(201);
    expect((await exchange(beforeRotation)).status).toBe(201);
  });

  it('answers 503 when a configured provider cannot be reached, and 401 to what is no JWT', async () => {
    const unreachable = await stranger.signIdToken({
      iss: 'http://127.0.0.1:9',
      sub: 'alice',
      aud: CLIENT_ID,
      nonce: await nonce(),
    });
    const { status, body } = await exchange(unreachable);
    expect(status).toBe(503);
    expect(ErrorBody.parse(body).error).toBe('provider_unavailable');

    expect(await refused('not-a-jwt')).toEqual({
      error: 'invalid_id_token',
      message: 'the ID token is not a JWT',
    });
  });

  it('logs each refusal with its reason, and never an ID token', () => {
    const refusals = server.logs.filter((l) => l.event === 'oidc.token_rejected');
    expect(refusals.map((l) => l.reason)).toEqual(
      expect.arrayContaining(['the ID token has expired']),
    );
    expect(server.logs.some((l) => l.event === 'oidc.nonce_rejected')).toBe(true);
    expect(tokens.length).toBeGreaterThan(10);
    for (const token of tokens) {
      // The signature alone would do to tell; the whole token must not be there either.
      const signature = token.split('.')[2] ?? token;
      for (const line of server.rawLogs) expect(line).not.toContain(signature);
    }
  });
});

describe('a server without OIDC_ISSUERS', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('lists no provider and hands out no nonce', async () => {
    const info = await fetch(`${server.url}/v1/info`);
    expect(ServerInfo.parse(await info.json())).toEqual({ oidcProviders: [] });
    const res = await fetch(`${server.url}/v1/oidc/nonce`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(ErrorBody.parse(await res.json()).error).toBe('oidc_disabled');
  });
});

describe('sign-in nonces per address', () => {
  let memcached: MemcachedProcess;
  let provider: TestOidcProvider;
  let server: TestServer;
  beforeAll(async () => {
    // Our own memcached: the per-address counts live for an hour.
    memcached = await MemcachedProcess.start();
    provider = await TestOidcProvider.start({
      clients: [{ clientId: CLIENT_ID, redirectUris: [REDIRECT] }],
    });
    server = await startTestServer({
      env: {
        MEMCACHED: memcached.address,
        TRUST_PROXY_HOPS: '1',
        OIDC_NONCES_PER_IP_PER_HOUR: '3',
        OIDC_ISSUERS: JSON.stringify([{ issuer: provider.issuer, clientId: CLIENT_ID, name: 'T' }]),
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await provider?.close();
    await memcached?.stop();
  });

  it('are a few per hour per address, then 429 too_many_nonces; another address is not affected', async () => {
    const ask = (ip: string) =>
      fetch(`${server.url}/v1/oidc/nonce`, {
        method: 'POST',
        headers: { 'X-Forwarded-For': ip },
      });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await ask('203.0.113.60');
      statuses.push(res.status);
      if (res.status === 429) {
        expect(ErrorBody.parse(await res.json()).error).toBe('too_many_nonces');
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      } else {
        await res.arrayBuffer();
      }
    }
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    expect((await ask('203.0.113.61')).status).toBe(201);
  });
});
