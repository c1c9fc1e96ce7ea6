// The admin page's markup, rendered on the server with hono/jsx. It holds no data: the
// script (front-end/admin.ts, served built as /admin/assets/admin.js) asks for the token,
// keeps it in sessionStorage and fills the sections from the JSON API. Field names of the
// settings form are the API's.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FC } from 'hono/jsx';
import { SETTING_NAMES, type SettingName } from '../dos/settings.js';

const SETTING_LABELS: Record<SettingName, { label: string; hint: string }> = {
  windowSeconds: { label: 'Window (s)', hint: 'sliding window the counts cover' },
  maxRequests: { label: 'Max requests', hint: 'per IP and window, then boxed' },
  maxBadRequests: { label: 'Max bad requests', hint: '4xx caused by the client, per window' },
  requestPenaltySeconds: { label: 'Request penalty (s)', hint: 'time boxed for too many requests' },
  badRequestPenaltySeconds: {
    label: 'Bad-request penalty (s)',
    hint: 'time boxed for too many bad requests',
  },
  lruSize: { label: 'Tracked IPs (LRU size)', hint: 'addresses counted per node' },
  allowList: { label: 'Allow-list', hint: 'IPs/CIDRs never boxed, comma separated' },
  observeOnly: { label: 'Observe only', hint: 'count and log, never box automatically' },
  trustProxyHops: { label: 'Trusted proxy hops', hint: 'X-Forwarded-For entries to believe' },
  trustedProxies: {
    label: 'Trusted proxies',
    hint: 'IPs/CIDRs of your proxies: only they are believed',
  },
};

const Card: FC<{ id: string; label: string }> = ({ id, label }) => (
  <div class="card">
    <div class="card-label">{label}</div>
    <div class="card-value" id={id}>
      –
    </div>
  </div>
);

const SettingField: FC<{ name: SettingName }> = ({ name }) => {
  const { label, hint } = SETTING_LABELS[name];
  const input =
    name === 'observeOnly' ? (
      <input type="checkbox" name={name} id={`setting-${name}`} />
    ) : name === 'allowList' || name === 'trustedProxies' ? (
      <input
        type="text"
        name={name}
        id={`setting-${name}`}
        placeholder="192.0.2.0/24, 2001:db8::1"
        data-list=""
      />
    ) : (
      <input type="number" name={name} id={`setting-${name}`} min="0" step="1" required />
    );
  return (
    <div class="setting">
      <label class="setting-label" for={`setting-${name}`}>
        {label}
      </label>
      {input}
      <span class="setting-hint">
        {hint} · in force from <span class="setting-source" data-source={name} /> · environment:{' '}
        <span class="setting-env" data-env={name} />
        <span class="setting-overridden" data-overridden={name} hidden>
          {' '}
          · set here
        </span>
      </span>
    </div>
  );
};

const Page: FC = () => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="robots" content="noindex" />
      <title>Push server · admin</title>
      <link rel="stylesheet" href="/admin/assets/admin.css" />
      <script src="/admin/assets/admin.js" defer />
    </head>
    <body>
      <header>
        <h1>Push server</h1>
        <span id="node-info" class="muted" />
        <button type="button" id="logout" hidden>
          Sign out
        </button>
      </header>
      <div id="message" role="status" hidden />

      <section id="login">
        <h2>Sign in</h2>
        <form id="login-form">
          <label>
            Admin token <input type="password" id="token" autocomplete="off" required />
          </label>
          <button type="submit">Sign in</button>
        </form>
        <p class="muted">
          The token is the server's ADMIN_TOKEN. It stays in this tab (sessionStorage).
        </p>
      </section>

      <main id="app" hidden>
        <section id="figures">
          <h2>Now</h2>
          <div class="health">
            <span>RabbitMQ</span> <b id="health-rabbitmq">–</b>
            <span>memcached</span> <b id="health-memcached">–</b>
            <span>database</span> <b id="health-database">–</b>
          </div>
          <div class="cards">
            <Card id="fig-connected" label="Connected clients (all nodes)" />
            <Card id="fig-connected-node" label="Connected to this node" />
            <Card id="fig-queued" label="Messages waiting in queues" />
            <Card id="fig-accounts" label="Accounts" />
            <Card id="fig-clients" label="Clients" />
            <Card id="fig-subscriptions" label="Subscriptions" />
            <Card id="fig-boxed" label="Boxed IPs" />
          </div>
          <h3>
            Pushes per minute <span class="muted">(this node)</span>
          </h3>
          <table id="rates-table">
            <thead>
              <tr>
                <th>minute ending</th>
                <th>accepted</th>
                <th>rejected</th>
                <th>delivered</th>
                <th>redelivered</th>
                <th>acked</th>
                <th>expired</th>
              </tr>
            </thead>
            <tbody />
          </table>
          <p class="muted" id="rejected-reasons" />
        </section>

        <section id="penalty">
          <h2>
            Penalty box{' '}
            <span id="observe-only-badge" class="badge" hidden>
              observe only
            </span>
          </h2>
          <table id="penalty-table">
            <thead>
              <tr>
                <th>IP</th>
                <th>reason</th>
                <th>time left</th>
                <th>boxed at</th>
                <th />
              </tr>
            </thead>
            <tbody />
          </table>
          <p id="penalty-empty" class="muted">
            Nobody is boxed.
          </p>
          <form id="box-form" class="inline">
            <input type="text" name="ip" placeholder="IP address" required />
            <input type="number" name="seconds" placeholder="seconds" min="1" />
            <button type="submit">Box by hand</button>
          </form>
          <h3>
            Top talkers <span class="muted">(this node, current window)</span>
          </h3>
          <table id="talkers-table">
            <thead>
              <tr>
                <th>IP</th>
                <th>requests</th>
                <th>bad requests</th>
              </tr>
            </thead>
            <tbody />
          </table>
        </section>

        <section id="settings">
          <h2>DoS settings</h2>
          <p class="muted">
            Values in force on every node within seconds of saving. Environment values apply where
            nothing was set here.
          </p>
          <form id="settings-form">
            <div class="settings-grid">
              {SETTING_NAMES.map((name) => (
                <SettingField name={name} />
              ))}
            </div>
            <button type="submit">Save</button>{' '}
            <button type="button" id="settings-reset">
              Back to the environment's values
            </button>
          </form>
        </section>

        <section id="accounts">
          <h2>Accounts</h2>
          <form id="account-search" class="inline">
            <input type="search" name="q" placeholder="username or user id" />
            <button type="submit">Search</button>
          </form>
          <table id="accounts-table">
            <thead>
              <tr>
                <th>username</th>
                <th>signs in with</th>
                <th>created</th>
                <th>status</th>
                <th>clients</th>
                <th>subscriptions</th>
                <th />
              </tr>
            </thead>
            <tbody />
          </table>
          <div id="account-detail" hidden />
        </section>

        <section id="audit">
          <h2>Audit log</h2>
          <table id="audit-table">
            <thead>
              <tr>
                <th>when</th>
                <th>action</th>
                <th>target</th>
                <th>details</th>
                <th>from</th>
              </tr>
            </thead>
            <tbody />
          </table>
        </section>
      </main>
    </body>
  </html>
);

/**
 * Renders the page once, at start. hono/jsx renders inside an AsyncLocalStorage of its own,
 * and on Node 20 one `run()` of any AsyncLocalStorage switches on promise hooks for the rest
 * of the process: measured, every `await` then cost ~4× as much, on every push. The page
 * has no context to carry across awaits, so the storages the render used are switched off
 * again once the string is made (a later `run()` would simply switch them on again).
 */
export function renderAdminPage(): string {
  const used = new Set<AsyncLocalStorage<unknown>>();
  const run = AsyncLocalStorage.prototype.run;
  AsyncLocalStorage.prototype.run = function <R, A extends unknown[]>(
    this: AsyncLocalStorage<unknown>,
    store: unknown,
    callback: (...args: A) => R,
    ...args: A
  ): R {
    used.add(this);
    return run.call(this, store, callback, ...args) as R;
  };
  try {
    return `<!doctype html>${(<Page />).toString()}`;
  } finally {
    AsyncLocalStorage.prototype.run = run;
    for (const storage of used) storage.disable();
  }
}
