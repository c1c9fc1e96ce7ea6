// Assembles the background from its parts and the browser's APIs. Nothing here decides
// anything; the modules it wires do.
import type browserApi from 'webextension-polyfill';
import { decodeBase64Url, encodeBase64Url } from '../../shared/crypto/index.js';
import { connectUrlFor, PushClient } from '../../shared/push-client.js';
import type { PushMessage } from '../messaging/runtime-messages.js';
import type { ConnectionState } from '../messaging/ui-api.js';
import { AccountService } from './account.js';
import { AccountStore, isSignedIn } from './account-store.js';
import { ServerApi } from './api-client.js';
import { ConnectionManager } from './connection.js';
import { NotificationLog } from './notification-log.js';
import { handlePageRequest } from './page-requests.js';
import { PageTabs } from './page-tabs.js';
import { CurrentPairing } from './pairing/current-pairing.js';
import { LeftoverClients } from './pairing/leftover-clients.js';
import { PairingRequests } from './pairing/pairing-requests.js';
import { PairingRelay } from './pairing/relay-client.js';
import { PermissionStore } from './permissions.js';
import { PromptManager } from './prompt.js';
import { PromptDismissals } from './prompt-dismissals.js';
import { createReceiver } from './receiver.js';
import { createRouter } from './router.js';
import { SeenIds } from './seen-ids.js';
import { SerialQueue } from './serial.js';
import { SettingsStore } from './settings.js';
import { browserArea, MemoryArea } from './storage-area.js';
import { pageSubscriptionOf, SubscriptionService } from './subscriptions.js';
import { SystemNotifications } from './system-notifications.js';
import { handleUiMessage, type UiContext } from './ui-handlers.js';

type Browser = typeof browserApi;

const CONNECTION_STATE_KEY = 'connectionState';
/**
 * Sent often enough that Chromium keeps the service worker running: since Chromium 116 a
 * WebSocket message the worker sends counts as activity, and Chromium stops a worker after
 * 30 s without any. Measured (docs/extension.md, "Staying connected"): with these pings the
 * worker kept its connection through idle minutes; without them it was stopped within
 * minutes, although the server pings every 30 s.
 */
const PING_INTERVAL_MS = 20_000;

export function createBackground(browser: Browser) {
  const local = browserArea(browser.storage.local);
  // storage.session survives a stopped service worker; memory is the fallback where it is missing.
  const session = browser.storage.session ? browserArea(browser.storage.session) : new MemoryArea();
  const api = (serverUrl: string) => new ServerApi(serverUrl);

  const settings = new SettingsStore(local);
  const accounts = new AccountStore(local);
  const permissions = new PermissionStore(local, new SerialQueue());
  const subscriptions = new SubscriptionService({ area: local, queue: new SerialQueue(), api });
  const log = new NotificationLog(local, new SerialQueue());
  const seen = new SeenIds(local, new SerialQueue());
  const pageTabs = new PageTabs(session, new SerialQueue());
  const system = new SystemNotifications(
    {
      notifications: browser.notifications,
      // The toolbar button is `action` in Manifest V3 (Chromium) and `browserAction` in the
      // Manifest V2 build for Firefox (extension/build/manifests.ts).
      action: browser.action ?? browser.browserAction,
      tabs: browser.tabs,
      runtime: browser.runtime,
    },
    log,
  );

  const account = new AccountService({
    accounts,
    settings,
    api,
    onSignedOut: async () => {
      await Promise.all([subscriptions.clear(), log.clear(), seen.clear()]);
      await system.refreshBadge();
    },
  });

  const dismissals = new PromptDismissals(local, new SerialQueue());
  const prompts = new PromptManager(
    {
      async open(promptId) {
        const window = await browser.windows.create({
          url: browser.runtime.getURL(`ui/prompt.html?id=${encodeURIComponent(promptId)}`),
          type: 'popup',
          width: 460,
          height: 320,
          focused: true,
        });
        return window.id;
      },
      async close(windowId) {
        await browser.windows.remove(windowId);
      },
    },
    {
      onSettled(origin, outcome) {
        if (outcome === 'dismissed') void dismissals.dismissed(origin);
        else if (outcome !== 'failed') void dismissals.reset(origin);
      },
    },
  );

  const signedInAccount = async () => {
    const stored = await accounts.get();
    return isSignedIn(stored) ? stored : null;
  };

  const deliverToPages = async (origin: string, data: Uint8Array | null) => {
    const message: PushMessage = { kind: 'push', origin, data: data && encodeBase64Url(data) };
    for (const tabId of await pageTabs.tabsFor(origin)) {
      // A closed or navigated tab has no listener any more: forget it.
      await browser.tabs
        .sendMessage(tabId, message, { frameId: 0 })
        .catch(() => pageTabs.remove(tabId));
    }
  };

  const receive = createReceiver({
    account: signedInAccount,
    originOf: (a, id) => subscriptions.originOf(a, id),
    decision: (origin) => permissions.get(origin),
    seen,
    record: (entry) => log.add(entry),
    show: async (entry) => {
      await system.refreshBadge();
      await system.show(entry);
    },
    deliverToPages,
    warn: (event, details) => console.warn(`[push] ${event}`, details),
  });

  const deviceRemoved = async () => {
    await account.deviceRemoved();
    await connection.sync();
  };

  const connection: ConnectionManager = new ConnectionManager({
    queue: new SerialQueue(),
    async wanted() {
      return (await settings.get()).enabled ? signedInAccount() : null;
    },
    createClient: (options) =>
      new PushClient({
        url: connectUrlFor(options.serverUrl),
        clientToken: options.clientToken,
        onNotification: options.onNotification,
        onStateChange: options.onStateChange,
        onUnauthorized: options.onUnauthorized,
        pingIntervalMs: PING_INTERVAL_MS,
      }),
    // The receiver itself: PushClient hands each frame straight to it.
    onNotification: receive,
    onUnauthorized: deviceRemoved,
    publishState: (state) => session.set(CONNECTION_STATE_KEY, state),
  });

  const hasHostPermission = (serverUrl: string) =>
    browser.permissions.contains({ origins: [`${new URL(serverUrl).origin}/*`] });

  const relay = (serverUrl: string) =>
    new PairingRelay(serverUrl, {
      // Chromium stops a service worker after 30 s without extension events or API calls, and
      // a pairing may wait minutes for the other device; a cheap API call per poll keeps it.
      // The call itself is what keeps the worker alive; its answer is not needed.
      onPoll: () => void browser.runtime.getPlatformInfo().catch(() => undefined),
    });
  const pairing = new PairingRequests({
    manager: new CurrentPairing(session),
    newDevice: {
      relay,
      api,
      settings,
      accounts,
      hasHostPermission,
      onSignedIn: () => connection.sync(),
    },
    signedInDevice: {
      relay,
      api,
      accounts,
      leftovers: new LeftoverClients(session),
      onUnauthorized: deviceRemoved,
    },
  });

  const uiContext: UiContext = {
    settings,
    accounts,
    account,
    permissions,
    subscriptions,
    log,
    prompts,
    dismissals,
    pairing,
    api,
    connectionState: async () => {
      const state = await session.get(CONNECTION_STATE_KEY);
      return typeof state === 'string' ? (state as ConnectionState) : 'connecting';
    },
    syncConnection: () => connection.sync(),
    hasHostPermission,
    refreshBadge: () => system.refreshBadge(),
  };

  const route = createRouter({
    extensionId: browser.runtime.id,
    extensionBaseUrl: browser.runtime.getURL(''),
    ui: (message) => handleUiMessage(uiContext, message),
    page: (origin, { tabId, userActivation }, request) =>
      handlePageRequest(
        {
          enabled: async () => (await settings.get()).enabled,
          account: signedInAccount,
          decision: (o) => permissions.get(o),
          remember: (o, decision) => permissions.set(o, decision),
          ask: (o) => prompts.ask(o),
          quietUntil: (o) => dismissals.quietUntil(o),
          subscriptions,
          toPage: (a, s) => pageSubscriptionOf(decodeBase64Url(a.secretKey), s),
          listen: (o) => pageTabs.add(tabId, o),
          onUnauthorized: deviceRemoved,
        },
        origin,
        request,
        { userActivation },
      ),
  });

  return { route, connection, prompts, system, pairing };
}
