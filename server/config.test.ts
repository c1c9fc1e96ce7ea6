// docs/protocol.md §1: the environment variables, their defaults, and one clear error naming the
// variable when a value is malformed. Every case passes its own env record, so nothing
// here depends on (or leaks into) process.env.
import { describe, expect, it } from 'vitest';
import { type Config, describeConfig, loadConfig } from './config.js';
import { StartupError } from './startup-error.js';

/** The StartupError that loading `env` throws (fails the test when it does not throw one). */
function configError(env: Record<string, string>): StartupError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof StartupError) return err;
    throw new Error(`expected a StartupError, got ${String(err)}`);
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('defaults (docs/protocol.md §1)', () => {
  const config = loadConfig({});

  it('serves HTTP on 127.0.0.1:8080 with endpoints under http://localhost:8080', () => {
    expect(config.port).toBe(8080);
    expect(config.host).toBe('127.0.0.1');
    expect(config.publicUrl).toBe('http://localhost:8080');
    expect(config.publicOrigin).toBe('http://localhost:8080');
  });

  it('uses the local RabbitMQ, memcached and SQLite file, and no admin', () => {
    expect(config.amqpUrls).toEqual(['amqp://guest:guest@127.0.0.1:5672']);
    expect(config.queueType).toBe('classic');
    expect(config.brokerTimeoutMs).toBe(1000);
    expect(config.memcachedServers).toEqual(['127.0.0.1:11211']);
    expect(config.database).toEqual({ kind: 'sqlite', path: './data/push.db' });
    expect(config.adminToken).toBeNull();
  });

  it('derives PUBLIC_URL from PORT when only PORT is set', () => {
    const custom = loadConfig({ PORT: '9090' });
    expect(custom.port).toBe(9090);
    expect(custom.publicUrl).toBe('http://localhost:9090');
    expect(custom.publicOrigin).toBe('http://localhost:9090');
  });

  it('never boxes loopback unless told to: DOS_ALLOW_LIST defaults to it, "none" empties it', () => {
    expect(config.dos.allowList).toEqual(['127.0.0.0/8', '::1']);
    expect(loadConfig({ DOS_ALLOW_LIST: 'none' }).dos.allowList).toEqual([]);
    expect(loadConfig({ DOS_ALLOW_LIST: '192.0.2.0/24' }).dos.allowList).toEqual(['192.0.2.0/24']);
  });

  it('believes X-Forwarded-For only from TRUSTED_PROXIES: loopback by default, "none" empties it', () => {
    expect(config.dos.trustedProxies).toEqual(['127.0.0.0/8', '::1']);
    expect(loadConfig({ TRUSTED_PROXIES: 'none' }).dos.trustedProxies).toEqual([]);
    expect(
      loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, fd00::/8', TRUST_PROXY_HOPS: '2' }).dos,
    ).toMatchObject({ trustedProxies: ['10.0.0.0/8', 'fd00::/8'], trustProxyHops: 2 });
    // Hops with nobody to believe is a mistake, not a set-up: it would silently ignore them.
    expect(configError({ TRUSTED_PROXIES: 'none', TRUST_PROXY_HOPS: '1' }).variable).toBe(
      'TRUSTED_PROXIES',
    );
  });

  it('serves /metrics on the main port without a token unless METRICS_PORT / METRICS_TOKEN say so', () => {
    expect(config.metrics).toEqual({ listener: null, token: null });
    const apart = loadConfig({ METRICS_PORT: '9100', METRICS_TOKEN: 'a-metrics-token-1234' });
    expect(apart.metrics).toEqual({
      listener: { host: '127.0.0.1', port: 9100 },
      token: 'a-metrics-token-1234',
    });
    expect(describeConfig(apart).metrics).toEqual({
      listener: '127.0.0.1:9100',
      token: 'required',
    });
  });

  it('keeps the endpoint key beside the database unless ENDPOINT_KEY gives it', () => {
    expect(config.endpointKey).toBeNull();
    const key = 'A'.repeat(43);
    expect(loadConfig({ ENDPOINT_KEY: key }).endpointKey).toBe(key);
    expect(describeConfig(loadConfig({ ENDPOINT_KEY: key })).endpointKey).toBe('ENDPOINT_KEY');
    expect(JSON.stringify(describeConfig(loadConfig({ ENDPOINT_KEY: key })))).not.toContain(key);
  });

  it('takes an empty variable as unset, as `VAR= command` means in a shell', () => {
    const blank = loadConfig({ PORT: '', HOST: '', DATABASE_URL: '', ADMIN_TOKEN: '' });
    expect(blank.port).toBe(8080);
    expect(blank.host).toBe('127.0.0.1');
    expect(blank.database).toEqual({ kind: 'sqlite', path: './data/push.db' });
    expect(blank.adminToken).toBeNull();
  });
});

describe('values', () => {
  it('reads HOST, AMQP_URL and ADMIN_TOKEN as given', () => {
    const config = loadConfig({
      HOST: '0.0.0.0',
      AMQP_URL: 'amqps://push:secret@rabbit.internal:5671/vhost',
      ADMIN_TOKEN: 'a-token-of-at-least-16',
    });
    expect(config.host).toBe('0.0.0.0');
    expect(config.amqpUrls).toEqual(['amqps://push:secret@rabbit.internal:5671/vhost']);
    expect(config.adminToken).toBe('a-token-of-at-least-16');
  });

  it('splits AMQP_URL on commas: the nodes of a RabbitMQ cluster', () => {
    const config = loadConfig({
      AMQP_URL:
        'amqp://push:pw@rabbit-1:5672, amqp://push:pw@rabbit-2:5672,amqp://push:pw@rabbit-3:5672',
      QUEUE_TYPE: 'quorum',
      BROKER_TIMEOUT_MS: '1000',
    });
    expect(config.amqpUrls).toEqual([
      'amqp://push:pw@rabbit-1:5672',
      'amqp://push:pw@rabbit-2:5672',
      'amqp://push:pw@rabbit-3:5672',
    ]);
    expect(config.queueType).toBe('quorum');
    expect(config.brokerTimeoutMs).toBe(1000);
    // Logged at start: every node, none with its password.
    expect(describeConfig(config).amqpUrl).toBe(
      'amqp://***@rabbit-1:5672,amqp://***@rabbit-2:5672,amqp://***@rabbit-3:5672',
    );
  });

  it('splits MEMCACHED on commas, trimming spaces and dropping empty entries', () => {
    expect(loadConfig({ MEMCACHED: 'cache-a:11211' }).memcachedServers).toEqual(['cache-a:11211']);
    expect(
      loadConfig({ MEMCACHED: ' cache-a:11211 ,cache-b.example:11212,, 10.0.0.3:1 ,' })
        .memcachedServers,
    ).toEqual(['cache-a:11211', 'cache-b.example:11212', '10.0.0.3:1']);
  });

  it('tells a SQLite path from a PostgreSQL URL in DATABASE_URL', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite:/var/lib/push/push.db' }).database).toEqual({
      kind: 'sqlite',
      path: '/var/lib/push/push.db',
    });
    expect(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).database).toEqual({
      kind: 'sqlite',
      path: ':memory:',
    });
    for (const url of ['postgres://push:pw@db:5432/push', 'postgresql://db/push']) {
      expect(loadConfig({ DATABASE_URL: url }).database).toEqual({ kind: 'postgres', url });
    }
  });

  it('strips trailing slashes from PUBLIC_URL and takes the origin for VAPID aud', () => {
    const cases: Array<[string, string, string]> = [
      ['https://push.example.com/', 'https://push.example.com', 'https://push.example.com'],
      [
        'https://push.example.com/base/path//',
        'https://push.example.com/base/path',
        'https://push.example.com',
      ],
      [
        'http://push.example.com:8443',
        'http://push.example.com:8443',
        'http://push.example.com:8443',
      ],
      // The default port is not part of an origin, and hosts are lower-cased: exactly what
      // a browser's `new URL(endpoint).origin` (what web-push puts in aud) gives.
      [
        'https://Push.Example.com:443/x',
        'https://Push.Example.com:443/x',
        'https://push.example.com',
      ],
    ];
    for (const [input, publicUrl, origin] of cases) {
      const config = loadConfig({ PUBLIC_URL: input });
      expect(config.publicUrl).toBe(publicUrl);
      expect(config.publicOrigin).toBe(origin);
      expect(config.publicOrigin).not.toMatch(/\/$/);
    }
  });
});

describe('TLS and VAPID audiences (docs/protocol.md §1)', () => {
  it('is plain HTTP by default, with only the origin of PUBLIC_URL as aud', () => {
    const config = loadConfig({});
    expect(config.tls).toBeNull();
    expect(config.vapidAudiences).toEqual(['http://localhost:8080']);
  });

  it('serves TLS with both files, and then hands out https:// endpoints by default', () => {
    const config = loadConfig({
      TLS_CERT_FILE: '/etc/push/cert.pem',
      TLS_KEY_FILE: '/etc/push/key.pem',
      PORT: '8443',
    });
    expect(config.tls).toEqual({ certFile: '/etc/push/cert.pem', keyFile: '/etc/push/key.pem' });
    expect(config.publicUrl).toBe('https://localhost:8443');
    expect(config.vapidAudiences).toEqual(['https://localhost:8443']);
    // An explicit PUBLIC_URL still wins (e.g. a proxy in front answering on 443).
    expect(
      loadConfig({ TLS_CERT_FILE: 'c', TLS_KEY_FILE: 'k', PUBLIC_URL: 'https://push.example.com' })
        .publicUrl,
    ).toBe('https://push.example.com');
  });

  it.each([
    [{ TLS_CERT_FILE: '/etc/push/cert.pem' }, 'TLS_KEY_FILE'],
    [{ TLS_KEY_FILE: '/etc/push/key.pem' }, 'TLS_CERT_FILE'],
    [{ TLS_CERT_FILE: '/etc/push/cert.pem', TLS_KEY_FILE: '' }, 'TLS_KEY_FILE'],
  ])('refuses one TLS file without the other (%j), naming the missing one', (env, missing) => {
    const err = configError(env);
    expect(err.variable).toBe(missing);
    expect(err.message).toMatch(new RegExp(`^${missing}: .*both or neither`));
    expect(err.message).not.toContain('\n');
  });

  it('accepts the origins of PUBLIC_URL_ALIASES as aud too, without duplicates', () => {
    const config = loadConfig({
      PUBLIC_URL: 'https://push.example.com/base',
      PUBLIC_URL_ALIASES:
        ' http://push.example.com:8080 ,https://old-push.example.net/, https://push.example.com,,https://Other.example.org/some/path',
    });
    expect(config.vapidAudiences).toEqual([
      'https://push.example.com',
      'http://push.example.com:8080',
      'https://old-push.example.net',
      'https://other.example.org',
    ]);
    // Endpoints handed out still use PUBLIC_URL alone.
    expect(config.publicUrl).toBe('https://push.example.com/base');
  });

  it.each(['push.example.com', 'ftp://push.example.com', 'https://ok.example, nope'])(
    'refuses PUBLIC_URL_ALIASES=%j',
    (value) => {
      expect(configError({ PUBLIC_URL_ALIASES: value }).variable).toBe('PUBLIC_URL_ALIASES');
    },
  );

  it('logs where the TLS files are and the audiences, at start', () => {
    const description = describeConfig(
      loadConfig({
        TLS_CERT_FILE: 'c.pem',
        TLS_KEY_FILE: 'k.pem',
        PUBLIC_URL_ALIASES: 'http://a.example',
      }),
    );
    expect(description.tls).toEqual({ cert: 'c.pem', key: 'k.pem' });
    expect(description.vapidAudiences).toEqual(['https://localhost:8080', 'http://a.example']);
    expect(describeConfig(loadConfig({})).tls).toBe('off');
  });
});

describe('malformed values throw a StartupError naming the variable', () => {
  const cases: Array<[string, string]> = [
    ['PORT', 'eighty'],
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['PUBLIC_URL', 'push.example.com'],
    ['PUBLIC_URL', 'ftp://push.example.com'],
    ['AMQP_URL', 'http://guest:guest@127.0.0.1:5672'],
    ['AMQP_URL', '127.0.0.1:5672'],
    ['AMQP_URL', 'amqp://rabbit-1:5672,rabbit-2:5672'],
    ['AMQP_URL', ' , '],
    ['QUEUE_TYPE', 'stream'],
    ['BROKER_TIMEOUT_MS', '0'],
    ['MEMCACHED', 'localhost'],
    ['MEMCACHED', '127.0.0.1:11211,cache-b'],
    ['MEMCACHED', ' , '],
    ['MEMCACHED', 'host:port'],
    ['DATABASE_URL', 'mysql://db/push'],
    ['DATABASE_URL', './data/push.db'],
    ['DATABASE_URL', 'sqlite:'],
    ['ADMIN_TOKEN', 'short'],
    ['TRUSTED_PROXIES', '10.0.0.0/33'],
    ['METRICS_PORT', '99999'],
    ['METRICS_TOKEN', 'short'],
    ['TRUSTED_PROXIES', 'proxy.example.com'],
  ];

  it.each(cases)('%s=%j', (variable, value) => {
    const err = configError({ [variable]: value });
    expect(err.name).toBe('StartupError');
    expect(err.variable).toBe(variable);
    // One line that starts with the variable, so the operator knows what to fix.
    expect(err.message.startsWith(`${variable}: `)).toBe(true);
    expect(err.message).not.toContain('\n');
  });

  it('names the malformed variable, not the first one that happens to be set', () => {
    const err = configError({ PORT: '8081', HOST: '::', MEMCACHED: 'nope' });
    expect(err.variable).toBe('MEMCACHED');
  });

  it('never repeats a malformed secret in the message (it is printed at start)', () => {
    const secret = 'hunter2-secret';
    for (const [variable, value] of [
      ['DATABASE_URL', `postgress://push:${secret}@db/push`],
      ['AMQP_URL', `amqq://guest:${secret}@rabbit:5672`],
      ['ADMIN_TOKEN', 'hunter2-secre'],
      ['ENDPOINT_KEY', 'hunter2-secret-but-not-32-bytes'],
      ['METRICS_TOKEN', 'hunter2-secre'],
    ] as const) {
      const err = configError({ [variable]: value });
      expect(err.variable).toBe(variable);
      expect(err.message).not.toContain('hunter2-secre');
    }
    // What is left still shows the operator which part is wrong.
    expect(configError({ DATABASE_URL: `postgress://push:${secret}@db/push` }).message).toBe(
      'DATABASE_URL: expected sqlite:<path> or postgres://… (got "postgress://***@db/push")',
    );
    expect(configError({ ADMIN_TOKEN: 'short' }).message).toBe(
      'ADMIN_TOKEN: must be at least 16 characters (got 5 characters)',
    );
  });
});

describe('describeConfig (what the server logs at start)', () => {
  const secrets = {
    amqp: 'amqp-pass-4242',
    database: 'db-pass-4343',
    admin: 'admin-token-4444-abcdef',
  };

  function logged(env: Record<string, string>): string {
    return JSON.stringify(describeConfig(loadConfig({ ADMIN_TOKEN: secrets.admin, ...env })));
  }

  it('keeps hosts and settings but not the passwords or the admin token', () => {
    const text = logged({
      AMQP_URL: `amqp://push:${secrets.amqp}@rabbit.internal:5672`,
      DATABASE_URL: `postgres://push:${secrets.database}@db.internal:5432/push`,
    });
    expect(text).toContain('rabbit.internal:5672');
    expect(text).toContain('db.internal:5432/push');
    expect(text).toContain('"admin":"enabled"');
    for (const secret of Object.values(secrets)) expect(text).not.toContain(secret);
  });

  it('redacts passwords that contain an unescaped @ or sit in the query string', () => {
    // URL parsers take the last @ before the host as the end of the credentials, and
    // node-postgres reads ?password=, so both of these connect with the secret.
    const text = logged({
      AMQP_URL: `amqp://push:${secrets.amqp}@x@rabbit.internal:5672`,
      DATABASE_URL: `postgres://push@db.internal:5432/push?sslmode=require&password=${secrets.database}`,
    });
    expect(text).toContain('rabbit.internal:5672');
    expect(text).toContain('sslmode=require');
    for (const secret of Object.values(secrets)) expect(text).not.toContain(secret);
    expect(text).not.toContain('@x@');
  });

  it('redacts credentials even in a URL the URL parser refuses (port out of range)', () => {
    const text = logged({
      AMQP_URL: `amqp://push:${secrets.amqp}@rabbit.internal:99999`,
      DATABASE_URL: `postgres://push:${secrets.database}@db.internal:99999/push`,
    });
    expect(text).toContain('"amqpUrl":"amqp://***@rabbit.internal:99999"');
    expect(text).toContain('"database":"postgres://***@db.internal:99999/push"');
  });

  it('says admin is disabled without a token, and shows a SQLite path as is', () => {
    const description = describeConfig(loadConfig({}));
    expect(description.admin).toBe('disabled');
    expect(description.database).toBe('sqlite:./data/push.db');
    expect(description.amqpUrl).toBe('amqp://***@127.0.0.1:5672');
  });

  it('leaves a URL without credentials unchanged', () => {
    const config: Config = loadConfig({
      AMQP_URL: 'amqp://rabbit.internal:5672',
      DATABASE_URL: 'postgres://db.internal/push',
    });
    const description = describeConfig(config);
    expect(description.amqpUrl).toBe('amqp://rabbit.internal:5672');
    expect(description.database).toBe('postgres://db.internal/push');
  });
});

describe('OIDC_ISSUERS (docs/protocol.md §9)', () => {
  const one = { issuer: 'https://id.example.com', clientId: 'push-addon', name: 'Example' };

  it('is empty when unset: no OIDC sign-in', () => {
    expect(loadConfig({}).oidc).toEqual({ issuers: [], jwksCooldownMs: 30_000 });
  });

  it('reads a JSON array of issuers with their client ids and display names', () => {
    const local = { issuer: 'http://127.0.0.1:4000/oidc', clientId: 'c', name: 'Local' };
    const config = loadConfig({
      OIDC_ISSUERS: JSON.stringify([one, local]),
      OIDC_JWKS_COOLDOWN_SECONDS: '2',
    });
    expect(config.oidc).toEqual({ issuers: [one, local], jwksCooldownMs: 2000 });
    expect(describeConfig(config).oidc).toEqual(config.oidc);
  });

  it.each([
    ['not JSON', 'issuer=https://id.example.com', /expected a JSON array/],
    ['an object, not an array', JSON.stringify(one), /expected a JSON array/],
    ['a missing client id', JSON.stringify([{ ...one, clientId: undefined }]), /entry 1 clientId/],
    ['an empty name', JSON.stringify([{ ...one, name: ' ' }]), /entry 1 name: name must not/],
    [
      'plain http off loopback',
      JSON.stringify([{ ...one, issuer: 'http://id.example.com' }]),
      /entry 1 issuer: issuer must be an https URL/,
    ],
    ['a field that means nothing', JSON.stringify([{ ...one, secret: 'x' }]), /entry 1/],
    ['the same issuer twice', JSON.stringify([one, one]), /each issuer may be listed only once/],
  ])('refuses %s with a StartupError naming OIDC_ISSUERS', (_, value, message) => {
    const err = configError({ OIDC_ISSUERS: value });
    expect(err.variable).toBe('OIDC_ISSUERS');
    expect(err.message).toMatch(/^OIDC_ISSUERS: /);
    expect(err.message).toMatch(message);
  });
});
