// What the popup, options and prompt pages can ask of the background (shared/ui-api.ts).
import { isRecord, isString } from '../messaging/guards.js';
import { isWebOrigin } from '../messaging/origin.js';
import { needsHostPermission, normalizeServerUrl } from '../messaging/server-url.js';
import type {
  ConnectionState,
  Decision,
  ExtensionState,
  SiteDecision,
  SiteView,
  UiMessage,
  UiMethod,
  UiMethods,
  UiResponse,
} from '../messaging/ui-api.js';
import type { AccountService } from './account.js';
import { type AccountStore, isSignedIn, type SignedInAccount } from './account-store.js';
import { ApiError, type ServerApi } from './api-client.js';
import { toUiError, UserError } from './errors.js';
import type { NotificationLog } from './notification-log.js';
import type { PairingRequests } from './pairing/pairing-requests.js';
import type { PermissionStore } from './permissions.js';
import type { PromptManager } from './prompt.js';
import type { PromptDismissals } from './prompt-dismissals.js';
import type { SettingsStore } from './settings.js';
import type { SubscriptionService } from './subscriptions.js';

export interface UiContext {
  settings: SettingsStore;
  accounts: AccountStore;
  account: AccountService;
  permissions: PermissionStore;
  subscriptions: SubscriptionService;
  log: NotificationLog;
  prompts: PromptManager;
  dismissals: PromptDismissals;
  pairing: PairingRequests;
  api: (serverUrl: string) => ServerApi;
  connectionState: () => Promise<ConnectionState>;
  /** Re-reads settings and account and (re)connects or disconnects. */
  syncConnection: () => Promise<void>;
  hasHostPermission: (serverUrl: string) => Promise<boolean>;
  refreshBadge: () => Promise<void>;
}

type Handlers = {
  [M in UiMethod]: (params: UiMethods[M]['params']) => Promise<UiMethods[M]['result']>;
};

export async function handleUiMessage(
  ctx: UiContext,
  message: UiMessage,
): Promise<UiResponse<UiMethod>> {
  const handler = handlers(ctx)[message.method] as (params: unknown) => Promise<unknown>;
  try {
    return { ok: true, value: await handler(message.params) } as UiResponse<UiMethod>;
  } catch (err) {
    // A refused token means this device was removed elsewhere: stop pretending to be signed in.
    if (err instanceof ApiError && err.status === 401) {
      await ctx.account.deviceRemoved();
      await ctx.syncConnection();
    }
    return { ok: false, error: toUiError(err) };
  }
}

function handlers(ctx: UiContext): Handlers {
  const state = () => extensionState(ctx);
  const signedIn = async (): Promise<SignedInAccount> => {
    const account = await ctx.accounts.get();
    if (!isSignedIn(account)) {
      throw new UserError(
        'not_signed_in',
        'Sign in to the push server first (in the add-on settings).',
      );
    }
    return account;
  };
  const after = async <T>(work: Promise<T>): Promise<ExtensionState> => {
    await work;
    await ctx.syncConnection();
    return state();
  };

  return {
    getState: state,
    setEnabled: (p) => after(ctx.settings.update({ enabled: bool(p, 'enabled') })),
    async setServerUrl(p) {
      if (await ctx.accounts.get()) {
        throw new UserError('signed_in', 'Sign out before choosing another server.');
      }
      const serverUrl = await checkedServerUrl(ctx, str(p, 'serverUrl'));
      return after(ctx.settings.update({ serverUrl }));
    },
    async testConnection(p) {
      try {
        const serverUrl = await checkedServerUrl(ctx, str(p, 'serverUrl'));
        const beat = await ctx.api(serverUrl).heartbeat();
        if (beat.status === 'ok')
          return { ok: true, message: 'Connected: this push server works.' };
        const down = (['rabbitmq', 'memcached', 'database'] as const).filter(
          (k) => beat[k] === 'down',
        );
        return {
          ok: false,
          message: `The server answers but cannot deliver right now (${down.join(', ')} down).`,
        };
      } catch (err) {
        return { ok: false, message: toUiError(err).message };
      }
    },
    async signUp(p) {
      const result = await ctx.account.signUp({
        username: str(p, 'username'),
        password: str(p, 'password'),
        deviceName: str(p, 'deviceName'),
      });
      await ctx.syncConnection();
      return result;
    },
    signIn: (p) =>
      after(
        ctx.account.signIn({
          username: str(p, 'username'),
          password: str(p, 'password'),
          recoveryKey: str(p, 'recoveryKey'),
          deviceName: str(p, 'deviceName'),
        }),
      ),
    async oidcProviders() {
      const { serverUrl } = await ctx.settings.get();
      // A server that predates OIDC answers 404 here, and one that is down cannot say: both
      // leave the password forms, which say what is wrong when used.
      const info = await ctx
        .api(serverUrl)
        .info()
        .catch(() => null);
      return info?.oidcProviders ?? [];
    },
    async oidcNonce() {
      const { serverUrl } = await ctx.settings.get();
      return { nonce: (await ctx.api(serverUrl).oidcNonce()).nonce };
    },
    async signInWithOidc(p) {
      const { recoveryKey } = await ctx.account.signInWithOidc({
        issuer: str(p, 'issuer'),
        idToken: str(p, 'idToken'),
        recoveryKey: str(p, 'recoveryKey'),
        deviceName: str(p, 'deviceName'),
      });
      await ctx.syncConnection();
      return { state: await state(), recoveryKey };
    },
    registerDevice: (p) => after(ctx.account.registerDevice(str(p, 'password'))),
    showRecoveryKey: async () => ({ recoveryKey: await ctx.account.recoveryKey() }),
    confirmRecoveryKeySaved: () => after(ctx.account.confirmRecoveryKeySaved()),
    signOut: () => after(ctx.account.signOut()),
    dismissNotice: () => after(ctx.settings.update({ notice: null })),
    listSubscriptions: async () => ctx.subscriptions.views(await signedIn()),
    async unsubscribe(p) {
      const account = await signedIn();
      const ids = new Set(strings(p, 'subscriptionIds'));
      const chosen = (await ctx.subscriptions.list(account)).filter((s) =>
        ids.has(s.subscriptionId),
      );
      for (const s of chosen) await ctx.subscriptions.remove(account, s.subscriptionId);
      // The user ended these sites' notifications: a site that subscribes again (many do on
      // every page load) must ask first, instead of being subscribed again silently. A
      // blocked site stays blocked.
      const origins = [...new Set(chosen.flatMap((s) => (s.origin ? [s.origin] : [])))];
      for (const origin of origins) {
        if ((await ctx.permissions.get(origin)) !== 'block') {
          await ctx.permissions.set(origin, 'ask');
        }
      }
      return { count: chosen.length, origins };
    },
    listSites: () => siteViews(ctx),
    async setSiteDecision(p) {
      const origin = str(p, 'origin');
      if (!isWebOrigin(origin)) throw new UserError('invalid', 'That is not a web site.');
      const decision = siteDecisionOf(isRecord(p) ? p.decision : undefined);
      await ctx.permissions.set(origin, decision);
      // The user has spoken about this site: dismissed questions no longer count against it.
      await ctx.dismissals.reset(origin);
      // Blocking a site also ends its subscription, as browsers do when permission is revoked.
      const account = await ctx.accounts.get();
      if (decision === 'block' && isSignedIn(account)) {
        await ctx.subscriptions.removeForOrigin(account, origin, null);
      }
      return siteViews(ctx);
    },
    async listDevices() {
      const account = await signedIn();
      const clients = await ctx.api(account.serverUrl).listClients(account.clientToken);
      return clients.map((c) => ({ ...c, current: c.clientId === account.clientId }));
    },
    async removeDevice(p) {
      const account = await signedIn();
      const clientId = str(p, 'clientId');
      if (clientId === account.clientId) {
        await ctx.account.signOut();
        await ctx.syncConnection();
      } else {
        await ctx.api(account.serverUrl).deleteClient(account.clientToken, clientId);
      }
      return null;
    },
    listNotifications: () => ctx.log.list(),
    async markNotificationsRead() {
      await ctx.log.markRead();
      await ctx.refreshBadge();
      return null;
    },
    async clearNotifications() {
      await ctx.log.clear();
      await ctx.refreshBadge();
      return null;
    },
    getPrompt: async (p) => ctx.prompts.view(str(p, 'promptId')),
    async answerPrompt(p) {
      const decision = decisionOf(isRecord(p) ? p.decision : undefined);
      if (decision === null) throw new UserError('invalid', 'Choose Allow or Block.');
      ctx.prompts.answer(str(p, 'promptId'), decision);
      return null;
    },
    getPairing: () => ctx.pairing.view(),
    startNewDevicePairing: async () => ctx.pairing.startNewDevice(),
    startAddDevicePairing: (p) =>
      ctx.pairing.startAddDevice({ code: str(p, 'code'), deviceName: str(p, 'deviceName') }),
    cancelPairing: async () => ctx.pairing.cancel(),
  };
}

export async function extensionState(ctx: UiContext): Promise<ExtensionState> {
  const [settings, account, connection, unread] = await Promise.all([
    ctx.settings.get(),
    ctx.accounts.get(),
    ctx.connectionState(),
    ctx.log.unreadCount(),
  ]);
  return {
    enabled: settings.enabled,
    serverUrl: account?.serverUrl ?? settings.serverUrl,
    account: account && {
      username: account.username,
      serverUrl: account.serverUrl,
      deviceName: account.deviceName,
      clientId: account.clientId,
      recoveryKeyConfirmed: account.recoveryKeyConfirmed,
    },
    connection: settings.enabled && isSignedIn(account) ? connection : 'off',
    unread,
    notice: settings.notice,
  };
}

/** The sites with an answer on this device, and those told to stay quiet for a while. */
async function siteViews(ctx: UiContext): Promise<SiteView[]> {
  const [permissions, quiet] = await Promise.all([
    ctx.permissions.list(),
    ctx.dismissals.quietSites(),
  ]);
  const views = new Map<string, SiteView>();
  for (const { origin, decision } of permissions) {
    views.set(origin, { origin, decision, quietUntil: null });
  }
  for (const [origin, until] of quiet) {
    // Only a site without an answer is held back by dismissals.
    const decision = views.get(origin)?.decision ?? 'ask';
    if (decision === 'ask')
      views.set(origin, { origin, decision, quietUntil: until.toISOString() });
  }
  return [...views.values()].sort((a, b) => a.origin.localeCompare(b.origin));
}

async function checkedServerUrl(ctx: UiContext, input: string): Promise<string> {
  const result = normalizeServerUrl(input);
  if (!result.ok) throw new UserError('invalid_server_url', result.message);
  if (needsHostPermission(result.url) && !(await ctx.hasHostPermission(result.url))) {
    throw new UserError(
      'permission_needed',
      `The add-on needs your permission to connect to ${new URL(result.url).host}.`,
    );
  }
  return result.url;
}

function str(params: unknown, name: string): string {
  const value = isRecord(params) ? params[name] : undefined;
  if (!isString(value)) throw new UserError('invalid', `Missing ${name}.`);
  return value;
}

function bool(params: unknown, name: string): boolean {
  const value = isRecord(params) ? params[name] : undefined;
  if (typeof value !== 'boolean') throw new UserError('invalid', `Missing ${name}.`);
  return value;
}

function strings(params: unknown, name: string): string[] {
  const value = isRecord(params) ? params[name] : undefined;
  if (!Array.isArray(value) || !value.every(isString)) {
    throw new UserError('invalid', `Missing ${name}.`);
  }
  return value;
}

function decisionOf(value: unknown): Decision | null {
  return value === 'allow' || value === 'block' ? value : null;
}

function siteDecisionOf(value: unknown): SiteDecision | null {
  if (value === null) return null;
  if (value === 'allow' || value === 'block' || value === 'ask') return value;
  throw new UserError('invalid', 'Choose Allow, Block or Ask.');
}
