// Schema migrations, applied in order at start. Append new ones; never edit an applied one.
// The SQL is the common subset of SQLite and PostgreSQL (TEXT times in ISO 8601 UTC).
import type { SqlDriver } from './sql-driver.js';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    description: 'accounts, clients, subscriptions, topics',
    sql: `
      CREATE TABLE accounts (
        user_id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        disabled_at TEXT
      );
      CREATE TABLE clients (
        client_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES accounts(user_id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        last_seen_at TEXT
      );
      CREATE INDEX clients_by_user ON clients(user_id);
      -- Subscriptions outlive their account as tombstones (deleted_at set) so that a
      -- deleted endpoint answers 410 rather than 404.
      CREATE TABLE subscriptions (
        subscription_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        client_id TEXT,
        token TEXT NOT NULL UNIQUE,
        application_server_key TEXT,
        meta TEXT,
        created_at TEXT NOT NULL,
        deleted_at TEXT
      );
      CREATE INDEX subscriptions_by_user ON subscriptions(user_id);
      CREATE TABLE topics (
        subscription_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        message_id TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (subscription_id, topic)
      );
    `,
  },
  {
    version: 2,
    description: 'settings changed from the admin page, audit log of admin actions',
    sql: `
      -- Values set on the admin page, overriding the environment on every node (the DoS
      -- settings). One row per setting so two admins changing different fields do not clash.
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE audit_log (
        audit_id TEXT PRIMARY KEY,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        details TEXT,
        actor TEXT
      );
      CREATE INDEX audit_log_by_time ON audit_log(at);
    `,
  },
  {
    version: 3,
    description: 'per-account quotas raised (or lowered) by an admin',
    sql: `
      -- NULL: the server's default (ACCOUNT_MAX_CLIENTS, ACCOUNT_MAX_SUBSCRIPTIONS).
      ALTER TABLE accounts ADD COLUMN max_clients INTEGER;
      ALTER TABLE accounts ADD COLUMN max_subscriptions INTEGER;
    `,
  },
  {
    version: 4,
    description: 'endpoint tokens kept only as hashes',
    // The token column becomes `legacy_token`, emptied at start (client-agent/use-cases/endpoint-token-migration.ts:
    // hashed, sealed, and re-bound in RabbitMQ); new rows only ever have `token_hash`. SQLite
    // cannot drop NOT NULL from a column, hence the new table.
    sql: `
      CREATE TABLE subscriptions_v4 (
        subscription_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        client_id TEXT,
        token_hash TEXT UNIQUE,
        legacy_token TEXT UNIQUE,
        legacy_token_sealed TEXT,
        application_server_key TEXT,
        meta TEXT,
        created_at TEXT NOT NULL,
        deleted_at TEXT
      );
      INSERT INTO subscriptions_v4 (subscription_id, user_id, client_id, legacy_token,
        application_server_key, meta, created_at, deleted_at)
        SELECT subscription_id, user_id, client_id, token, application_server_key, meta,
          created_at, deleted_at FROM subscriptions;
      DROP TABLE subscriptions;
      ALTER TABLE subscriptions_v4 RENAME TO subscriptions;
      CREATE INDEX subscriptions_by_user ON subscriptions(user_id);
    `,
  },
  {
    version: 5,
    description: 'accounts signed in with an OpenID Connect provider',
    // Such an account is keyed by (issuer, subject) and has no password: its password_hash
    // is '' (SQLite cannot drop NOT NULL), which no password ever verifies against
    // (docs/protocol.md §9). NULLs never clash in a unique index, on SQLite or PostgreSQL,
    // so password accounts need no identity.
    sql: `
      ALTER TABLE accounts ADD COLUMN oidc_issuer TEXT;
      ALTER TABLE accounts ADD COLUMN oidc_subject TEXT;
      CREATE UNIQUE INDEX accounts_by_oidc_identity ON accounts(oidc_issuer, oidc_subject);
    `,
  },
];

/** The lock every node takes to migrate (docs/operations.md, "Several nodes"). */
export const MIGRATION_LOCK = 'push.schema_migrations';

/**
 * Applies the migrations not applied yet (every migration unless told otherwise: a test may
 * stop at an older schema). Nodes that start together (several servers on one PostgreSQL)
 * take turns under an advisory lock: the first applies them, the others then find them
 * applied. Without it each node raced the others statement by statement, and a loser failed
 * on whichever object the winner had just created.
 */
export function migrate(driver: SqlDriver, list: Migration[] = migrations): Promise<number[]> {
  return driver.withExclusiveLock(MIGRATION_LOCK, () => migrateUnderLock(driver, list));
}

async function migrateUnderLock(driver: SqlDriver, list: Migration[]): Promise<number[]> {
  try {
    await driver.executeScript(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
    );
  } catch (err) {
    // PostgreSQL's IF NOT EXISTS does not guard against a concurrent CREATE: when several
    // nodes start at once, the losers fail on pg_type's unique index as the winner commits.
    // The table exists then, which is all this statement is for.
    await driver.query('SELECT version FROM schema_migrations WHERE 1 = 0').catch(() => {
      throw err;
    });
  }
  const applied: number[] = [];
  for (const migration of list) {
    const done = await driver.query('SELECT version FROM schema_migrations WHERE version = ?', [
      migration.version,
    ]);
    if (done.length > 0) continue;
    // The version row goes in the same transaction as the change, so a crash never
    // leaves a half-applied migration marked as done; a concurrent node loses on the
    // primary key and its transaction rolls back.
    try {
      await driver.executeScript(
        `${migration.sql};\nINSERT INTO schema_migrations (version, applied_at) VALUES (${migration.version}, '${new Date().toISOString()}');`,
      );
      applied.push(migration.version);
    } catch (err) {
      const again = await driver.query('SELECT version FROM schema_migrations WHERE version = ?', [
        migration.version,
      ]);
      if (again.length === 0) throw err;
    }
  }
  return applied;
}
