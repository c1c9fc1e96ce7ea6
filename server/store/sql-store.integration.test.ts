// The Store contract against both real databases it supports: a fresh SQLite file and a
// throwaway PostgreSQL database created for this run. The same assertions run on both,
// because SqlStore's SQL is meant to be the common subset and dialect slips (placeholders,
// LIKE escaping, COUNT types, ON CONFLICT) only show up on the real engine.
//
// PostgreSQL must be reachable: when it is not, the PostgreSQL suite fails (it never skips),
// so a machine without it cannot pass for one that tested it. scripts/services.sh --browsers
// (what `npm test` runs) starts it and creates the `push` role used below.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../config.js';
import { newId } from '../security/tokens.js';
import { createTestDatabase } from '../testing/postgres.js';
import { MIGRATION_LOCK, migrate, migrations } from './migrations.js';
import { openStore } from './open-store.js';
import { type SqlDriver, UniqueViolation } from './sql-driver.js';
import type { SqlStore } from './sql-store.js';
import type { Account } from './store.js';

type Database = Config['database'];

/** A PostgreSQL database of this run's own; the name is unique so parallel files never clash. */
async function createPgDatabase(
  prefix: string,
): Promise<{ database: Database; drop(): Promise<void> }> {
  const db = await createTestDatabase(prefix);
  return { database: { kind: 'postgres', url: db.url }, drop: db.drop };
}

interface Backend {
  name: string;
  setUp(): Promise<Database>;
  tearDown(): Promise<void>;
}

function sqliteBackend(): Backend {
  let dir = '';
  return {
    name: 'SQLite',
    async setUp() {
      dir = mkdtempSync(join(tmpdir(), 'push-store-test-'));
      return { kind: 'sqlite', path: join(dir, 'push.db') };
    },
    async tearDown() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresBackend(): Backend {
  let drop: () => Promise<void> = async () => {};
  return {
    name: 'PostgreSQL',
    async setUp() {
      const created = await createPgDatabase('push_store_test');
      drop = created.drop;
      return created.database;
    },
    async tearDown() {
      await drop();
    },
  };
}

const unique = (label: string) => `${label}-${randomBytes(5).toString('hex')}`;
/** Lets the clock move on so two rows get different ISO timestamps. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 3));

describe.each([sqliteBackend(), postgresBackend()])('SqlStore on $name', (backend) => {
  let store: SqlStore;
  let driver: SqlDriver;

  let setupError: unknown = null;

  beforeAll(async () => {
    try {
      const database = await backend.setUp();
      ({ store, driver } = await openStore(database));
    } catch (err) {
      setupError = err;
    }
  });

  // A failed beforeAll would mark every test "skipped"; an unreachable database must
  // instead fail each of them, so no one mistakes the run for a pass.
  beforeEach(() => {
    if (setupError) throw setupError;
  });

  afterAll(async () => {
    await store?.close();
    await backend.tearDown();
  });

  async function newAccount(label = 'user'): Promise<Account> {
    const account = await store.createAccount(unique(label), 'scrypt$hash');
    if (!account) throw new Error('a fresh username must not be taken');
    return account;
  }

  async function newSubscription(userId: string, clientId: string, meta: string | null = null) {
    return store.createSubscription({
      subscriptionId: newId(),
      userId,
      clientId,
      tokenHash: randomBytes(32).toString('base64url'),
      applicationServerKey: null,
      meta,
    });
  }

  describe('accounts', () => {
    it('creates an account, refuses a taken username, and finds it by name and id', async () => {
      const username = unique('alice');
      const account = await store.createAccount(username, 'hash-1');
      expect(account).toMatchObject({ username, passwordHash: 'hash-1', disabledAt: null });
      expect(account?.userId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(new Date(account?.createdAt ?? '').toISOString()).toBe(account?.createdAt);

      expect(await store.createAccount(username, 'hash-2')).toBeNull();
      // The refused duplicate must not have overwritten anything.
      expect(await store.findAccountByUsername(username)).toEqual(account);
      expect(await store.getAccount(account!.userId)).toEqual(account);
      expect(await store.findAccountByUsername(unique('nobody'))).toBeNull();
      expect(await store.getAccount('no-such-user')).toBeNull();
    });

    it('makes the account of an OpenID Connect identity once, without a password (docs/protocol.md §9)', async () => {
      const issuer = `http://127.0.0.1:1/${unique('issuer')}`;
      const first = await store.findOrCreateOidcAccount(issuer, 'subject-1');
      expect(first.created).toBe(true);
      expect(first.account).toMatchObject({
        username: expect.stringMatching(/^oidc:[0-9a-f]{24}$/),
        passwordHash: '',
        oidcIssuer: issuer,
        oidcSubject: 'subject-1',
        disabledAt: null,
      });
      const again = await store.findOrCreateOidcAccount(issuer, 'subject-1');
      expect(again).toEqual({ account: first.account, created: false });
      expect(await store.getAccount(first.account.userId)).toEqual(first.account);
      // The same subject at another issuer is another person.
      const elsewhere = await store.findOrCreateOidcAccount(`${issuer}/other`, 'subject-1');
      expect(elsewhere.created).toBe(true);
      expect(elsewhere.account.userId).not.toBe(first.account.userId);
      // Password accounts have no identity, and many of them coexist with it.
      expect((await newAccount()).oidcIssuer).toBeNull();
      expect((await newAccount()).oidcSubject).toBeNull();
      expect(await store.searchAccounts(first.account.userId, 10)).toEqual([
        expect.objectContaining({ userId: first.account.userId, oidcIssuer: issuer }),
      ]);
      const tokenHash = unique('hash');
      await store.createClient(first.account.userId, 'laptop', tokenHash);
      expect((await store.findClientByTokenHash(tokenHash))?.account).toEqual(first.account);
    });

    it('gives racing first sign-ins of one identity the same account', async () => {
      const issuer = `http://127.0.0.1:1/${unique('issuer')}`;
      const results = await Promise.all(
        Array.from({ length: 8 }, () => store.findOrCreateOidcAccount(issuer, 'racer')),
      );
      const ids = new Set(results.map((r) => r.account.userId));
      expect(ids.size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
    });

    it('disables and re-enables an account; an unknown one reports false', async () => {
      const account = await newAccount();
      expect(await store.setAccountDisabled(account.userId, true)).toBe(true);
      expect((await store.getAccount(account.userId))?.disabledAt).toEqual(expect.any(String));
      expect(await store.setAccountDisabled(account.userId, false)).toBe(true);
      expect((await store.getAccount(account.userId))?.disabledAt).toBeNull();
      expect(await store.setAccountDisabled('no-such-user', true)).toBe(false);
    });
  });

  describe('clients', () => {
    it('creates, lists (oldest first), gets and deletes clients of their own user only', async () => {
      const owner = await newAccount('owner');
      const other = await newAccount('other');
      const laptop = await store.createClient(owner.userId, 'laptop', unique('hash'));
      await tick();
      const phone = await store.createClient(owner.userId, 'phone', unique('hash'));
      await store.createClient(other.userId, 'theirs', unique('hash'));

      expect(laptop).toMatchObject({ userId: owner.userId, name: 'laptop', lastSeenAt: null });
      expect(await store.listClients(owner.userId)).toEqual([laptop, phone]);
      expect(await store.getClient(phone.clientId)).toEqual(phone);
      expect(await store.getClient('no-such-client')).toBeNull();

      // Another user's id never deletes it (the route answers 404 on false).
      expect(await store.deleteClient(other.userId, laptop.clientId)).toBe(false);
      expect(await store.getClient(laptop.clientId)).toEqual(laptop);

      expect(await store.deleteClient(owner.userId, laptop.clientId)).toBe(true);
      expect(await store.deleteClient(owner.userId, laptop.clientId)).toBe(false);
      expect(await store.getClient(laptop.clientId)).toBeNull();
      expect(await store.listClients(owner.userId)).toEqual([phone]);
    });

    it('finds a client by token hash with its own account, disabled or not', async () => {
      const account = await newAccount();
      // The client is created later than the account, so a created_at taken from the
      // wrong table would show.
      await tick();
      const hash = unique('hash');
      const client = await store.createClient(account.userId, 'laptop', hash);

      expect(await store.findClientByTokenHash(hash)).toEqual({ client, account });
      expect(await store.findClientByTokenHash(unique('hash'))).toBeNull();

      await store.setAccountDisabled(account.userId, true);
      const disabled = await store.findClientByTokenHash(hash);
      expect(disabled?.client).toEqual(client);
      expect(disabled?.account.disabledAt).toEqual(expect.any(String));

      await store.deleteClient(account.userId, client.clientId);
      expect(await store.findClientByTokenHash(hash)).toBeNull();
    });

    it('touchClient records when the client was last seen', async () => {
      const account = await newAccount();
      const hash = unique('hash');
      const client = await store.createClient(account.userId, 'laptop', hash);
      const at = '2030-01-02T03:04:05.678Z';
      await store.touchClient(client.clientId, at);
      expect((await store.getClient(client.clientId))?.lastSeenAt).toBe(at);
      expect((await store.listClients(account.userId))[0]?.lastSeenAt).toBe(at);
      expect((await store.findClientByTokenHash(hash))?.client.lastSeenAt).toBe(at);
    });

    it('refuses a second client with the same token hash as a UniqueViolation', async () => {
      const account = await newAccount();
      const hash = unique('hash');
      await store.createClient(account.userId, 'one', hash);
      await expect(store.createClient(account.userId, 'two', hash)).rejects.toBeInstanceOf(
        UniqueViolation,
      );
    });

    it('lists client ids oldest first, up to the limit', async () => {
      const before = await store.listClientIds(10_000);
      const account = await newAccount();
      await tick();
      const a = await store.createClient(account.userId, 'a', unique('hash'));
      await tick();
      const b = await store.createClient(account.userId, 'b', unique('hash'));
      expect(await store.listClientIds(10_000)).toEqual([...before, a.clientId, b.clientId]);
      expect(await store.listClientIds(1)).toEqual([before[0] ?? a.clientId]);
    });
  });

  describe('subscriptions', () => {
    it('creates and lists the live subscriptions of a user, whichever client made them', async () => {
      const account = await newAccount();
      const laptop = await store.createClient(account.userId, 'laptop', unique('hash'));
      const phone = await store.createClient(account.userId, 'phone', unique('hash'));
      const key = randomBytes(65).toString('base64url');
      const first = await store.createSubscription({
        subscriptionId: newId(),
        userId: account.userId,
        clientId: laptop.clientId,
        tokenHash: unique('token-hash'),
        applicationServerKey: key,
        meta: 'sealed-meta',
      });
      await tick();
      const second = await newSubscription(account.userId, phone.clientId);
      const stranger = await newAccount();
      const strangerClient = await store.createClient(stranger.userId, 'x', unique('hash'));
      await newSubscription(stranger.userId, strangerClient.clientId);

      expect(first).toMatchObject({
        userId: account.userId,
        clientId: laptop.clientId,
        applicationServerKey: key,
        meta: 'sealed-meta',
        deletedAt: null,
      });
      expect(second).toMatchObject({ applicationServerKey: null, meta: null });
      expect(await store.listSubscriptions(account.userId)).toEqual([first, second]);
    });

    it('deletes a subscription of its own user once, leaving a tombstone', async () => {
      const account = await newAccount();
      const other = await newAccount();
      const client = await store.createClient(account.userId, 'laptop', unique('hash'));
      const keep = await newSubscription(account.userId, client.clientId);
      const gone = await newSubscription(account.userId, client.clientId);

      expect(await store.deleteSubscription(other.userId, gone.subscriptionId)).toBeNull();
      expect(await store.listSubscriptions(account.userId)).toHaveLength(2);

      const deleted = await store.deleteSubscription(account.userId, gone.subscriptionId);
      expect(deleted).toEqual({ ...gone, deletedAt: expect.any(String) });
      expect(await store.deleteSubscription(account.userId, gone.subscriptionId)).toBeNull();
      expect(await store.listSubscriptions(account.userId)).toEqual([keep]);

      // The tombstone still answers by token hash, so the POST Office can say 410 rather than 404.
      const target = await store.findSubscriptionByTokenHash(gone.tokenHash);
      expect(target).toEqual({
        subscription: { ...gone, deletedAt: deleted?.deletedAt },
        accountActive: true,
      });
      expect(await store.findSubscriptionByTokenHash(keep.tokenHash)).toEqual({
        subscription: keep,
        accountActive: true,
      });
      expect(await store.findSubscriptionByTokenHash(unique('token'))).toBeNull();
    });

    it('reports the subscriptions of a disabled account as inactive', async () => {
      const account = await newAccount();
      const client = await store.createClient(account.userId, 'laptop', unique('hash'));
      const subscription = await newSubscription(account.userId, client.clientId);

      await store.setAccountDisabled(account.userId, true);
      expect(await store.findSubscriptionByTokenHash(subscription.tokenHash)).toEqual({
        subscription,
        accountActive: false,
      });
      await store.setAccountDisabled(account.userId, false);
      expect((await store.findSubscriptionByTokenHash(subscription.tokenHash))?.accountActive).toBe(
        true,
      );
    });

    it('deleting an account removes its clients and tombstones its subscriptions', async () => {
      const account = await newAccount();
      const hash = unique('hash');
      const client = await store.createClient(account.userId, 'laptop', hash);
      const subscription = await newSubscription(account.userId, client.clientId);
      const bystander = await newAccount();
      const bystanderClient = await store.createClient(bystander.userId, 'b', unique('hash'));
      const untouched = await newSubscription(bystander.userId, bystanderClient.clientId);

      expect(await store.deleteAccount(account.userId)).toBe(true);
      expect(await store.deleteAccount(account.userId)).toBe(false);

      expect(await store.getAccount(account.userId)).toBeNull();
      expect(await store.findAccountByUsername(account.username)).toBeNull();
      expect(await store.getClient(client.clientId)).toBeNull();
      expect(await store.findClientByTokenHash(hash)).toBeNull();
      expect(await store.listSubscriptions(account.userId)).toEqual([]);
      const target = await store.findSubscriptionByTokenHash(subscription.tokenHash);
      expect(target?.accountActive).toBe(false);
      expect(target?.subscription.deletedAt).toEqual(expect.any(String));
      expect(await store.findSubscriptionByTokenHash(untouched.tokenHash)).toEqual({
        subscription: untouched,
        accountActive: true,
      });
    });

    it('refuses a second subscription with the same token', async () => {
      const account = await newAccount();
      const client = await store.createClient(account.userId, 'laptop', unique('hash'));
      const tokenHash = unique('token-hash');
      const input = () => ({
        subscriptionId: newId(),
        userId: account.userId,
        clientId: client.clientId,
        tokenHash,
        applicationServerKey: null,
        meta: null,
      });
      await store.createSubscription(input());
      await expect(store.createSubscription(input())).rejects.toBeInstanceOf(UniqueViolation);
    });
  });

  describe('quotas', () => {
    it('creates clients and live subscriptions only up to the quota given, also when racing', async () => {
      const account = await newAccount('quota');
      const made = await Promise.all(
        [1, 2, 3, 4, 5, 6].map((n) =>
          store.createClient(account.userId, `d${n}`, unique('hash'), 3),
        ),
      );
      expect(made.filter((c) => c !== null)).toHaveLength(3);
      expect(await store.listClients(account.userId)).toHaveLength(3);
      const client = made.find((c) => c !== null)!;

      const input = () => ({
        subscriptionId: newId(),
        userId: account.userId,
        clientId: client.clientId,
        tokenHash: randomBytes(32).toString('base64url'),
        applicationServerKey: null,
        meta: null,
      });
      const subscriptions = await Promise.all(
        [1, 2, 3, 4].map(() => store.createSubscription(input(), 2)),
      );
      expect(subscriptions.filter((x) => x !== null)).toHaveLength(2);
      // A deleted (tombstoned) subscription frees its place.
      const first = subscriptions.find((x) => x !== null)!;
      await store.deleteSubscription(account.userId, first.subscriptionId);
      expect(await store.createSubscription(input(), 2)).not.toBeNull();
      expect(await store.createSubscription(input(), 2)).toBeNull();
    });

    it('keeps an admin’s quotas per account; null goes back to the default', async () => {
      const account = await newAccount('quota');
      expect(account).toMatchObject({ maxClients: null, maxSubscriptions: null });
      expect(await store.setAccountQuotas(account.userId, { maxClients: 50 })).toBe(true);
      expect(await store.getAccount(account.userId)).toMatchObject({
        maxClients: 50,
        maxSubscriptions: null,
      });
      await store.setAccountQuotas(account.userId, { maxClients: null, maxSubscriptions: 9 });
      expect(await store.findAccountByUsername(account.username)).toMatchObject({
        maxClients: null,
        maxSubscriptions: 9,
      });
      expect(await store.setAccountQuotas('no-such-user', { maxClients: 5 })).toBe(false);
    });
  });

  describe('topics', () => {
    it('keeps the newest message per (subscription, Topic) and forgets them with the subscription', async () => {
      const account = await newAccount();
      const client = await store.createClient(account.userId, 'laptop', unique('hash'));
      const subscription = await newSubscription(account.userId, client.clientId);
      const sibling = await newSubscription(account.userId, client.clientId);
      const id = subscription.subscriptionId;

      expect(await store.getLatestTopicMessage(id, 'score')).toBeNull();
      await store.setLatestTopicMessage(id, 'score', 'm1');
      expect(await store.getLatestTopicMessage(id, 'score')).toBe('m1');
      await store.setLatestTopicMessage(id, 'score', 'm2');
      expect(await store.getLatestTopicMessage(id, 'score')).toBe('m2');

      // Neither another Topic nor another subscription is affected.
      await store.setLatestTopicMessage(id, 'weather', 'w1');
      await store.setLatestTopicMessage(sibling.subscriptionId, 'score', 's1');
      expect(await store.getLatestTopicMessage(id, 'score')).toBe('m2');
      expect(await store.getLatestTopicMessage(id, 'weather')).toBe('w1');
      expect(await store.getLatestTopicMessage(sibling.subscriptionId, 'score')).toBe('s1');

      await store.deleteSubscription(account.userId, id);
      expect(await store.getLatestTopicMessage(id, 'score')).toBeNull();
      expect(await store.getLatestTopicMessage(sibling.subscriptionId, 'score')).toBe('s1');
    });

    it('purges records older than a given time and keeps newer ones', async () => {
      const account = await newAccount();
      const client = await store.createClient(account.userId, 'laptop', unique('hash'));
      const { subscriptionId } = await newSubscription(account.userId, client.clientId);
      await store.setLatestTopicMessage(subscriptionId, 'old', 'o1');
      const cut = new Date(Date.now() + 5).toISOString();
      await new Promise((r) => setTimeout(r, 20));
      await store.setLatestTopicMessage(subscriptionId, 'new', 'n1');
      expect(await store.purgeTopicsBefore(cut)).toBeGreaterThanOrEqual(1);
      expect(await store.getLatestTopicMessage(subscriptionId, 'old')).toBeNull();
      expect(await store.getLatestTopicMessage(subscriptionId, 'new')).toBe('n1');
    });
  });

  describe('counts and search', () => {
    it('counts accounts, clients and live subscriptions as numbers', async () => {
      const before = await store.counts();
      const account = await newAccount();
      const client = await store.createClient(account.userId, 'laptop', unique('hash'));
      const subscription = await newSubscription(account.userId, client.clientId);
      await newSubscription(account.userId, client.clientId);
      await store.deleteSubscription(account.userId, subscription.subscriptionId);

      // toStrictEqual: PostgreSQL returns COUNT(*) as a bigint string; the store must not.
      expect(await store.counts()).toStrictEqual({
        accounts: before.accounts + 1,
        clients: before.clients + 1,
        subscriptions: before.subscriptions + 1,
      });
    });

    it('searches usernames by substring (case-insensitive) or exact user id, with counts', async () => {
      const tag = randomBytes(4).toString('hex');
      const alice = await store.createAccount(`${tag}-alice`, 'h');
      const bob = await store.createAccount(`${tag}-bob`, 'h');
      const client = await store.createClient(alice!.userId, 'laptop', unique('hash'));
      await newSubscription(alice!.userId, client.clientId);
      const dead = await newSubscription(alice!.userId, client.clientId);
      await store.deleteSubscription(alice!.userId, dead.subscriptionId);

      const found = await store.searchAccounts(tag.toUpperCase(), 10);
      expect(found).toStrictEqual([
        {
          userId: alice!.userId,
          username: `${tag}-alice`,
          createdAt: alice!.createdAt,
          disabledAt: null,
          oidcIssuer: null,
          clients: 1,
          subscriptions: 1,
        },
        {
          userId: bob!.userId,
          username: `${tag}-bob`,
          createdAt: bob!.createdAt,
          disabledAt: null,
          oidcIssuer: null,
          clients: 0,
          subscriptions: 0,
        },
      ]);
      expect((await store.searchAccounts(tag, 1)).map((a) => a.username)).toEqual([`${tag}-alice`]);
      expect((await store.searchAccounts(bob!.userId, 10)).map((a) => a.userId)).toEqual([
        bob!.userId,
      ]);
      expect(await store.searchAccounts(`${tag}-carol`, 10)).toEqual([]);
    });

    it('treats LIKE wildcards and the escape character in the query literally', async () => {
      const tag = randomBytes(4).toString('hex');
      // None of these usernames passes the API's validation; the store must still be exact,
      // since the admin page searches whatever the operator types.
      await store.createAccount(`${tag}_under`, 'h');
      await store.createAccount(`${tag}xunder`, 'h');
      await store.createAccount(`${tag}%pct`, 'h');
      await store.createAccount(`${tag}\\back`, 'h');
      const names = async (query: string) =>
        (await store.searchAccounts(query, 50)).map((a) => a.username);

      expect(await names(`${tag}_`)).toEqual([`${tag}_under`]);
      expect(await names(`${tag}%`)).toEqual([`${tag}%pct`]);
      expect(await names(`${tag}\\`)).toEqual([`${tag}\\back`]);
      expect(await names('%')).toEqual([`${tag}%pct`]);
      expect(await names('_')).toEqual([`${tag}_under`]);
    });
  });

  describe('settings and audit log', () => {
    it('upserts and deletes settings', async () => {
      await store.putSettings({ maxRequests: '100', windowSeconds: '60' });
      await store.putSettings({ maxRequests: '200' });
      const rows = await store.listSettings();
      expect(rows.map(({ key, value }) => ({ key, value }))).toEqual([
        { key: 'maxRequests', value: '200' },
        { key: 'windowSeconds', value: '60' },
      ]);
      await store.deleteSettings(['maxRequests', 'unknown']);
      expect((await store.listSettings()).map((r) => r.key)).toEqual(['windowSeconds']);
      await store.deleteSettings(['windowSeconds']);
    });

    it('lists audit entries newest first', async () => {
      const first = await store.addAuditEntry({
        action: 'ip.unbox',
        target: '192.0.2.1',
        details: null,
        actor: '127.0.0.1',
      });
      await tick();
      const second = await store.addAuditEntry({
        action: 'settings.update',
        target: null,
        details: '{"maxRequests":5}',
        actor: null,
      });
      expect(await store.listAuditEntries(2)).toEqual([second, first]);
    });
  });

  describe('driver and schema', () => {
    it('maps unique and primary-key violations to UniqueViolation, and nothing else', async () => {
      const account = await newAccount();
      const insert =
        'INSERT INTO accounts (user_id, username, password_hash, created_at) VALUES (?, ?, ?, ?)';
      await expect(
        driver.execute(insert, [unique('id'), account.username, 'h', 'now']),
      ).rejects.toBeInstanceOf(UniqueViolation);
      await expect(
        driver.execute(insert, [account.userId, unique('name'), 'h', 'now']),
      ).rejects.toBeInstanceOf(UniqueViolation);
      // A NOT NULL violation is a bug, not a taken name: it must surface as itself.
      const notNull = driver.execute(insert, [unique('id'), unique('name'), null, 'now']);
      await expect(notNull).rejects.toThrow();
      await expect(notNull).rejects.not.toBeInstanceOf(UniqueViolation);
      await expect(driver.execute('SELEC nonsense')).rejects.not.toBeInstanceOf(UniqueViolation);
    });

    it('migrating again applies nothing and keeps the data', async () => {
      const account = await newAccount();
      expect(await migrate(driver)).toEqual([]);
      expect(await migrate(driver)).toEqual([]);
      const versions = await driver.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      expect(versions.map((v) => Number(v.version))).toEqual(migrations.map((m) => m.version));
      expect(await store.getAccount(account.userId)).toEqual(account);
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
});

describe('schema migrations on a fresh database', () => {
  it('SQLite: the first run applies every migration, the second none', async () => {
    const backend = sqliteBackend();
    const { store, driver } = await openStore(await backend.setUp());
    try {
      expect(await migrate(driver)).toEqual([]);
      const rows = await driver.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
    } finally {
      await store.close();
      await backend.tearDown();
    }
  });

  it('PostgreSQL: a node migrates only under the advisory lock, so nodes take turns', async () => {
    const { database, drop } = await createPgDatabase('push_migrate_lock_test');
    if (database.kind !== 'postgres') throw new Error('expected PostgreSQL');
    // Another node, mid-migration, holds the lock.
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    let openedStore: SqlStore | null = null;
    try {
      await holder.query('SELECT pg_advisory_lock(hashtext($1))', [MIGRATION_LOCK]);
      let finished = false;
      const opening = openStore(database).then((opened) => {
        finished = true;
        openedStore = opened.store;
        return opened;
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(finished).toBe(false);
      const tables = await holder.query(
        "SELECT 1 FROM information_schema.tables WHERE table_name = 'accounts'",
      );
      expect(tables.rowCount).toBe(0);
      await holder.query('SELECT pg_advisory_unlock(hashtext($1))', [MIGRATION_LOCK]);
      const { driver } = await opening;
      const rows = await driver.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
    } finally {
      await holder.end();
      await (openedStore as SqlStore | null)?.close();
      await drop();
    }
  });

  it('PostgreSQL: several nodes migrating the same new database at once all start', async () => {
    // Nodes of one deployment start together. Each round uses a new database, since the
    // race is only in creating the schema.
    for (let round = 0; round < 2; round++) {
      const { database, drop } = await createPgDatabase('push_migrate_test');
      const opened: SqlStore[] = [];
      try {
        const results = await Promise.allSettled([1, 2, 3, 4].map(() => openStore(database)));
        for (const result of results) {
          if (result.status === 'fulfilled') opened.push(result.value.store);
        }
        expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
        const { driver } = await openStore(database);
        try {
          const rows = await driver.query<{ version: number }>(
            'SELECT version FROM schema_migrations ORDER BY version',
          );
          expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
          expect(await migrate(driver)).toEqual([]);
        } finally {
          await driver.close();
        }
      } finally {
        for (const store of opened) await store.close();
        await drop();
      }
    }
  });
});
