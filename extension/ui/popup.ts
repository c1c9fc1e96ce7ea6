// The toolbar popup: connection state, the opt-in switch, recent notifications, the user's
// subscriptions (select some or all, Unsubscribe, confirm; then optionally block them) and
// devices. The per-site answers are edited in the settings. Refreshes itself when the
// background stores something new (a notification arriving while it is open).
import browser from 'webextension-polyfill';
import type { ConnectionState, ExtensionState } from '../messaging/ui-api.js';
import { busy, byId, say, show } from './dom.js';
import { loadPage } from './page-load.js';
import { call, messageOf } from './rpc.js';
import { renderDevices } from './views/devices.js';
import { renderNotifications } from './views/notifications.js';
import {
  blockLabel,
  renderSubscriptions,
  selectAllSubscriptions,
  selectedSubscriptions,
  selectionState,
  unsubscribedText,
  unsubscribeQuestion,
} from './views/subscriptions.js';

const el = {
  loading: byId('loading'),
  content: byId('content'),
  connection: byId('connection'),
  notice: byId('notice'),
  noticeText: byId('notice-text'),
  noticeDismiss: byId<HTMLButtonElement>('notice-dismiss'),
  setup: byId('setup'),
  setupText: byId('setup-text'),
  setupOpen: byId<HTMLButtonElement>('setup-open'),
  setupPair: byId<HTMLButtonElement>('setup-pair'),
  addDevice: byId<HTMLButtonElement>('add-device'),
  enabled: byId<HTMLInputElement>('enabled'),
  notifications: byId<HTMLUListElement>('notifications'),
  clearNotifications: byId<HTMLButtonElement>('clear-notifications'),
  subscriptionsSection: byId('subscriptions-section'),
  subscriptions: byId<HTMLUListElement>('subscriptions'),
  subscriptionsStatus: byId('subscriptions-status'),
  selectAll: byId<HTMLInputElement>('select-all'),
  unsubscribeBar: byId('unsubscribe-bar'),
  unsubscribe: byId<HTMLButtonElement>('unsubscribe'),
  unsubscribeConfirm: byId('unsubscribe-confirm'),
  unsubscribeQuestion: byId('unsubscribe-question'),
  unsubscribeYes: byId<HTMLButtonElement>('unsubscribe-yes'),
  unsubscribeNo: byId<HTMLButtonElement>('unsubscribe-no'),
  unsubscribed: byId('unsubscribed'),
  unsubscribedText: byId('unsubscribed-text'),
  blockUnsubscribed: byId<HTMLButtonElement>('block-unsubscribed'),
  openSites: byId<HTMLButtonElement>('open-sites'),
  devicesSection: byId('devices-section'),
  devices: byId<HTMLUListElement>('devices'),
  devicesStatus: byId('devices-status'),
  openOptions: byId<HTMLButtonElement>('open-options'),
};

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  off: 'Off',
  connecting: 'Connecting…',
  connected: 'Connected',
  offline: 'Server unreachable',
  unauthorized: 'Signed out',
};

let signedIn = false;
/** Unread when this popup first showed them: they keep their "new" mark while it is open. */
const newThisTime = new Set<string>();

function renderState(state: ExtensionState): void {
  signedIn = state.account?.clientId != null;
  el.enabled.checked = state.enabled;
  el.connection.textContent = CONNECTION_TEXT[state.connection];
  el.connection.dataset.state = state.connection;
  show(el.connection, true);
  show(el.notice, state.notice !== null);
  el.noticeText.textContent = state.notice ?? '';

  const setup = !signedIn
    ? 'Sign up or sign in to a push server to receive notifications.'
    : !state.enabled
      ? 'Notifications are off. Turn them on below to let sites subscribe.'
      : null;
  show(el.setup, setup !== null);
  show(el.setupOpen, !signedIn);
  show(el.setupPair, !signedIn);
  el.setupText.textContent = setup ?? '';
  show(el.subscriptionsSection, signedIn);
  show(el.devicesSection, signedIn);
}

async function loadNotifications(): Promise<void> {
  const entries = await call('listNotifications');
  for (const e of entries) if (!e.read) newThisTime.add(e.id);
  const shown = entries.map((e) => ({ ...e, read: !newThisTime.has(e.id) }));
  renderNotifications(el.notifications, shown, (entry) => {
    if (entry.url) void browser.tabs.create({ url: entry.url }).then(() => window.close());
  });
  el.clearNotifications.disabled = entries.length === 0;
  // Seen now, so the badge goes.
  if (entries.some((e) => !e.read)) await call('markNotificationsRead');
}

/** The sites of the last unsubscribe, for "Block these sites". */
let justUnsubscribed: string[] = [];

/** Select all, the Unsubscribe button and the confirmation follow the ticked rows. */
function selectionChanged(): void {
  const { selected, total } = selectionState(el.subscriptions);
  el.selectAll.checked = total > 0 && selected === total;
  el.selectAll.indeterminate = selected > 0 && selected < total;
  el.selectAll.disabled = total === 0;
  el.unsubscribe.disabled = selected === 0;
  el.unsubscribe.textContent = selected > 0 ? `Unsubscribe (${selected})` : 'Unsubscribe';
  show(el.unsubscribeBar, total > 0);
  // A confirmation asks about one selection; a changed selection asks again.
  show(el.unsubscribeConfirm, false);
}

async function loadSubscriptions(): Promise<void> {
  if (!signedIn) return;
  try {
    const keep = new Set(selectedSubscriptions(el.subscriptions));
    renderSubscriptions(el.subscriptions, await call('listSubscriptions'), selectionChanged);
    // A refresh (e.g. a notification arriving) keeps what the user had ticked.
    for (const box of el.subscriptions.querySelectorAll<HTMLInputElement>('input')) {
      box.checked = keep.has(box.value);
    }
    const confirming = !el.unsubscribeConfirm.hidden;
    selectionChanged();
    show(el.unsubscribeConfirm, confirming && selectionState(el.subscriptions).selected > 0);
  } catch (err) {
    say(el.subscriptionsStatus, `Could not load the subscriptions. ${messageOf(err)}`, 'error');
  }
}

async function unsubscribeSelected(): Promise<void> {
  const subscriptionIds = selectedSubscriptions(el.subscriptions);
  if (subscriptionIds.length === 0) return;
  await busy(el.subscriptionsSection, async () => {
    try {
      const result = await call('unsubscribe', { subscriptionIds });
      show(el.unsubscribeConfirm, false);
      justUnsubscribed = result.origins;
      el.unsubscribedText.textContent = unsubscribedText(result.count, result.origins);
      el.blockUnsubscribed.textContent = blockLabel(result.origins);
      show(el.blockUnsubscribed, result.origins.length > 0);
      show(el.unsubscribed, true);
      say(el.subscriptionsStatus, '');
    } catch (err) {
      say(el.subscriptionsStatus, messageOf(err), 'error');
    }
  });
  // After busy() has put the controls back as they were: the selection is gone now.
  selectAllSubscriptions(el.subscriptions, false);
  await loadSubscriptions();
}

async function blockUnsubscribed(): Promise<void> {
  const origins = justUnsubscribed;
  await busy(el.unsubscribed, async () => {
    try {
      for (const origin of origins) await call('setSiteDecision', { origin, decision: 'block' });
      el.unsubscribedText.textContent =
        origins.length === 1
          ? 'Blocked: this site cannot ask you again. You can change that in Site permissions.'
          : 'Blocked: these sites cannot ask you again. You can change that in Site permissions.';
      show(el.blockUnsubscribed, false);
      justUnsubscribed = [];
    } catch (err) {
      say(el.subscriptionsStatus, messageOf(err), 'error');
    }
  });
}

async function loadDevices(): Promise<void> {
  if (!signedIn) return;
  try {
    renderDevices(el.devices, await call('listDevices'), (device) => {
      void (async () => {
        try {
          await call('removeDevice', { clientId: device.clientId });
        } catch (err) {
          say(el.devicesStatus, messageOf(err), 'error');
        }
        await refreshAll();
      })();
    });
  } catch (err) {
    say(el.devicesStatus, `Could not load the devices. ${messageOf(err)}`, 'error');
  }
}

async function refreshAll(): Promise<void> {
  renderState(await call('getState'));
  await Promise.all([loadNotifications(), loadSubscriptions(), loadDevices()]);
}

function wire(): void {
  el.enabled.addEventListener('change', async () => {
    try {
      renderState(await call('setEnabled', { enabled: el.enabled.checked }));
    } catch (err) {
      el.enabled.checked = !el.enabled.checked;
      say(el.noticeText, messageOf(err), 'error');
      show(el.notice, true);
    }
  });
  el.noticeDismiss.addEventListener('click', async () => renderState(await call('dismissNotice')));
  el.clearNotifications.addEventListener('click', async () => {
    await call('clearNotifications');
    await loadNotifications();
  });
  el.selectAll.addEventListener('change', () => {
    selectAllSubscriptions(el.subscriptions, el.selectAll.checked);
    selectionChanged();
  });
  el.unsubscribe.addEventListener('click', () => {
    const { selected } = selectionState(el.subscriptions);
    el.unsubscribeQuestion.textContent = unsubscribeQuestion(selected);
    show(el.unsubscribed, false);
    show(el.unsubscribeConfirm, true);
    el.unsubscribeNo.focus();
  });
  el.unsubscribeNo.addEventListener('click', () => {
    show(el.unsubscribeConfirm, false);
    el.unsubscribe.focus();
  });
  el.unsubscribeYes.addEventListener('click', () => void unsubscribeSelected());
  el.blockUnsubscribed.addEventListener('click', () => void blockUnsubscribed());

  const openOptions = () => void browser.runtime.openOptionsPage().then(() => window.close());
  el.openOptions.addEventListener('click', openOptions);
  el.openSites.addEventListener(
    'click',
    () =>
      void browser.tabs
        .create({ url: browser.runtime.getURL('ui/options.html#sites') })
        .then(() => window.close()),
  );
  el.setupOpen.addEventListener('click', openOptions);
  // Pairing waits minutes for the other device: a tab of its own, not this popup, which
  // closes as soon as it loses focus.
  const openPairing = (mode: 'new' | 'add') =>
    void browser.tabs
      .create({ url: browser.runtime.getURL(`ui/pairing.html?mode=${mode}`) })
      .then(() => window.close());
  el.setupPair.addEventListener('click', () => openPairing('new'));
  el.addDevice.addEventListener('click', () => openPairing('add'));

  // A notification arriving, or the connection changing, while the popup is open.
  browser.storage.onChanged.addListener((changes) => {
    if ('recentNotifications' in changes) void loadNotifications();
    if ('connectionState' in changes || 'account' in changes || 'settings' in changes) {
      void call('getState').then(renderState);
    }
  });
}

async function main(): Promise<void> {
  wire();
  await loadPage(el, refreshAll);
}

void main();
