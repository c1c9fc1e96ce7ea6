// What the server keeps about accounts, clients and subscriptions. Routes and services
// depend on this interface only; `SqlStore` implements it over SQLite or PostgreSQL.

export interface Account {
  userId: string;
  username: string;
  passwordHash: string;
  createdAt: string;
  disabledAt: string | null;
  /** Quotas set for this account by an admin; null: the server's default. */
  maxClients: number | null;
  maxSubscriptions: number | null;
  /**
   * The OpenID Connect provider (issuer) and subject an account signs in with; both null for
   * an account with a password (docs/protocol.md §9).
   */
  oidcIssuer: string | null;
  oidcSubject: string | null;
}

/** A change of an account's quotas: a number sets it, null goes back to the default. */
export interface QuotaChange {
  maxClients?: number | null;
  maxSubscriptions?: number | null;
}

export interface Client {
  clientId: string;
  userId: string;
  name: string;
  createdAt: string;
  lastSeenAt: string | null;
}

export interface Subscription {
  subscriptionId: string;
  userId: string;
  /** The device that created it; every device of the user receives its messages. */
  clientId: string | null;
  /**
   * SHA-256 of the endpoint token (security/tokens.ts hashToken): how the POST Office finds the
   * subscription and its RabbitMQ binding key. The token itself is never stored.
   */
  tokenHash: string;
  /**
   * The random token of a subscription made before tokens were derived, sealed under the
   * endpoint key (security/endpoint-tokens.ts); null for every other subscription.
   */
  legacyTokenSealed: string | null;
  applicationServerKey: string | null;
  meta: string | null;
  createdAt: string;
  deletedAt: string | null;
}

export interface NewSubscription {
  /** Chosen by the caller: the endpoint token is derived from it. */
  subscriptionId: string;
  userId: string;
  clientId: string;
  tokenHash: string;
  applicationServerKey: string | null;
  meta: string | null;
}

/** A subscription made before tokens were hashed, with its token still in clear. */
export interface LegacyToken {
  subscriptionId: string;
  userId: string;
  token: string;
  deletedAt: string | null;
}

/** A subscription found by its endpoint token, with what the POST Office needs to route it. */
export interface EndpointTarget {
  subscription: Subscription;
  /** False when the account was disabled or deleted: the endpoint answers 410. */
  accountActive: boolean;
}

export interface ClientIdentity {
  client: Client;
  account: Account;
}

export interface StoreCounts {
  accounts: number;
  clients: number;
  subscriptions: number;
}

export interface AccountSummary {
  userId: string;
  username: string;
  createdAt: string;
  disabledAt: string | null;
  /** The OpenID Connect issuer it signs in with; null for a password account. */
  oidcIssuer: string | null;
  clients: number;
  subscriptions: number;
}

/** A setting stored by the admin page; `value` is JSON text. */
export interface SettingRow {
  key: string;
  value: string;
  updatedAt: string;
}

/** One administrator action, as kept in the audit log. */
export interface AuditEntry {
  auditId: string;
  at: string;
  /** e.g. `account.disable`, `ip.unbox`, `settings.update`. */
  action: string;
  /** What the action was about (an IP, a user or client id), or null. */
  target: string | null;
  /** JSON text with the action's parameters, or null. */
  details: string | null;
  /** Who did it: the admin's IP address as the DoS defense resolved it. */
  actor: string | null;
}

export interface Store {
  /** Returns null when the username is taken. */
  createAccount(username: string, passwordHash: string): Promise<Account | null>;
  findAccountByUsername(username: string): Promise<Account | null>;
  /**
   * The account of an OpenID Connect identity, made (without a password) on its first use;
   * `created` tells which. Two first sign-ins racing get the same account.
   */
  findOrCreateOidcAccount(
    issuer: string,
    subject: string,
  ): Promise<{ account: Account; created: boolean }>;
  /** Swaps the password hash only if it is still `current`; false otherwise. */
  replacePasswordHash(userId: string, current: string, next: string): Promise<boolean>;
  getAccount(userId: string): Promise<Account | null>;
  setAccountDisabled(userId: string, disabled: boolean): Promise<boolean>;
  /** Deletes the account and its clients; its subscriptions stay as tombstones (410). */
  deleteAccount(userId: string): Promise<boolean>;
  searchAccounts(query: string, limit: number): Promise<AccountSummary[]>;
  /** False when there is no such account. */
  setAccountQuotas(userId: string, change: QuotaChange): Promise<boolean>;

  /**
   * With `maxClients`: null when the user already has that many clients, also when several
   * registrations race for the last places (only as many as fit are made).
   */
  createClient(userId: string, name: string, tokenHash: string): Promise<Client>;
  createClient(
    userId: string,
    name: string,
    tokenHash: string,
    maxClients: number,
  ): Promise<Client | null>;
  /** The client owning a token hash, with its account (even a disabled one). */
  findClientByTokenHash(tokenHash: string): Promise<ClientIdentity | null>;
  getClient(clientId: string): Promise<Client | null>;
  listClients(userId: string): Promise<Client[]>;
  deleteClient(userId: string, clientId: string): Promise<boolean>;
  touchClient(clientId: string, at: string): Promise<void>;

  createSubscription(input: NewSubscription): Promise<Subscription>;
  /** Null when the user already has `maxSubscriptions` live subscriptions (as createClient). */
  createSubscription(
    input: NewSubscription,
    maxSubscriptions: number,
  ): Promise<Subscription | null>;
  listSubscriptions(userId: string): Promise<Subscription[]>;
  /** Marks the subscription deleted; returns it, or null when the user has no such live one. */
  deleteSubscription(userId: string, subscriptionId: string): Promise<Subscription | null>;
  findSubscriptionByTokenHash(tokenHash: string): Promise<EndpointTarget | null>;
  /** Up to `limit` subscriptions whose token is still in clear (from before migration 4). */
  listLegacyTokens(limit: number): Promise<LegacyToken[]>;
  /** Replaces a clear token by its hash and (for a live subscription) its sealed form. */
  replaceLegacyToken(
    subscriptionId: string,
    replacement: { tokenHash: string; sealed: string | null },
  ): Promise<boolean>;

  /** Records the newest message of a (subscription, Topic) pair; older ones are superseded. */
  setLatestTopicMessage(subscriptionId: string, topic: string, messageId: string): Promise<void>;
  getLatestTopicMessage(subscriptionId: string, topic: string): Promise<string | null>;
  /** Forgets topic records last written before `before` (ISO time); returns how many. */
  purgeTopicsBefore(before: string): Promise<number>;

  counts(): Promise<StoreCounts>;
  /** Up to `limit` client ids, oldest first (the admin page sums their queue depths). */
  listClientIds(limit: number): Promise<string[]>;

  listSettings(): Promise<SettingRow[]>;
  /** Inserts or replaces each key's value. */
  putSettings(values: Record<string, string>): Promise<void>;
  /** Removes the given keys (back to the environment's values). */
  deleteSettings(keys: string[]): Promise<void>;
  /** Inserts the key only when it is absent (the first node to start wins). */
  addSettingIfAbsent(key: string, value: string): Promise<void>;

  addAuditEntry(entry: Omit<AuditEntry, 'auditId' | 'at'>): Promise<AuditEntry>;
  /** The newest entries first. */
  listAuditEntries(limit: number): Promise<AuditEntry[]>;

  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  /**
   * Rewrites the database file so that no deleted content stays in its free pages (SQLite);
   * nothing on PostgreSQL, whose old row versions go with its own VACUUM.
   */
  compact(): Promise<void>;
  close(): Promise<void>;
}
