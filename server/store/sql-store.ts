import { randomBytes } from 'node:crypto';
import { newId } from '../security/tokens.js';
import { type SqlDriver, type SqlValue, UniqueViolation } from './sql-driver.js';
import type {
  Account,
  AccountSummary,
  AuditEntry,
  Client,
  ClientIdentity,
  EndpointTarget,
  LegacyToken,
  NewSubscription,
  QuotaChange,
  SettingRow,
  Store,
  StoreCounts,
  Subscription,
} from './store.js';

interface AccountRow {
  user_id: string;
  username: string;
  password_hash: string;
  created_at: string;
  disabled_at: string | null;
  max_clients: number | string | null;
  max_subscriptions: number | string | null;
  oidc_issuer: string | null;
  oidc_subject: string | null;
  [k: string]: unknown;
}
interface ClientRow {
  client_id: string;
  user_id: string;
  name: string;
  created_at: string;
  last_seen_at: string | null;
  [k: string]: unknown;
}
interface SubscriptionRow {
  subscription_id: string;
  user_id: string;
  client_id: string | null;
  token_hash: string;
  legacy_token_sealed: string | null;
  application_server_key: string | null;
  meta: string | null;
  created_at: string;
  deleted_at: string | null;
  [k: string]: unknown;
}

/** PostgreSQL hands integers back as numbers, or as strings for BIGINT; NULL stays null. */
const intOrNull = (v: number | string | null): number | null => (v === null ? null : Number(v));

const toAccount = (r: AccountRow): Account => ({
  userId: r.user_id,
  username: r.username,
  passwordHash: r.password_hash,
  createdAt: r.created_at,
  disabledAt: r.disabled_at,
  maxClients: intOrNull(r.max_clients),
  maxSubscriptions: intOrNull(r.max_subscriptions),
  oidcIssuer: r.oidc_issuer,
  oidcSubject: r.oidc_subject,
});
const toClient = (r: ClientRow): Client => ({
  clientId: r.client_id,
  userId: r.user_id,
  name: r.name,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
});
const toSubscription = (r: SubscriptionRow): Subscription => ({
  subscriptionId: r.subscription_id,
  userId: r.user_id,
  clientId: r.client_id,
  tokenHash: r.token_hash,
  legacyTokenSealed: r.legacy_token_sealed,
  applicationServerKey: r.application_server_key,
  meta: r.meta,
  createdAt: r.created_at,
  deletedAt: r.deleted_at,
});

const ACCOUNT_COLUMNS =
  'user_id, username, password_hash, created_at, disabled_at, max_clients, max_subscriptions, oidc_issuer, oidc_subject';
const CLIENT_COLUMNS = 'client_id, user_id, name, created_at, last_seen_at';
const SUBSCRIPTION_COLUMNS =
  'subscription_id, user_id, client_id, token_hash, legacy_token_sealed, application_server_key, meta, created_at, deleted_at';
/** The columns a new subscription is inserted with (it has no legacy token). */
const NEW_SUBSCRIPTION_COLUMNS =
  'subscription_id, user_id, client_id, token_hash, application_server_key, meta, created_at';

const now = () => new Date().toISOString();

export class SqlStore implements Store {
  constructor(private readonly db: SqlDriver) {}

  async createAccount(username: string, passwordHash: string): Promise<Account | null> {
    const account: Account = {
      userId: newId(),
      username,
      passwordHash,
      createdAt: now(),
      disabledAt: null,
      maxClients: null,
      maxSubscriptions: null,
      oidcIssuer: null,
      oidcSubject: null,
    };
    try {
      await this.db.execute(
        'INSERT INTO accounts (user_id, username, password_hash, created_at) VALUES (?, ?, ?, ?)',
        [account.userId, account.username, account.passwordHash, account.createdAt],
      );
    } catch (err) {
      if (err instanceof UniqueViolation) return null;
      throw err;
    }
    return account;
  }

  async findOrCreateOidcAccount(
    issuer: string,
    subject: string,
  ): Promise<{ account: Account; created: boolean }> {
    const find = async () => {
      const rows = await this.db.query<AccountRow>(
        `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE oidc_issuer = ? AND oidc_subject = ?`,
        [issuer, subject],
      );
      return rows[0] ? toAccount(rows[0]) : null;
    };
    const existing = await find();
    if (existing) return { account: existing, created: false };
    const userId = newId();
    const account: Account = {
      userId,
      // Outside USERNAME_PATTERN (':'), so no password sign-up can ever take or match it;
      // hex, so it holds none of LIKE's wildcards and an admin's search for "_" skips it.
      username: `oidc:${randomBytes(12).toString('hex')}`,
      passwordHash: '',
      createdAt: now(),
      disabledAt: null,
      maxClients: null,
      maxSubscriptions: null,
      oidcIssuer: issuer,
      oidcSubject: subject,
    };
    try {
      await this.db.execute(
        `INSERT INTO accounts (user_id, username, password_hash, created_at, oidc_issuer, oidc_subject)
         VALUES (?, ?, ?, ?, ?, ?)`,
        [userId, account.username, '', account.createdAt, issuer, subject],
      );
    } catch (err) {
      if (!(err instanceof UniqueViolation)) throw err;
      // Another first sign-in of the same identity won the race: its account is the one.
      const winner = await find();
      if (!winner) throw err;
      return { account: winner, created: false };
    }
    return { account, created: true };
  }

  async findAccountByUsername(username: string): Promise<Account | null> {
    const rows = await this.db.query<AccountRow>(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE username = ?`,
      [username],
    );
    return rows[0] ? toAccount(rows[0]) : null;
  }

  async replacePasswordHash(userId: string, current: string, next: string): Promise<boolean> {
    const changed = await this.db.execute(
      'UPDATE accounts SET password_hash = ? WHERE user_id = ? AND password_hash = ?',
      [next, userId, current],
    );
    return changed > 0;
  }

  async getAccount(userId: string): Promise<Account | null> {
    const rows = await this.db.query<AccountRow>(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE user_id = ?`,
      [userId],
    );
    return rows[0] ? toAccount(rows[0]) : null;
  }

  async setAccountDisabled(userId: string, disabled: boolean): Promise<boolean> {
    const changed = await this.db.execute('UPDATE accounts SET disabled_at = ? WHERE user_id = ?', [
      disabled ? now() : null,
      userId,
    ]);
    return changed > 0;
  }

  async deleteAccount(userId: string): Promise<boolean> {
    await this.db.execute(
      'UPDATE subscriptions SET deleted_at = ? WHERE user_id = ? AND deleted_at IS NULL',
      [now(), userId],
    );
    await this.db.execute('DELETE FROM clients WHERE user_id = ?', [userId]);
    return (await this.db.execute('DELETE FROM accounts WHERE user_id = ?', [userId])) > 0;
  }

  async searchAccounts(query: string, limit: number): Promise<AccountSummary[]> {
    const pattern = `%${query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await this.db.query<AccountRow & { clients: number; subscriptions: number }>(
      `SELECT a.user_id, a.username, a.password_hash, a.created_at, a.disabled_at, a.oidc_issuer,
        (SELECT COUNT(*) FROM clients c WHERE c.user_id = a.user_id) AS clients,
        (SELECT COUNT(*) FROM subscriptions s WHERE s.user_id = a.user_id AND s.deleted_at IS NULL) AS subscriptions
       FROM accounts a WHERE a.username LIKE ? ESCAPE '\\' OR a.user_id = ?
       ORDER BY a.username LIMIT ?`,
      [pattern, query, limit],
    );
    return rows.map((r) => ({
      userId: r.user_id,
      username: r.username,
      createdAt: r.created_at,
      disabledAt: r.disabled_at,
      oidcIssuer: r.oidc_issuer,
      clients: Number(r.clients),
      subscriptions: Number(r.subscriptions),
    }));
  }

  async setAccountQuotas(userId: string, change: QuotaChange): Promise<boolean> {
    const sets: string[] = [];
    const values: SqlValue[] = [];
    if (change.maxClients !== undefined) {
      sets.push('max_clients = ?');
      values.push(change.maxClients);
    }
    if (change.maxSubscriptions !== undefined) {
      sets.push('max_subscriptions = ?');
      values.push(change.maxSubscriptions);
    }
    if (sets.length === 0) return (await this.getAccount(userId)) !== null;
    const changed = await this.db.execute(
      `UPDATE accounts SET ${sets.join(', ')} WHERE user_id = ?`,
      [...values, userId],
    );
    return changed > 0;
  }

  async createClient(userId: string, name: string, tokenHash: string): Promise<Client>;
  async createClient(
    userId: string,
    name: string,
    tokenHash: string,
    maxClients: number,
  ): Promise<Client | null>;
  async createClient(
    userId: string,
    name: string,
    tokenHash: string,
    maxClients?: number,
  ): Promise<Client | null> {
    const client: Client = { clientId: newId(), userId, name, createdAt: now(), lastSeenAt: null };
    const row = [client.clientId, userId, name, tokenHash, client.createdAt];
    if (maxClients === undefined) {
      await this.db.execute(
        'INSERT INTO clients (client_id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)',
        row,
      );
      return client;
    }
    const kept = await this.insertWithinQuota(
      userId,
      `INSERT INTO clients (client_id, user_id, name, token_hash, created_at)
       SELECT ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM clients WHERE user_id = ?) < ?`,
      [...row, userId, maxClients],
    );
    return kept ? client : null;
  }

  /**
   * Inserts a row only while its owner has fewer than `quota` rows, as one INSERT … SELECT
   * that counts first. On SQLite that statement runs alone (one connection, writes
   * serialized). On PostgreSQL two of them running at once could both count from before the
   * other's insert, so each first locks the owner's account row, in a transaction: the
   * INSERT's own snapshot, taken after the lock, sees every row added by the previous holder.
   */
  private async insertWithinQuota(
    userId: string,
    insert: string,
    params: SqlValue[],
  ): Promise<boolean> {
    if (!this.db.transaction) return (await this.db.execute(insert, params)) > 0;
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT user_id FROM accounts WHERE user_id = ? FOR UPDATE', [userId]);
      return (await tx.execute(insert, params)) > 0;
    });
  }

  async findClientByTokenHash(tokenHash: string): Promise<ClientIdentity | null> {
    const rows = await this.db.query<ClientRow & AccountRow>(
      `SELECT c.client_id, c.user_id, c.name, c.created_at, c.last_seen_at,
              a.username, a.password_hash, a.created_at AS account_created_at, a.disabled_at,
              a.max_clients, a.max_subscriptions, a.oidc_issuer, a.oidc_subject
       FROM clients c JOIN accounts a ON a.user_id = c.user_id WHERE c.token_hash = ?`,
      [tokenHash],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      client: toClient(r),
      account: toAccount({ ...r, created_at: String(r.account_created_at) }),
    };
  }

  async getClient(clientId: string): Promise<Client | null> {
    const rows = await this.db.query<ClientRow>(
      `SELECT ${CLIENT_COLUMNS} FROM clients WHERE client_id = ?`,
      [clientId],
    );
    return rows[0] ? toClient(rows[0]) : null;
  }

  async listClients(userId: string): Promise<Client[]> {
    const rows = await this.db.query<ClientRow>(
      `SELECT ${CLIENT_COLUMNS} FROM clients WHERE user_id = ? ORDER BY created_at, client_id`,
      [userId],
    );
    return rows.map(toClient);
  }

  async deleteClient(userId: string, clientId: string): Promise<boolean> {
    const changed = await this.db.execute(
      'DELETE FROM clients WHERE client_id = ? AND user_id = ?',
      [clientId, userId],
    );
    return changed > 0;
  }

  async touchClient(clientId: string, at: string): Promise<void> {
    await this.db.execute('UPDATE clients SET last_seen_at = ? WHERE client_id = ?', [
      at,
      clientId,
    ]);
  }

  async createSubscription(input: NewSubscription): Promise<Subscription>;
  async createSubscription(
    input: NewSubscription,
    maxSubscriptions: number,
  ): Promise<Subscription | null>;
  async createSubscription(
    input: NewSubscription,
    maxSubscriptions?: number,
  ): Promise<Subscription | null> {
    const subscription: Subscription = {
      subscriptionId: input.subscriptionId,
      userId: input.userId,
      clientId: input.clientId,
      tokenHash: input.tokenHash,
      legacyTokenSealed: null,
      applicationServerKey: input.applicationServerKey,
      meta: input.meta,
      createdAt: now(),
      deletedAt: null,
    };
    const row = [
      subscription.subscriptionId,
      subscription.userId,
      subscription.clientId,
      subscription.tokenHash,
      subscription.applicationServerKey,
      subscription.meta,
      subscription.createdAt,
    ];
    if (maxSubscriptions === undefined) {
      await this.db.execute(
        `INSERT INTO subscriptions (${NEW_SUBSCRIPTION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        row,
      );
      return subscription;
    }
    const kept = await this.insertWithinQuota(
      input.userId,
      `INSERT INTO subscriptions (${NEW_SUBSCRIPTION_COLUMNS})
       SELECT ?, ?, ?, ?, ?, ?, ?
       WHERE (SELECT COUNT(*) FROM subscriptions WHERE user_id = ? AND deleted_at IS NULL) < ?`,
      [...row, input.userId, maxSubscriptions],
    );
    return kept ? subscription : null;
  }

  async listSubscriptions(userId: string): Promise<Subscription[]> {
    const rows = await this.db.query<SubscriptionRow>(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions
       WHERE user_id = ? AND deleted_at IS NULL ORDER BY created_at, subscription_id`,
      [userId],
    );
    return rows.map(toSubscription);
  }

  async deleteSubscription(userId: string, subscriptionId: string): Promise<Subscription | null> {
    const rows = await this.db.query<SubscriptionRow>(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions
       WHERE subscription_id = ? AND user_id = ? AND deleted_at IS NULL`,
      [subscriptionId, userId],
    );
    const row = rows[0];
    if (!row) return null;
    const deletedAt = now();
    await this.db.execute('UPDATE subscriptions SET deleted_at = ? WHERE subscription_id = ?', [
      deletedAt,
      subscriptionId,
    ]);
    await this.db.execute('DELETE FROM topics WHERE subscription_id = ?', [subscriptionId]);
    return { ...toSubscription(row), deletedAt };
  }

  async findSubscriptionByTokenHash(tokenHash: string): Promise<EndpointTarget | null> {
    const rows = await this.db.query<
      SubscriptionRow & { account_disabled_at: string | null; account_exists: string | null }
    >(
      `SELECT s.subscription_id, s.user_id, s.client_id, s.token_hash, s.legacy_token_sealed,
              s.application_server_key, s.meta, s.created_at, s.deleted_at,
              a.disabled_at AS account_disabled_at, a.user_id AS account_exists
       FROM subscriptions s LEFT JOIN accounts a ON a.user_id = s.user_id WHERE s.token_hash = ?`,
      [tokenHash],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      subscription: toSubscription(r),
      accountActive: r.account_exists !== null && r.account_disabled_at === null,
    };
  }

  async listLegacyTokens(limit: number): Promise<LegacyToken[]> {
    const rows = await this.db.query<{
      subscription_id: string;
      user_id: string;
      legacy_token: string;
      deleted_at: string | null;
    }>(
      `SELECT subscription_id, user_id, legacy_token, deleted_at FROM subscriptions
       WHERE legacy_token IS NOT NULL ORDER BY subscription_id LIMIT ?`,
      [limit],
    );
    return rows.map((r) => ({
      subscriptionId: r.subscription_id,
      userId: r.user_id,
      token: r.legacy_token,
      deletedAt: r.deleted_at,
    }));
  }

  async replaceLegacyToken(
    subscriptionId: string,
    replacement: { tokenHash: string; sealed: string | null },
  ): Promise<boolean> {
    const changed = await this.db.execute(
      `UPDATE subscriptions SET token_hash = ?, legacy_token_sealed = ?, legacy_token = NULL
       WHERE subscription_id = ? AND legacy_token IS NOT NULL`,
      [replacement.tokenHash, replacement.sealed, subscriptionId],
    );
    return changed > 0;
  }

  async setLatestTopicMessage(
    subscriptionId: string,
    topic: string,
    messageId: string,
  ): Promise<void> {
    await this.db.execute(
      `INSERT INTO topics (subscription_id, topic, message_id, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (subscription_id, topic) DO UPDATE SET message_id = excluded.message_id, updated_at = excluded.updated_at`,
      [subscriptionId, topic, messageId, now()],
    );
  }

  async getLatestTopicMessage(subscriptionId: string, topic: string): Promise<string | null> {
    const rows = await this.db.query<{ message_id: string }>(
      'SELECT message_id FROM topics WHERE subscription_id = ? AND topic = ?',
      [subscriptionId, topic],
    );
    return rows[0]?.message_id ?? null;
  }

  async purgeTopicsBefore(before: string): Promise<number> {
    return this.db.execute('DELETE FROM topics WHERE updated_at < ?', [before]);
  }

  async counts(): Promise<StoreCounts> {
    const rows = await this.db.query<{ accounts: number; clients: number; subscriptions: number }>(
      `SELECT (SELECT COUNT(*) FROM accounts) AS accounts,
              (SELECT COUNT(*) FROM clients) AS clients,
              (SELECT COUNT(*) FROM subscriptions WHERE deleted_at IS NULL) AS subscriptions`,
    );
    const r = rows[0];
    return {
      accounts: Number(r?.accounts ?? 0),
      clients: Number(r?.clients ?? 0),
      subscriptions: Number(r?.subscriptions ?? 0),
    };
  }

  async listClientIds(limit: number): Promise<string[]> {
    const rows = await this.db.query<{ client_id: string }>(
      'SELECT client_id FROM clients ORDER BY created_at, client_id LIMIT ?',
      [limit],
    );
    return rows.map((r) => r.client_id);
  }

  async listSettings(): Promise<SettingRow[]> {
    const rows = await this.db.query<{ key: string; value: string; updated_at: string }>(
      'SELECT key, value, updated_at FROM settings ORDER BY key',
    );
    return rows.map((r) => ({ key: r.key, value: r.value, updatedAt: r.updated_at }));
  }

  async putSettings(values: Record<string, string>): Promise<void> {
    const at = now();
    for (const [key, value] of Object.entries(values)) {
      await this.db.execute(
        `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        [key, value, at],
      );
    }
  }

  async deleteSettings(keys: string[]): Promise<void> {
    for (const key of keys) await this.db.execute('DELETE FROM settings WHERE key = ?', [key]);
  }

  async addSettingIfAbsent(key: string, value: string): Promise<void> {
    await this.db.execute(
      'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING',
      [key, value, now()],
    );
  }

  async addAuditEntry(entry: Omit<AuditEntry, 'auditId' | 'at'>): Promise<AuditEntry> {
    const full: AuditEntry = { auditId: newId(), at: now(), ...entry };
    await this.db.execute(
      'INSERT INTO audit_log (audit_id, at, action, target, details, actor) VALUES (?, ?, ?, ?, ?, ?)',
      [full.auditId, full.at, full.action, full.target, full.details, full.actor],
    );
    return full;
  }

  async listAuditEntries(limit: number): Promise<AuditEntry[]> {
    const rows = await this.db.query<{
      audit_id: string;
      at: string;
      action: string;
      target: string | null;
      details: string | null;
      actor: string | null;
    }>(
      'SELECT audit_id, at, action, target, details, actor FROM audit_log ORDER BY at DESC, audit_id LIMIT ?',
      [limit],
    );
    return rows.map((r) => ({
      auditId: r.audit_id,
      at: r.at,
      action: r.action,
      target: r.target,
      details: r.details,
      actor: r.actor,
    }));
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1 AS ok');
  }

  async compact(): Promise<void> {
    if (this.db.dialect !== 'sqlite') return;
    await this.db.execute('VACUUM');
    // In WAL mode the rewritten pages reach the file, and the log is emptied, at a checkpoint.
    await this.db.query('PRAGMA wal_checkpoint(TRUNCATE)');
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
