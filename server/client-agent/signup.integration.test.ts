// Sign-ups against a real server (docs/operations.md, Limits): hashing in a lane of its own
// so a flood of sign-ups cannot starve sign-ins, cheap refusals before the hash, a few
// sign-ups per address per hour, and stored hashes made again at the current cost on the
// next sign-in.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorBody } from '../../shared/protocol.js';
import { hashPassword } from '../security/passwords.js';
import { basic, createUser, uniqueUsername } from '../testing/api.js';
import { eventually } from '../testing/eventually.js';
import { MemcachedProcess } from '../testing/memcached-process.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

const signUp = (server: TestServer, username: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/v1/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ username, password: 'a long enough password' }),
  });

const signIn = (server: TestServer, username: string, password: string) =>
  fetch(`${server.url}/v1/clients`, {
    method: 'POST',
    headers: { authorization: basic(username, password), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'laptop' }),
  });

describe('a sign-up flood', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('does not hold up a sign-in: 24 sign-ups in flight, a sign-in answers within 1 s', async () => {
    const user = await createUser(server.url, uniqueUsername('steady'));
    let flooding = true;
    let signedUp = 0;
    // Loopback is allow-listed here, so neither the hourly limit nor the penalty box stops
    // the flood: only the hashing lanes stand between it and the sign-in.
    const flood = Array.from({ length: 24 }, async () => {
      while (flooding) {
        const res = await signUp(server, uniqueUsername('flood'));
        await res.arrayBuffer();
        if (res.status === 201) signedUp++;
      }
    });
    await eventually(() => signedUp >= 2, { timeoutMs: 20_000 });
    const started = performance.now();
    const res = await signIn(server, user.username, user.password);
    const elapsed = performance.now() - started;
    flooding = false;
    await Promise.all(flood);
    expect(res.status).toBe(201);
    expect(elapsed, `sign-in took ${Math.round(elapsed)} ms`).toBeLessThan(1000);
  });

  it('checks the name before hashing anything: a taken name costs no hash', async () => {
    const user = await createUser(server.url, uniqueUsername('taken'));
    const hash = vi.spyOn(server.services.passwords, 'hashForSignUp');
    try {
      const res = await signUp(server, user.username.toUpperCase());
      expect(res.status).toBe(409);
      expect(ErrorBody.parse(await res.json()).error).toBe('username_taken');
      expect(hash).not.toHaveBeenCalled();
    } finally {
      hash.mockRestore();
    }
  });
});

describe('sign-ups per address', () => {
  let memcached: MemcachedProcess;
  let server: TestServer;
  beforeAll(async () => {
    // Our own memcached: the per-address counts live for an hour.
    memcached = await MemcachedProcess.start();
    server = await startTestServer({
      env: { MEMCACHED: memcached.address, TRUST_PROXY_HOPS: '1', SIGNUPS_PER_IP_PER_HOUR: '3' },
    });
  });
  afterAll(async () => {
    await server?.close();
    await memcached?.stop();
  });

  it('allows a handful per hour per address, then 429 too_many_signups', async () => {
    const from = { 'X-Forwarded-For': '203.0.113.50' };
    const answers: Array<[number, string | null]> = [];
    for (let i = 0; i < 5; i++) {
      const res = await signUp(server, uniqueUsername('capped'), from);
      const body = res.status === 201 ? null : ErrorBody.parse(await res.json()).error;
      answers.push([res.status, body]);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(answers).toEqual([
      [201, null],
      [201, null],
      [201, null],
      [429, 'too_many_signups'],
      [429, 'too_many_signups'],
    ]);
    // A taken name is refused before the allowance is touched; another address is not affected.
    const other = { 'X-Forwarded-For': '203.0.113.51' };
    const name = uniqueUsername('other');
    expect((await signUp(server, name, other)).status).toBe(201);
    for (let i = 0; i < 3; i++) expect((await signUp(server, name, other)).status).toBe(409);
    expect((await signUp(server, uniqueUsername('other'), other)).status).toBe(201);
  });
});

describe('an older password hash', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { PASSWORD_SCRYPT_LOG_N: '15' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('is made again at the current cost on the next sign-in, and keeps working', async () => {
    const user = await createUser(server.url, uniqueUsername('rehash'));
    const { store } = server.services;
    const current = (await store.findAccountByUsername(user.username))!.passwordHash;
    expect(current).toMatch(/^scrypt\$32768\$/);
    const old = await hashPassword(user.password, { N: 2 ** 14, r: 8, p: 1 });
    expect(await store.replacePasswordHash(user.userId, current, old)).toBe(true);

    expect((await signIn(server, user.username, user.password)).status).toBe(201);
    await eventually(async () =>
      (await store.findAccountByUsername(user.username))!.passwordHash.startsWith('scrypt$32768$'),
    );
    expect(server.logs).toContainEqual(
      expect.objectContaining({ event: 'account.password_rehashed' }),
    );
    expect((await signIn(server, user.username, user.password)).status).toBe(201);
    expect((await signIn(server, user.username, 'not the password')).status).toBe(401);
  });
});
