// The admin page's script: keeps the token in sessionStorage, polls the JSON API and
// fills the page. Data is only ever written with textContent (never as HTML), so nothing
// an attacker can put in a username or a header reaches the page as markup.
//
// Runs in the browser; built by vite into one classic script (server/admin/build.ts) and
// type-checked with the rest by `npm run lint`. Only types come from the server modules,
// so the answers the page reads are the ones the routes promise (api-types.ts).
import type { DosSettings, SettingName } from '../../dos/settings.js';
import type {
  AccountDetail,
  AccountList,
  AuditList,
  Figures,
  PenaltyBoxView,
  SettingsView,
} from '../api-types.js';

const TOKEN_KEY = 'push-admin-token';
const POLL_MS = 2000;

type Totals = Figures['rates']['lastMinute'];
type JsonValue = DosSettings[SettingName];

/** The element a selector of the page names; the markup (page.tsx) always has it. */
function $<E extends Element = HTMLElement>(selector: string): E {
  const found = document.querySelector<E>(selector);
  if (!found) throw new Error(`the page has no ${selector}`);
  return found;
}

let timer: ReturnType<typeof setInterval> | undefined;
let messageTimer: ReturnType<typeof setTimeout> | undefined;

const token = (): string | null => sessionStorage.getItem(TOKEN_KEY);

function show(message: string, isError = false): void {
  const box = $('#message');
  box.textContent = message;
  box.className = isError ? 'error' : 'ok';
  box.hidden = false;
  clearTimeout(messageTimer);
  messageTimer = setTimeout(() => {
    box.hidden = true;
  }, 5000);
}

/** The API's answer, typed by the caller; null for 204. Throws after showing the error. */
async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`/admin/api${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token()}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status === 401) {
    signOut('The token was refused.');
    throw new Error('unauthorized');
  }
  if (response.status === 204) return null as T;
  // A body that is not JSON (a proxy's error page) leaves the status text to show.
  const json: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const message =
      typeof json === 'object' &&
      json !== null &&
      'message' in json &&
      typeof json.message === 'string'
        ? json.message
        : response.statusText;
    show(message, true);
    throw new Error(message);
  }
  return json as T;
}

function el(tag: string, text?: string | number | null, attrs: Record<string, string> = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

function button(label: string, onClick: () => unknown, attrs: Record<string, string> = {}) {
  const b = el('button', label, { type: 'button', ...attrs });
  b.addEventListener('click', () => {
    Promise.resolve(onClick()).catch(() => {
      // The failure is on the page already (show), or the session ended (signOut).
    });
  });
  return b;
}

type Cell = Node | string | number | boolean | null | undefined;

function row(cells: Cell[]): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const cell of cells) {
    const td = document.createElement('td');
    if (cell instanceof Node) td.append(cell);
    else td.textContent = cell === null || cell === undefined ? '–' : String(cell);
    tr.append(td);
  }
  return tr;
}

function fill(tbody: Element, rows: Node[]): void {
  tbody.replaceChildren(...rows);
}

const time = (iso: string | null): string => (iso ? new Date(iso).toLocaleString() : '–');

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

// -- figures ----------------------------------------------------------------------------

function setText(selector: string, value: Cell): void {
  $(selector).textContent = value === null || value === undefined ? '–' : String(value);
}

function sumRejected(values: Totals): number {
  return Object.entries(values)
    .filter(([key]) => key.startsWith('rejected:'))
    .reduce((sum, [, v]) => sum + v, 0);
}

function rateRow(label: string, v: Totals): HTMLTableRowElement {
  return row([
    label,
    v.accepted ?? 0,
    sumRejected(v),
    v.delivered ?? 0,
    v.redelivered ?? 0,
    v.acked ?? 0,
    v.expired ?? 0,
  ]);
}

async function loadOverview(): Promise<void> {
  const f = await api<Figures>('GET', '/overview');
  for (const service of ['rabbitmq', 'memcached', 'database'] as const) {
    const badge = $(`#health-${service}`);
    badge.textContent = f.health[service];
    badge.className = f.health[service] === 'ok' ? 'up' : 'down';
  }
  setText('#fig-connected', f.queues ? f.queues.connectedClients : null);
  setText('#fig-connected-node', f.node.connectedClients);
  setText(
    '#fig-queued',
    f.queues ? `${f.queues.messages}${f.queues.partial ? ' (first queues only)' : ''}` : null,
  );
  setText('#fig-accounts', f.counts?.accounts);
  setText('#fig-clients', f.counts?.clients);
  setText('#fig-subscriptions', f.counts?.subscriptions);
  setText('#fig-boxed', f.penaltyBox.size);
  setText('#node-info', `node up ${duration(f.node.uptimeSeconds)}`);

  const last = f.rates.lastMinute;
  const rows = [rateRow(`last ${f.rates.lastMinuteSeconds} s`, last)];
  for (const minute of f.rates.minutes.slice(-10).reverse()) {
    rows.push(rateRow(new Date(minute.end).toLocaleTimeString(), minute.values));
  }
  fill($('#rates-table tbody'), rows);
  const reasons = Object.entries(last)
    .filter(([key, v]) => key.startsWith('rejected:') && v > 0)
    .map(([key, v]) => `${key.slice('rejected:'.length)}: ${v}`);
  $('#rejected-reasons').textContent = reasons.length
    ? `Rejected in the last minute, by reason — ${reasons.join(', ')}`
    : '';
}

// -- penalty box --------------------------------------------------------------------------

async function loadPenaltyBox(): Promise<void> {
  const box = await api<PenaltyBoxView>('GET', '/penalty-box');
  $('#observe-only-badge').hidden = !box.observeOnly;
  fill(
    $('#penalty-table tbody'),
    box.entries.map((e) =>
      row([
        e.ip,
        e.reason.replace('_', ' '),
        duration(e.secondsLeft),
        time(e.boxedAt),
        button('Unbox', () => unbox(e.ip), { 'data-unbox': e.ip }),
      ]),
    ),
  );
  $('#penalty-empty').hidden = box.entries.length > 0;
  fill(
    $('#talkers-table tbody'),
    box.topTalkers.map((t) => row([t.ip, t.requests, t.badRequests])),
  );
}

async function unbox(ip: string): Promise<void> {
  await api<null>('DELETE', `/penalty-box/${encodeURIComponent(ip)}`);
  show(`${ip} let out of the penalty box`);
  await Promise.all([loadPenaltyBox(), loadAudit()]);
}

/** A named control of a form (the markup names each one). */
function field(form: HTMLFormElement, name: string): HTMLInputElement {
  const control = form.elements.namedItem(name);
  if (!(control instanceof HTMLInputElement)) throw new Error(`the form has no input ${name}`);
  return control;
}

$<HTMLFormElement>('#box-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  const seconds = field(form, 'seconds').value;
  void (async () => {
    await api('POST', '/penalty-box', {
      ip: field(form, 'ip').value,
      ...(seconds ? { seconds: Number(seconds) } : {}),
    });
    form.reset();
    show('Address boxed');
    await Promise.all([loadPenaltyBox(), loadAudit()]);
  })().catch(() => {
    // The failure is on the page already (show), or the session ended (signOut).
  });
});

// -- settings -----------------------------------------------------------------------------

let inForce: Partial<DosSettings> = {};

const listText = (value: JsonValue): string =>
  Array.isArray(value) ? value.join(', ') || 'none' : String(value);

function showSettings(view: SettingsView): void {
  inForce = view.inForce;
  const form = $<HTMLFormElement>('#settings-form');
  for (const [name, value] of Object.entries(view.inForce)) {
    const input = form.elements.namedItem(name);
    if (!(input instanceof HTMLInputElement)) continue;
    if (input.type === 'checkbox') input.checked = value === true;
    else input.value = Array.isArray(value) ? value.join(', ') : String(value);
  }
  for (const span of document.querySelectorAll<HTMLElement>('[data-env]')) {
    const name = span.dataset.env as SettingName;
    span.textContent = listText(view.environment[name]);
  }
  for (const span of document.querySelectorAll<HTMLElement>('[data-overridden]')) {
    span.hidden = !((span.dataset.overridden ?? '') in view.overrides);
  }
  // docs/operations.md: each setting says where its value in force comes from.
  for (const span of document.querySelectorAll<HTMLElement>('[data-source]')) {
    const name = span.dataset.source as SettingName;
    const admin = view.sources[name] === 'admin';
    span.textContent = admin ? 'the admin page' : 'the environment';
    span.className = admin ? 'setting-source overridden' : 'setting-source';
  }
}

async function loadSettings(): Promise<void> {
  showSettings(await api<SettingsView>('GET', '/settings'));
}

/** What an input holds, in the type of its setting. */
function inputValue(input: HTMLInputElement): JsonValue {
  if (input.type === 'checkbox') return input.checked;
  if (input.dataset.list !== undefined) {
    return input.value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  return Number(input.value);
}

$<HTMLFormElement>('#settings-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  // Only what was changed becomes an override; the rest keeps following the environment.
  const patch: Record<string, JsonValue> = {};
  for (const input of form.querySelectorAll<HTMLInputElement>('input[name]')) {
    const value = inputValue(input);
    const current = inForce[input.name as SettingName];
    if (JSON.stringify(value) !== JSON.stringify(current)) patch[input.name] = value;
  }
  if (Object.keys(patch).length === 0) {
    show('Nothing changed');
    return;
  }
  void (async () => {
    showSettings(await api<SettingsView>('PUT', '/settings', patch));
    show('Settings saved; every node applies them within seconds');
    await loadAudit();
  })().catch(() => {
    // Shown already, or signed out.
  });
});

$('#settings-reset').addEventListener('click', () => {
  void (async () => {
    showSettings(await api<SettingsView>('POST', '/settings/reset', {}));
    show("Back to the environment's values");
    await loadAudit();
  })().catch(() => {
    // Shown already, or signed out.
  });
});

// -- accounts -----------------------------------------------------------------------------

let lastQuery = '';

async function search(q: string): Promise<void> {
  lastQuery = q;
  const { accounts } = await api<AccountList>('GET', `/accounts?q=${encodeURIComponent(q)}`);
  fill(
    $('#accounts-table tbody'),
    accounts.map((a) => {
      const actions = el('span');
      actions.append(
        button('Details', () => showAccount(a.userId)),
        a.disabledAt
          ? button('Enable', () => accountAction('POST', a.userId, 'enable'))
          : button('Disable', () => accountAction('POST', a.userId, 'disable')),
        button('Delete', () => {
          if (confirm(`Delete ${a.username} and all of its devices?`)) {
            return accountAction('DELETE', a.userId, '');
          }
        }),
      );
      const tr = row([
        a.username,
        signInText(a.oidcIssuer),
        time(a.createdAt),
        a.disabledAt ? 'disabled' : 'active',
        a.clients,
        a.subscriptions,
        actions,
      ]);
      tr.dataset.user = a.username;
      return tr;
    }),
  );
}

/** How an account signs in: its password, or the OpenID Connect issuer it was made with. */
const signInText = (oidcIssuer: string | null): string =>
  oidcIssuer === null ? 'password' : `OpenID Connect: ${oidcIssuer}`;

async function accountAction(
  method: 'POST' | 'DELETE',
  userId: string,
  action: 'enable' | 'disable' | '',
): Promise<void> {
  await api(method, `/accounts/${encodeURIComponent(userId)}${action ? `/${action}` : ''}`);
  show(action ? `Account ${action}d` : 'Account deleted');
  $('#account-detail').hidden = true;
  await Promise.all([search(lastQuery), loadAudit()]);
}

async function showAccount(userId: string): Promise<void> {
  const a = await api<AccountDetail>('GET', `/accounts/${encodeURIComponent(userId)}`);
  const panel = $('#account-detail');
  const table = el('table');
  const head = el('tr');
  for (const h of ['client', 'created', 'last seen', 'connected', 'queued', '']) {
    head.append(el('th', h));
  }
  table.append(head);
  for (const c of a.clients) {
    table.append(
      row([
        c.name,
        time(c.createdAt),
        time(c.lastSeenAt),
        c.connected === null ? '?' : c.connected ? 'yes' : 'no',
        c.queuedMessages,
        button('Revoke', async () => {
          await api<null>('DELETE', `/clients/${encodeURIComponent(c.clientId)}`);
          show('Client revoked');
          await Promise.all([showAccount(userId), search(lastQuery), loadAudit()]);
        }),
      ]),
    );
  }
  panel.replaceChildren(
    el('h3', `${a.username} — ${a.disabledAt ? 'disabled' : 'active'}`),
    el(
      'p',
      `user id ${a.userId} · ${a.subscriptions} subscriptions · signs in with ${signInText(a.oidcIssuer)}`,
      {
        class: 'muted',
      },
    ),
    quotaForm(a),
    table,
  );
  panel.hidden = false;
}

type AccountQuota = AccountDetail['quotas']['clients'];

const quotaText = (label: string, q: AccountQuota): string =>
  `${label}: ${q.used} of ${q.limit} (${q.source === 'admin' ? 'set here' : 'the server default'})`;

/** The account's quotas, and a form to raise (or lower) them, or go back to the defaults. */
function quotaForm(a: AccountDetail): HTMLFormElement {
  const form = el('form', null, { class: 'inline quotas', 'data-quotas': a.userId });
  const input = (name: string, q: AccountQuota) =>
    el('input', null, { type: 'number', name, min: '1', step: '1', value: String(q.limit) });
  const clients = input('maxClients', a.quotas.clients) as HTMLInputElement;
  const subscriptions = input('maxSubscriptions', a.quotas.subscriptions) as HTMLInputElement;
  const clientsLabel = el('label', quotaText('Devices', a.quotas.clients));
  clientsLabel.append(' ', clients);
  const subscriptionsLabel = el('label', quotaText('Subscriptions', a.quotas.subscriptions));
  subscriptionsLabel.append(' ', subscriptions);
  const save = async (change: Record<string, number | null>, done: string) => {
    await api<AccountDetail>('PUT', `/accounts/${encodeURIComponent(a.userId)}/quotas`, change);
    show(done);
    await Promise.all([showAccount(a.userId), loadAudit()]);
  };
  form.append(
    clientsLabel,
    subscriptionsLabel,
    el('button', 'Save quotas', { type: 'submit' }),
    button('Back to the defaults', () =>
      save({ maxClients: null, maxSubscriptions: null }, 'Quotas back to the defaults'),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    // Only what was changed: an untouched default stays the default.
    const change: Record<string, number> = {};
    if (Number(clients.value) !== a.quotas.clients.limit) change.maxClients = Number(clients.value);
    if (Number(subscriptions.value) !== a.quotas.subscriptions.limit) {
      change.maxSubscriptions = Number(subscriptions.value);
    }
    if (Object.keys(change).length === 0) {
      show('Nothing changed');
      return;
    }
    save(change, 'Quotas saved').catch(() => {
      // Shown already, or signed out.
    });
  });
  return form as HTMLFormElement;
}

$<HTMLFormElement>('#account-search').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  search(field(form, 'q').value).catch(() => {
    // Shown already, or signed out.
  });
});

// -- audit log ----------------------------------------------------------------------------

async function loadAudit(): Promise<void> {
  const { entries } = await api<AuditList>('GET', '/audit?limit=50');
  fill(
    $('#audit-table tbody'),
    entries.map((e) => row([time(e.at), e.action, e.target, e.details, e.actor])),
  );
}

// -- session ------------------------------------------------------------------------------

async function refresh(): Promise<void> {
  try {
    await Promise.all([loadOverview(), loadPenaltyBox()]);
  } catch {
    // shown already, or signed out
  }
}

async function start(): Promise<void> {
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#logout').hidden = false;
  try {
    await Promise.all([loadOverview(), loadPenaltyBox(), loadSettings(), loadAudit(), search('')]);
  } catch {
    return;
  }
  clearInterval(timer);
  timer = setInterval(() => void refresh(), POLL_MS);
}

function signOut(message?: string): void {
  sessionStorage.removeItem(TOKEN_KEY);
  clearInterval(timer);
  $('#app').hidden = true;
  $('#logout').hidden = true;
  $('#login').hidden = false;
  if (message) show(message, true);
}

$<HTMLFormElement>('#login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('#token');
  sessionStorage.setItem(TOKEN_KEY, input.value);
  input.value = '';
  void start();
});
$('#logout').addEventListener('click', () => signOut());

if (token()) void start();
