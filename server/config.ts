// Every setting of the server, typed and validated in one place. This is the only module
// that reads the environment; everything else receives a `Config`.
//
// One exception to "the environment decides": the DoS thresholds (`Config.dos`, the DOS_*
// and TRUST_PROXY_HOPS variables) are only their starting values. An admin can override them
// live from the admin page, for every node at once; dos/settings.ts (LiveSettings) keeps the
// values in force — these, then the overrides stored in the database — and the admin page
// shows each one with its source.
//
// OIDC_ISSUERS (sign-in with OpenID Connect, docs/protocol.md §9) is a JSON array, one object
// per provider the add-on may offer:
//   OIDC_ISSUERS='[{"issuer":"https://accounts.example.com","clientId":"push-addon","name":"Example"}]'
// `issuer` is compared with the ID token's `iss` exactly (no trailing slash added or removed)
// and must be https (http only for a loopback host); `clientId` is what the token's `aud`
// must name; `name` is shown on the add-on's button. Unset or empty: no OIDC sign-in.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { DEFAULT_QUEUE_BOUNDS } from './broker/queue-bounds.js';
import { isValidIpOrCidr } from './dos/allow-list.js';
import { StartupError } from './startup-error.js';

const PositiveInt = z.coerce.number().int().positive();
const NonNegativeInt = z.coerce.number().int().nonnegative();

const BooleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');

const HostPort = z.string().regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, 'expected host:port');

/** An IPv4/IPv6 address, optionally with a /prefix. */
const IpOrCidr = z
  .string()
  .regex(/^[0-9A-Fa-f:.]+(\/[0-9]{1,3})?$/, 'expected an IP address or CIDR')
  // The DoS allow-list's own parser, so a bad prefix (e.g. /33) stops the start here.
  .refine(isValidIpOrCidr, 'expected an IP address or CIDR');

function parseList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Never boxed unless DOS_ALLOW_LIST says otherwise. */
export const DEFAULT_ALLOW_LIST = '127.0.0.0/8, ::1';

/**
 * Peers whose X-Forwarded-For is believed unless TRUSTED_PROXIES says otherwise: a reverse
 * proxy on the server's own machine, the set-up docs/operations.md describes. Only a process
 * on this machine can connect from loopback.
 */
export const DEFAULT_TRUSTED_PROXIES = '127.0.0.0/8, ::1';

/** A comma-separated list of addresses and CIDRs; "none" for an empty one. */
const CidrList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v) => (v.trim().toLowerCase() === 'none' ? [] : parseList(v)))
    .pipe(z.array(IpOrCidr));

/** A loopback host: the one place a provider may be reached over plain http (tests, dev). */
function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || /^127\./.test(hostname) || hostname === '[::1]';
}

export interface OidcIssuer {
  /** Exactly as the provider's ID tokens name it in `iss`. */
  issuer: string;
  /** The add-on's client id at that provider: the `aud` its ID tokens must have. */
  clientId: string;
  /** Shown to users ("Sign in with <name>"). */
  name: string;
}

const OidcIssuerSchema = z.strictObject({
  issuer: z.url({ error: 'issuer must be a URL' }).refine((v) => {
    const u = new URL(v);
    return !u.search && !u.hash && (u.protocol === 'https:' || isLoopbackHost(u.hostname));
  }, 'issuer must be an https URL without query or fragment (http only on a loopback host)'),
  clientId: z.string().min(1, 'clientId must not be empty').max(255),
  name: z.string().trim().min(1, 'name must not be empty').max(64),
});

/** OIDC_ISSUERS: JSON text of an array of issuers, each named once. */
const OidcIssuers = z
  .string()
  .optional()
  .transform((text, ctx): unknown => {
    if (text === undefined) return [];
    try {
      return JSON.parse(text);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'expected a JSON array like [{"issuer":"https://…","clientId":"…","name":"…"}]',
      });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(OidcIssuerSchema, {
        error: 'expected a JSON array like [{"issuer":"https://…","clientId":"…","name":"…"}]',
      })
      .refine(
        (list) => new Set(list.map((i) => i.issuer)).size === list.length,
        'each issuer may be listed only once',
      ),
  );

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: z.url().optional(),
  PUBLIC_URL_ALIASES: z
    .string()
    .optional()
    .transform(parseList)
    .pipe(z.array(z.url({ protocol: /^https?$/, error: 'expected http(s) origins' }))),
  TLS_CERT_FILE: z.string().optional(),
  TLS_KEY_FILE: z.string().optional(),
  // One URL, or the nodes of a RabbitMQ cluster comma separated: each connection picks one
  // and fails over to the next (docs/operations.md, "Several nodes").
  AMQP_URL: z
    .string()
    .default('amqp://guest:guest@127.0.0.1:5672')
    .transform(parseList)
    .pipe(
      z
        .array(z.string().regex(/^amqps?:\/\//, 'expected amqp://user:pass@host:port'))
        .min(1, 'expected at least one amqp://user:pass@host:port'),
    ),
  QUEUE_TYPE: z.enum(['classic', 'quorum']).default('classic'),
  // The longest a request waits for RabbitMQ (a confirm, a queue or binding), so a request
  // answers within 2 s even when RabbitMQ is down, blocked or losing a node.
  // 1 s leaves room under the 2 s every request must answer within (docs/protocol.md §4),
  // even on a busy machine; a healthy RabbitMQ confirms in milliseconds.
  BROKER_TIMEOUT_MS: PositiveInt.max(60_000).default(1000),
  MEMCACHED: z
    .string()
    .default('127.0.0.1:11211')
    .transform(parseList)
    .pipe(z.array(HostPort).min(1, 'expected at least one host:port')),
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:|postgres(ql)?:\/\/)/, 'expected sqlite:<path> or postgres://…')
    .default('sqlite:./data/push.db'),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  // What endpoint tokens are derived from (security/endpoint-key.ts); by default a file
  // beside a SQLite database, or a row of a PostgreSQL one.
  ENDPOINT_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, 'expected 32 bytes in base64url (43 characters)')
    .optional(),
  // /metrics: on a listener of its own (internal network only), and/or behind a bearer token.
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  // Worker processes sharing the port; "auto": one per core.
  WORKERS: z.union([z.literal('auto'), PositiveInt.max(256)]).default('auto'),
  // Set by the primary for each worker it forks (1…WORKERS); not an operator setting.
  PUSH_WORKER_ID: PositiveInt.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  // Delivery
  DELIVERY_PREFETCH: PositiveInt.max(1000).default(50),
  HELLO_TIMEOUT_MS: PositiveInt.default(10_000),
  WS_PING_INTERVAL_MS: PositiveInt.default(30_000),
  WS_IDLE_TIMEOUT_MS: PositiveInt.default(90_000),
  // Below the process's file limit, so sockets can never take the descriptors POST /push,
  // /__heartbeat__ and the backing services need. "auto": that limit minus a reserve.
  MAX_CONNECTIONS: z.union([z.literal('auto'), PositiveInt]).default('auto'),
  HELLO_CONCURRENCY: PositiveInt.max(10_000).default(64),
  HELLO_QUEUE_LIMIT: PositiveInt.default(50_000),

  // DoS defense: starting values, each changeable live from the admin page (dos/settings.ts)
  DOS_WINDOW_SECONDS: PositiveInt.default(60),
  DOS_MAX_REQUESTS: PositiveInt.default(20_000),
  DOS_MAX_BAD_REQUESTS: PositiveInt.default(100),
  DOS_REQUEST_PENALTY_SECONDS: PositiveInt.default(600),
  DOS_BAD_REQUEST_PENALTY_SECONDS: PositiveInt.default(3600),
  DOS_LRU_SIZE: PositiveInt.default(100_000),
  // Loopback by default: traffic from it is the operator, or a local reverse proxy hiding its
  // clients (TRUST_PROXY_HOPS=0), and boxing it would lock everyone out. "none" empties it.
  DOS_ALLOW_LIST: CidrList(DEFAULT_ALLOW_LIST),
  DOS_OBSERVE_ONLY: BooleanFlag.default(false),
  DOS_SYNC_INTERVAL_MS: PositiveInt.default(2000),

  // Abuse limits (docs/operations.md, Limits)
  PAIRING_CHANNELS_PER_IP: PositiveInt.max(10_000).default(10),
  SIGNUPS_PER_IP_PER_HOUR: PositiveInt.max(1_000_000).default(5),
  ACCOUNT_MAX_CLIENTS: PositiveInt.max(100_000).default(20),
  ACCOUNT_MAX_SUBSCRIPTIONS: PositiveInt.max(10_000_000).default(500),
  QUEUE_MAX_MESSAGES: PositiveInt.max(10_000_000).default(DEFAULT_QUEUE_BOUNDS.maxMessages),
  QUEUE_MAX_BYTES: PositiveInt.max(2 ** 40).default(DEFAULT_QUEUE_BOUNDS.maxBytes),

  // Password hashing (server/security/password-hasher.ts)
  PASSWORD_SCRYPT_LOG_N: z.coerce.number().int().min(14).max(20).default(17),
  PASSWORD_HASH_SIGNUP_CONCURRENCY: PositiveInt.max(64).default(1),
  PASSWORD_HASH_SIGNIN_CONCURRENCY: PositiveInt.max(64).default(2),
  PASSWORD_HASH_QUEUE_LIMIT: PositiveInt.max(100_000).default(64),
  TRUST_PROXY_HOPS: NonNegativeInt.max(10).default(0),
  // The peers whose X-Forwarded-For counts at all (TRUST_PROXY_HOPS only applies to them).
  TRUSTED_PROXIES: CidrList(DEFAULT_TRUSTED_PROXIES),
  MEMCACHED_TIMEOUT_MS: PositiveInt.default(500),

  // Sign-in with OpenID Connect (docs/protocol.md §9)
  OIDC_ISSUERS: OidcIssuers,
  // The least time between two fetches of a provider's keys: a token signed by a key not seen
  // yet makes the server fetch them again, at most this often (jose's cooldown).
  OIDC_JWKS_COOLDOWN_SECONDS: NonNegativeInt.max(3600).default(30),
  // Each nonce is kept in memcached for ten minutes: bounded per address, so a flood of them
  // cannot push out what memcached holds for everyone (the penalty box, pairing channels).
  OIDC_NONCES_PER_IP_PER_HOUR: PositiveInt.max(1_000_000).default(60),
});

export type QueueType = 'classic' | 'quorum';

export interface DosSettings {
  windowSeconds: number;
  maxRequests: number;
  maxBadRequests: number;
  requestPenaltySeconds: number;
  badRequestPenaltySeconds: number;
  lruSize: number;
  allowList: string[];
  observeOnly: boolean;
  trustProxyHops: number;
  /** Peers (addresses, CIDRs) whose X-Forwarded-For entries are believed. */
  trustedProxies: string[];
}

export interface Config {
  port: number;
  host: string;
  /** Base of every endpoint URL, without a trailing slash. */
  publicUrl: string;
  /** `scheme://host[:port]` of publicUrl. */
  publicOrigin: string;
  /** Origins accepted as VAPID `aud`: publicOrigin, then those of PUBLIC_URL_ALIASES. */
  vapidAudiences: string[];
  /** PEM files to serve HTTPS (and HTTP/2) with; null for plain HTTP. */
  tls: { certFile: string; keyFile: string } | null;
  /** RabbitMQ nodes (one, or those of a cluster), tried in turn. */
  amqpUrls: string[];
  /** How client queues are declared: classic (fast, on one node) or quorum (replicated). */
  queueType: QueueType;
  /** Longest wait for RabbitMQ within a request; past it the request answers 503. */
  brokerTimeoutMs: number;
  memcachedServers: string[];
  memcachedTimeoutMs: number;
  database: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
  adminToken: string | null;
  /** ENDPOINT_KEY (base64url), or null: the key is kept beside the database. */
  endpointKey: string | null;
  /**
   * Where GET /metrics is served: on the main port (`listener` null), or only on a listener
   * of its own; `token`, when set, is required as `Authorization: Bearer` on either.
   */
  metrics: { listener: { host: string; port: number } | null; token: string | null };
  logLevel: string;
  /** Worker processes of this node (1: no primary, the process serves by itself). */
  workers: number;
  /** This worker's number (1…workers), when forked by a primary. */
  workerId: number | null;
  delivery: {
    prefetch: number;
    helloTimeoutMs: number;
    pingIntervalMs: number;
    idleTimeoutMs: number;
    /** WebSockets this process accepts; beyond, new ones are closed with 1013. */
    maxConnections: number;
    /** Hellos identified at once; the rest wait their turn. */
    helloConcurrency: number;
    /** Hellos allowed to wait; beyond, they are closed with 1013. */
    helloQueueLimit: number;
  };
  dos: DosSettings;
  dosSyncIntervalMs: number;
  /** Bounds on what one address or one account can make the server keep or compute. */
  limits: {
    /** Pairing channels one address may open per channel lifetime (5 minutes). */
    pairingChannelsPerIp: number;
    /** Accounts one address may create per hour. */
    signupsPerIpPerHour: number;
    /** OpenID Connect sign-in nonces one address may ask for per hour. */
    oidcNoncesPerIpPerHour: number;
    /** Devices (clients) of one account, unless an admin set another number for it. */
    maxClientsPerAccount: number;
    /** Live subscriptions of one account, unless an admin set another number for it. */
    maxSubscriptionsPerAccount: number;
    /** What one device's queue may hold; past it the oldest message is dropped. */
    queueMaxMessages: number;
    queueMaxBytes: number;
  };
  /** scrypt cost (N = 2^scryptLogN, r = 8, p = 1) and the two lanes hashes take turns in. */
  passwords: {
    scryptLogN: number;
    signUpConcurrency: number;
    signInConcurrency: number;
    queueLimit: number;
  };
  /** OpenID Connect providers whose ID tokens sign users in (empty: none). */
  oidc: { issuers: OidcIssuer[]; jwksCooldownMs: number };
}

/**
 * A URL as it may be logged: no user name or password, and no `password`-like query
 * parameter (node-postgres reads `?password=`). Unparseable input loses everything up to
 * its last `@` before the path, since that is where credentials would be.
 */
function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)?[^/?#]*@/, '$1***@');
  }
  const secretParams = [...url.searchParams.keys()].filter((k) => /pass|secret|token/i.test(k));
  if (!url.username && !url.password && secretParams.length === 0) return value;
  if (url.username || url.password) {
    url.username = '***';
    url.password = '';
  }
  for (const key of secretParams) url.searchParams.set(key, '***');
  return url.toString();
}

/** How a rejected value is quoted in the error: never a secret, since the line is logged. */
function quoteRejected(variable: string, value: string | undefined): string {
  if (value === undefined) return 'nothing';
  if (variable === 'ADMIN_TOKEN' || variable === 'METRICS_TOKEN' || variable === 'ENDPOINT_KEY') {
    return `${[...value].length} characters`;
  }
  if (variable === 'AMQP_URL') return JSON.stringify(parseList(value).map(redactUrl).join(','));
  if (variable === 'DATABASE_URL') return JSON.stringify(redactUrl(value));
  return JSON.stringify(value);
}

/** Descriptors kept free of WebSockets: HTTP requests, RabbitMQ, the database, memcached, logs. */
export const RESERVED_FILE_DESCRIPTORS = 1000;

/**
 * The process's soft limit on open files (Linux: /proc/self/limits), or null where it
 * cannot be read. Node has no getrlimit; this is the one other thing read at startup.
 */
function readOpenFileLimit(): number | null {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    if (!line || line[1] === 'unlimited') return null;
    return Number(line[1]);
  } catch {
    return null; // not Linux: the fallback below applies
  }
}

/** MAX_CONNECTIONS=auto: the file limit minus a reserve; 10,000 where the limit is unknown. */
export function autoMaxConnections(fileLimit: number | null): number {
  if (fileLimit === null) return 10_000;
  return Math.max(100, fileLimit - RESERVED_FILE_DESCRIPTORS);
}

/** Reads a configuration from an environment record (process.env by default). */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset", as in most shells' `VAR= command`.
  const cleaned = Object.fromEntries(
    Object.keys(EnvSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    // Inside a structured value (OIDC_ISSUERS), say which entry and field is wrong.
    const where = issue.path
      .slice(1)
      .map((part) => (typeof part === 'number' ? `entry ${part + 1}` : String(part)))
      .join(' ');
    throw new StartupError(
      variable,
      `${where ? `${where}: ` : ''}${issue.message} (got ${quoteRejected(variable, cleaned[variable])})`,
    );
  }
  const e = parsed.data;
  if ((e.TLS_CERT_FILE === undefined) !== (e.TLS_KEY_FILE === undefined)) {
    const [missing, given] =
      e.TLS_CERT_FILE === undefined
        ? ['TLS_CERT_FILE', 'TLS_KEY_FILE']
        : ['TLS_KEY_FILE', 'TLS_CERT_FILE'];
    throw new StartupError(missing, `must be set too when ${given} is (both or neither)`);
  }
  if (e.TRUST_PROXY_HOPS > 0 && e.TRUSTED_PROXIES.length === 0) {
    throw new StartupError(
      'TRUSTED_PROXIES',
      `is empty while TRUST_PROXY_HOPS is ${e.TRUST_PROXY_HOPS}: no X-Forwarded-For would ever be believed; list the addresses of your proxies`,
    );
  }
  const tls =
    e.TLS_CERT_FILE !== undefined && e.TLS_KEY_FILE !== undefined
      ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE }
      : null;
  // With TLS on, the endpoints handed out must be https:// or senders would talk plain HTTP
  // to a TLS port.
  const defaultPublicUrl = `${tls ? 'https' : 'http'}://localhost:${e.PORT}`;
  const publicUrl = (e.PUBLIC_URL ?? defaultPublicUrl).replace(/\/+$/, '');
  const url = new URL(publicUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StartupError('PUBLIC_URL', `must be http(s), got ${JSON.stringify(publicUrl)}`);
  }
  const database = e.DATABASE_URL.startsWith('sqlite:')
    ? { kind: 'sqlite' as const, path: e.DATABASE_URL.slice('sqlite:'.length) }
    : { kind: 'postgres' as const, url: e.DATABASE_URL };
  if (database.kind === 'sqlite' && database.path.length === 0) {
    throw new StartupError('DATABASE_URL', 'sqlite: needs a file path, e.g. sqlite:./data/push.db');
  }
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    publicOrigin: url.origin,
    vapidAudiences: [
      ...new Set([url.origin, ...e.PUBLIC_URL_ALIASES.map((alias) => new URL(alias).origin)]),
    ],
    tls,
    amqpUrls: e.AMQP_URL,
    queueType: e.QUEUE_TYPE,
    brokerTimeoutMs: e.BROKER_TIMEOUT_MS,
    memcachedServers: e.MEMCACHED,
    memcachedTimeoutMs: e.MEMCACHED_TIMEOUT_MS,
    database,
    adminToken: e.ADMIN_TOKEN ?? null,
    endpointKey: e.ENDPOINT_KEY ?? null,
    metrics: {
      listener:
        e.METRICS_PORT === undefined ? null : { host: e.METRICS_HOST, port: e.METRICS_PORT },
      token: e.METRICS_TOKEN ?? null,
    },
    logLevel: e.LOG_LEVEL,
    workers: e.WORKERS === 'auto' ? availableParallelism() : e.WORKERS,
    workerId: e.PUSH_WORKER_ID ?? null,
    delivery: {
      prefetch: e.DELIVERY_PREFETCH,
      helloTimeoutMs: e.HELLO_TIMEOUT_MS,
      pingIntervalMs: e.WS_PING_INTERVAL_MS,
      idleTimeoutMs: e.WS_IDLE_TIMEOUT_MS,
      maxConnections:
        e.MAX_CONNECTIONS === 'auto' ? autoMaxConnections(readOpenFileLimit()) : e.MAX_CONNECTIONS,
      helloConcurrency: e.HELLO_CONCURRENCY,
      helloQueueLimit: e.HELLO_QUEUE_LIMIT,
    },
    dos: {
      windowSeconds: e.DOS_WINDOW_SECONDS,
      maxRequests: e.DOS_MAX_REQUESTS,
      maxBadRequests: e.DOS_MAX_BAD_REQUESTS,
      requestPenaltySeconds: e.DOS_REQUEST_PENALTY_SECONDS,
      badRequestPenaltySeconds: e.DOS_BAD_REQUEST_PENALTY_SECONDS,
      lruSize: e.DOS_LRU_SIZE,
      allowList: e.DOS_ALLOW_LIST,
      observeOnly: e.DOS_OBSERVE_ONLY,
      trustProxyHops: e.TRUST_PROXY_HOPS,
      trustedProxies: e.TRUSTED_PROXIES,
    },
    dosSyncIntervalMs: e.DOS_SYNC_INTERVAL_MS,
    limits: {
      pairingChannelsPerIp: e.PAIRING_CHANNELS_PER_IP,
      signupsPerIpPerHour: e.SIGNUPS_PER_IP_PER_HOUR,
      oidcNoncesPerIpPerHour: e.OIDC_NONCES_PER_IP_PER_HOUR,
      maxClientsPerAccount: e.ACCOUNT_MAX_CLIENTS,
      maxSubscriptionsPerAccount: e.ACCOUNT_MAX_SUBSCRIPTIONS,
      queueMaxMessages: e.QUEUE_MAX_MESSAGES,
      queueMaxBytes: e.QUEUE_MAX_BYTES,
    },
    passwords: {
      scryptLogN: e.PASSWORD_SCRYPT_LOG_N,
      signUpConcurrency: e.PASSWORD_HASH_SIGNUP_CONCURRENCY,
      signInConcurrency: e.PASSWORD_HASH_SIGNIN_CONCURRENCY,
      queueLimit: e.PASSWORD_HASH_QUEUE_LIMIT,
    },
    oidc: { issuers: e.OIDC_ISSUERS, jwksCooldownMs: e.OIDC_JWKS_COOLDOWN_SECONDS * 1000 },
  };
}

/** The configuration as it may be logged: no secrets, no credentials in URLs. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    port: config.port,
    host: config.host,
    publicUrl: config.publicUrl,
    vapidAudiences: config.vapidAudiences,
    tls: config.tls ? { cert: config.tls.certFile, key: config.tls.keyFile } : 'off',
    amqpUrl: config.amqpUrls.map(redactUrl).join(','),
    queueType: config.queueType,
    brokerTimeoutMs: config.brokerTimeoutMs,
    memcached: config.memcachedServers,
    database:
      config.database.kind === 'sqlite'
        ? `sqlite:${config.database.path}`
        : redactUrl(config.database.url),
    admin: config.adminToken ? 'enabled' : 'disabled',
    endpointKey: config.endpointKey ? 'ENDPOINT_KEY' : 'beside the database',
    metrics: {
      listener: config.metrics.listener
        ? `${config.metrics.listener.host}:${config.metrics.listener.port}`
        : 'main port',
      token: config.metrics.token ? 'required' : 'none',
    },
    workers: config.workers,
    delivery: config.delivery,
    dos: config.dos,
    limits: config.limits,
    passwords: config.passwords,
    oidc: config.oidc,
  };
}
