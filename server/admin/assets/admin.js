// The admin page's script: keeps the token in sessionStorage, polls the JSON API and
// fills the page. Data is only ever written with textContent (never as HTML), so nothing
// an attacker can put in a username or a header reaches the page as markup.

(() => {
  const TOKEN_KEY = 'push-admin-token';
  const POLL_MS = 2000;
  const $ = (selector) => document.querySelector(selector);
  let timer = null;

  const token = () => sessionStorage.getItem(TOKEN_KEY);

  function show(message, isError) {
    const box = $('#message');
    box.textContent = message;
    box.className = isError ? 'error' : 'ok';
    box.hidden = false;
    clearTimeout(show.timer);
    show.timer = setTimeout(() => {
      box.hidden = true;
    }, 5000);
  }

  async function api(method, path, body) {
    const response = await fetch(`/admin/api${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token()}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) {
      signOut('The token was refused.');
      throw new Error('unauthorized');
    }
    if (response.status === 204) return null;
    const json = await response.json().catch(() => null);
    if (!response.ok) {
      const message = json && typeof json.message === 'string' ? json.message : response.statusText;
      show(message, true);
      throw new Error(message);
    }
    return json;
  }

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    return node;
  }

  function button(label, onClick, attrs) {
    const b = el('button', label, { type: 'button', ...(attrs || {}) });
    b.addEventListener('click', onClick);
    return b;
  }

  function row(cells) {
    const tr = document.createElement('tr');
    for (const cell of cells) {
      const td = document.createElement('td');
      if (cell instanceof Node) td.append(cell);
      else td.textContent = cell === null || cell === undefined ? '–' : String(cell);
      tr.append(td);
    }
    return tr;
  }

  function fill(tbody, rows) {
    tbody.replaceChildren(...rows);
  }

  const time = (iso) => (iso ? new Date(iso).toLocaleString() : '–');

  function duration(seconds) {
    if (seconds < 60) return `${seconds} s`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
    return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  }

  // -- figures ------------------------------------------------------------------------------

  function setText(selector, value) {
    $(selector).textContent = value === null || value === undefined ? '–' : String(value);
  }

  function sumRejected(values) {
    return Object.entries(values)
      .filter(([key]) => key.startsWith('rejected:'))
      .reduce((sum, [, v]) => sum + v, 0);
  }

  async function loadOverview() {
    const f = await api('GET', '/overview');
    for (const service of ['rabbitmq', 'memcached', 'database']) {
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
    const rows = [
      row([
        `last ${f.rates.lastMinuteSeconds} s`,
        last.accepted ?? 0,
        sumRejected(last),
        last.delivered ?? 0,
        last.redelivered ?? 0,
        last.acked ?? 0,
        last.expired ?? 0,
      ]),
    ];
    for (const minute of f.rates.minutes.slice(-10).reverse()) {
      const v = minute.values;
      rows.push(
        row([
          new Date(minute.end).toLocaleTimeString(),
          v.accepted ?? 0,
          sumRejected(v),
          v.delivered ?? 0,
          v.redelivered ?? 0,
          v.acked ?? 0,
          v.expired ?? 0,
        ]),
      );
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

  async function loadPenaltyBox() {
    const box = await api('GET', '/penalty-box');
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

  async function unbox(ip) {
    await api('DELETE', `/penalty-box/${encodeURIComponent(ip)}`);
    show(`${ip} let out of the penalty box`);
    await Promise.all([loadPenaltyBox(), loadAudit()]);
  }

  $('#box-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const seconds = form.elements.seconds.value;
    await api('POST', '/penalty-box', {
      ip: form.elements.ip.value,
      ...(seconds ? { seconds: Number(seconds) } : {}),
    });
    form.reset();
    show('Address boxed');
    await Promise.all([loadPenaltyBox(), loadAudit()]);
  });

  // -- settings -----------------------------------------------------------------------------

  function showSettings(view) {
    inForce = view.inForce;
    const form = $('#settings-form');
    for (const [name, value] of Object.entries(view.inForce)) {
      const input = form.elements[name];
      if (!input) continue;
      if (input.type === 'checkbox') input.checked = value;
      else input.value = Array.isArray(value) ? value.join(', ') : value;
    }
    for (const span of document.querySelectorAll('[data-env]')) {
      const value = view.environment[span.dataset.env];
      span.textContent = Array.isArray(value) ? value.join(', ') || 'none' : String(value);
    }
    for (const span of document.querySelectorAll('[data-overridden]')) {
      span.hidden = !(span.dataset.overridden in view.overrides);
    }
  }

  let inForce = {};

  async function loadSettings() {
    showSettings(await api('GET', '/settings'));
  }

  $('#settings-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    // Only what was changed becomes an override; the rest keeps following the environment.
    const patch = {};
    for (const input of form.querySelectorAll('input[name]')) {
      let value;
      if (input.type === 'checkbox') value = input.checked;
      else if (input.name === 'allowList') {
        value = input.value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      } else value = Number(input.value);
      if (JSON.stringify(value) !== JSON.stringify(inForce[input.name])) patch[input.name] = value;
    }
    if (Object.keys(patch).length === 0) {
      show('Nothing changed');
      return;
    }
    showSettings(await api('PUT', '/settings', patch));
    show('Settings saved; every node applies them within seconds');
    await loadAudit();
  });

  $('#settings-reset').addEventListener('click', async () => {
    showSettings(await api('POST', '/settings/reset', {}));
    show("Back to the environment's values");
    await loadAudit();
  });

  // -- accounts -----------------------------------------------------------------------------

  let lastQuery = '';

  async function search(q) {
    lastQuery = q;
    const { accounts } = await api('GET', `/accounts?q=${encodeURIComponent(q)}`);
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
              accountAction('DELETE', a.userId, '');
            }
          }),
        );
        const tr = row([
          a.username,
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

  async function accountAction(method, userId, action) {
    await api(method, `/accounts/${encodeURIComponent(userId)}${action ? `/${action}` : ''}`);
    show(action ? `Account ${action}d` : 'Account deleted');
    $('#account-detail').hidden = true;
    await Promise.all([search(lastQuery), loadAudit()]);
  }

  async function showAccount(userId) {
    const a = await api('GET', `/accounts/${encodeURIComponent(userId)}`);
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
            await api('DELETE', `/clients/${encodeURIComponent(c.clientId)}`);
            show('Client revoked');
            await Promise.all([showAccount(userId), search(lastQuery), loadAudit()]);
          }),
        ]),
      );
    }
    panel.replaceChildren(
      el('h3', `${a.username} — ${a.disabledAt ? 'disabled' : 'active'}`),
      el('p', `user id ${a.userId} · ${a.subscriptions} subscriptions`, { class: 'muted' }),
      table,
    );
    panel.hidden = false;
  }

  $('#account-search').addEventListener('submit', (event) => {
    event.preventDefault();
    search(event.currentTarget.elements.q.value);
  });

  // -- audit log ----------------------------------------------------------------------------

  async function loadAudit() {
    const { entries } = await api('GET', '/audit?limit=50');
    fill(
      $('#audit-table tbody'),
      entries.map((e) => row([time(e.at), e.action, e.target, e.details, e.actor])),
    );
  }

  // -- session ------------------------------------------------------------------------------

  async function refresh() {
    try {
      await Promise.all([loadOverview(), loadPenaltyBox()]);
    } catch {
      // shown already, or signed out
    }
  }

  async function start() {
    $('#login').hidden = true;
    $('#app').hidden = false;
    $('#logout').hidden = false;
    try {
      await Promise.all([
        loadOverview(),
        loadPenaltyBox(),
        loadSettings(),
        loadAudit(),
        search(''),
      ]);
    } catch {
      return;
    }
    clearInterval(timer);
    timer = setInterval(refresh, POLL_MS);
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    clearInterval(timer);
    $('#app').hidden = true;
    $('#logout').hidden = true;
    $('#login').hidden = false;
    if (message) show(message, true);
  }

  $('#login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('#token').value);
    $('#token').value = '';
    start();
  });
  $('#logout').addEventListener('click', () => signOut());

  if (token()) start();
})();
