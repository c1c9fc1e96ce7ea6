import { describe, expect, it, vi } from 'vitest';
import type { UiMessage, UiMethod, UiMethods, UiResponse } from '../messaging/ui-api.js';
import { AccountService } from './account.js';
import { AccountStore, isSignedIn } from './account-store.js';
import { ServerApi } from './api-client.js';
import { NotificationLog } from './notification-log.js';
import { CurrentPairing } from './pairing/current-pairing.js';
import { LeftoverClients } from './pairing/leftover-clients.js';
import { PairingRequests } from './pairing/pairing-requests.js';
import { PairingRelay } from './pairing/relay-client.js';
import { PermissionStore } from './permissions.js';
import { PromptManager } from './prompt.js';
import { PromptDismissals } from './prompt-dismissals.js';
import { SerialQueue } from './serial.js';
import { SettingsStore } from './settings.js';
import { MemoryArea } from './storage-area.js';
import { SubscriptionService } from './subscriptions.js';
import { FAKE_SERVER_URL, FakeServer, fakeIdToken } from './testing/fake-server.js';
import { handleUiMessage, type UiContext } from './ui-handlers.js';

function setup(options: { permitted?: boolean } = {}) {
  const server = new FakeServer();
  const area = new MemoryArea();
  const api = (url: string) => new ServerApi(url, server.fetch);
  const settings = new SettingsStore(area);
  const accounts = new AccountStore(area);
  const subscriptions = new SubscriptionService({ area, queue: new SerialQueue(), api });
  const log = new NotificationLog(area, new SerialQueue());
  let syncs = 0;
  const relay = (url: string) => new PairingRelay(url, { fetch: server.fetch, pollIntervalMs: 3 });
  const ctx: UiContext = {
    settings,
    accounts,
    account: new AccountService({
      accounts,
      settings,
      api,
      onSignedOut: () => subscriptions.clear(),
    }),
    permissions: new PermissionStore(area, new SerialQueue()),
    subscriptions,
    log,
    prompts: new PromptManager({ open: async () => 1, close: async () => {} }),
    dismissals: new PromptDismissals(area, new SerialQueue()),
    pairing: new PairingRequests({
      manager: new CurrentPairing(new MemoryArea()),
      newDevice: {
        relay,
        api,
        settings,
        accounts,
        hasHostPermission: async () => true,
        onSignedIn: async () => void syncs++,
      },
      signedInDevice: {
        relay,
        api,
        accounts,
        leftovers: new LeftoverClients(new MemoryArea()),
        onUnauthorized: async () => {},
      },
    }),
    api,
    connectionState: async () => 'connected',
    syncConnection: async () => void syncs++,
    hasHostPermission: async () => options.permitted ?? false,
    refreshBadge: async () => {},
  };
  async function call<M extends UiMethod>(
    method: M,
    params?: UiMethods[M]['params'],
  ): Promise<UiResponse<M>> {
    const message: UiMessage<M> = { kind: 'ui', method, params: params as UiMethods[M]['params'] };
    return (await handleUiMessage(ctx, message)) as UiResponse<M>;
  }
  async function ok<M extends UiMethod>(
    method: M,
    params?: UiMethods[M]['params'],
  ): Promise<UiMethods[M]['result']> {
    const response = await call(method, params);
    if (!response.ok) throw new Error(`${method} failed: ${response.error.message}`);
    return response.value;
  }
  return { server, ctx, call, ok, syncs: () => syncs };
}

async function signedUp() {
  const h = setup({ permitted: true });
  await h.ok('setServerUrl', { serverUrl: FAKE_SERVER_URL });
  await h.ok('setEnabled', { enabled: true });
  await h.ok('signUp', { username: 'alice', password: 'correct horse', deviceName: 'Laptop' });
  return h;
}

describe('UI calls for OpenID Connect sign-in (docs/protocol.md §9)', () => {
  const provider = { issuer: 'https://id.example', clientId: 'push-addon', name: 'Example ID' };

  it('list the providers the chosen server announces, and none when it cannot be asked', async () => {
    const h = setup({ permitted: true });
    await h.ok('setServerUrl', { serverUrl: FAKE_SERVER_URL });
    expect(await h.ok('oidcProviders')).toEqual([]);
    h.server.oidcProviders = [provider];
    expect(await h.ok('oidcProviders')).toEqual([provider]);
    h.server.down = true;
    expect(await h.ok('oidcProviders')).toEqual([]);
  });

  it('hand out a nonce, then sign in, connect and answer with the new recovery key', async () => {
    const h = setup({ permitted: true });
    await h.ok('setServerUrl', { serverUrl: FAKE_SERVER_URL });
    h.server.oidcProviders = [provider];
    expect((await h.ok('oidcNonce')).nonce).toEqual(expect.any(String));
    const syncs = h.syncs();
    const { state, recoveryKey } = await h.ok('signInWithOidc', {
      issuer: provider.issuer,
      idToken: fakeIdToken({ iss: provider.issuer, sub: 'carol' }),
      recoveryKey: '',
      deviceName: 'Laptop',
    });
    expect(recoveryKey).toMatch(/^([a-z2-7]{4}-){12}[a-z2-7]{4}$/);
    expect(state.account).toMatchObject({
      username: 'carol (Example ID)',
      recoveryKeyConfirmed: false,
    });
    expect(h.syncs()).toBe(syncs + 1);
  });
});

describe('UI calls', () => {
  it('start off, signed out, pointing at the local server', async () => {
    const { ok } = setup();
    expect(await ok('getState')).toEqual({
      enabled: false,
      serverUrl: 'http://localhost:8080',
      account: null,
      connection: 'off',
      unread: 0,
      notice: null,
    });
  });

  it('check the server address and ask for permission to reach other hosts', async () => {
    const { call } = setup();
    expect(await call('setServerUrl', { serverUrl: 'push.example' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_server_url' },
    });
    expect(await call('setServerUrl', { serverUrl: 'https://push.example/' })).toMatchObject({
      ok: false,
      error: { code: 'permission_needed', message: expect.stringContaining('push.example') },
    });
    const permitted = setup({ permitted: true });
    expect(
      await permitted.ok('setServerUrl', { serverUrl: 'https://push.example/' }),
    ).toMatchObject({
      serverUrl: 'https://push.example',
    });
  });

  it('test the connection in plain words', async () => {
    const { ok, server } = setup({ permitted: true });
    expect(await ok('testConnection', { serverUrl: FAKE_SERVER_URL })).toEqual({
      ok: true,
      message: 'Connected: this push server works.',
    });
    server.down = true;
    expect(await ok('testConnection', { serverUrl: FAKE_SERVER_URL })).toMatchObject({
      ok: false,
      message: expect.stringContaining('cannot be reached'),
    });
  });

  it('sign up, reconnect, and lock the server choice while signed in', async () => {
    const h = await signedUp();
    expect(await h.ok('getState')).toMatchObject({
      enabled: true,
      connection: 'connected',
      account: { username: 'alice', deviceName: 'Laptop', recoveryKeyConfirmed: false },
    });
    expect(h.syncs()).toBeGreaterThanOrEqual(3);
    expect(await h.call('setServerUrl', { serverUrl: 'https://other.example' })).toMatchObject({
      ok: false,
      error: { code: 'signed_in' },
    });
    expect((await h.ok('confirmRecoveryKeySaved')).account?.recoveryKeyConfirmed).toBe(true);
  });

  it('block a site: remembered, and its subscription ends', async () => {
    const h = await signedUp();
    const account = await h.ctx.accounts.get();
    if (!isSignedIn(account)) throw new Error('not signed in');
    await h.ctx.subscriptions.subscribe(account, 'https://a.example', null);
    expect(await h.ok('listSubscriptions')).toHaveLength(1);
    expect(
      await h.ok('setSiteDecision', { origin: 'https://a.example', decision: 'block' }),
    ).toEqual([{ origin: 'https://a.example', decision: 'block', quietUntil: null }]);
    expect(await h.ok('listSubscriptions')).toEqual([]);
    expect(
      await h.call('setSiteDecision', { origin: 'javascript:alert(1)', decision: 'allow' }),
    ).toMatchObject({
      ok: false,
    });
  });

  it('unsubscribe several sites at once: each has to ask again, a blocked one stays blocked', async () => {
    const h = await signedUp();
    const account = await h.ctx.accounts.get();
    if (!isSignedIn(account)) throw new Error('not signed in');
    const sites = ['https://a.example', 'https://b.example', 'https://c.example'];
    for (const origin of sites) {
      await h.ctx.permissions.set(origin, 'allow');
      await h.ctx.subscriptions.subscribe(account, origin, null);
    }
    const listed = await h.ok('listSubscriptions');
    const chosen = listed.filter((s) => s.origin !== 'https://c.example');
    // A subscription's site can be blocked on this device while it lives on elsewhere.
    await h.ctx.permissions.set('https://b.example', 'block');
    expect(
      await h.ok('unsubscribe', { subscriptionIds: chosen.map((s) => s.subscriptionId) }),
    ).toEqual({
      count: 2,
      origins: expect.arrayContaining(['https://a.example', 'https://b.example']),
    });
    expect((await h.ok('listSubscriptions')).map((s) => s.origin)).toEqual(['https://c.example']);
    expect(await h.ok('listSites')).toEqual([
      { origin: 'https://a.example', decision: 'ask', quietUntil: null },
      { origin: 'https://b.example', decision: 'block', quietUntil: null },
      { origin: 'https://c.example', decision: 'allow', quietUntil: null },
    ]);
    expect(await h.ctx.permissions.get('https://a.example')).toBeNull();
    // Ids that are gone (or never were) end nothing, and a bad list is refused.
    expect(await h.ok('unsubscribe', { subscriptionIds: ['gone'] })).toEqual({
      count: 0,
      origins: [],
    });
    const bogus = { subscriptionIds: 'all' } as unknown as UiMethods['unsubscribe']['params'];
    expect(await h.call('unsubscribe', bogus)).toMatchObject({ ok: false });
  });

  it('list and change site permissions: Allow, Block, Ask and remove; quiet sites too', async () => {
    const h = setup();
    for (let i = 0; i < 3; i++) await h.ctx.dismissals.dismissed('https://quiet.example');
    await h.ctx.permissions.set('https://a.example', 'allow');
    expect(await h.ok('listSites')).toEqual([
      { origin: 'https://a.example', decision: 'allow', quietUntil: null },
      {
        origin: 'https://quiet.example',
        decision: 'ask',
        quietUntil: expect.stringMatching(/^\d{4}-/),
      },
    ]);
    expect(
      await h.ok('setSiteDecision', { origin: 'https://a.example', decision: 'ask' }),
    ).toContainEqual({ origin: 'https://a.example', decision: 'ask', quietUntil: null });
    // Removing the quiet site lets it ask again at once.
    expect(
      await h.ok('setSiteDecision', { origin: 'https://quiet.example', decision: null }),
    ).toEqual([{ origin: 'https://a.example', decision: 'ask', quietUntil: null }]);
    expect(await h.ctx.dismissals.quietUntil('https://quiet.example')).toBeNull();
    const bogus = {
      origin: 'https://a.example',
      decision: 'maybe',
    } as unknown as UiMethods['setSiteDecision']['params'];
    expect(await h.call('setSiteDecision', bogus)).toMatchObject({ ok: false });
  });

  it('list devices with this one marked, and removing this one signs out', async () => {
    const h = await signedUp();
    const devices = await h.ok('listDevices');
    expect(devices).toMatchObject([{ name: 'Laptop', current: true }]);
    await h.ok('removeDevice', { clientId: devices[0]!.clientId });
    expect((await h.ok('getState')).account).toBeNull();
    expect(h.server.clients.size).toBe(0);
  });

  it('sign out with a notice when the server no longer knows this device', async () => {
    const h = await signedUp();
    h.server.clients.clear();
    expect(await h.call('listSubscriptions')).toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
    });
    const state = await h.ok('getState');
    expect(state.account).toBeNull();
    expect(state.notice).toMatch(/removed/);
  });

  it('answer prompts with Allow or Block only', async () => {
    const h = setup();
    const answer = h.ctx.prompts.ask('https://a.example');
    await new Promise((r) => setTimeout(r, 0));
    // What a tampered page could send: not one of the two answers.
    const bogus = {
      promptId: 'x',
      decision: 'maybe',
    } as unknown as UiMethods['answerPrompt']['params'];
    expect(await h.call('answerPrompt', bogus)).toMatchObject({ ok: false });
    expect(await h.ok('getPrompt', { promptId: 'nope' })).toBeNull();
    h.ctx.prompts.windowClosed(1);
    expect(await answer).toBeNull();
  });

  it('pair: refuse a malformed code in plain words, and follow a run to its end', async () => {
    const h = await signedUp();
    expect(
      await h.call('startAddDevicePairing', { code: 'abc', deviceName: 'Phone' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'invalid_code', message: expect.stringContaining('too short') },
    });
    expect(await h.ok('getPairing')).toMatchObject({ status: 'idle' });
    expect(
      await h.ok('startAddDevicePairing', { code: 'zzzz-abcd-efgh', deviceName: 'Phone' }),
    ).toMatchObject({ role: 'add-device', status: 'starting' });
    await vi.waitFor(async () =>
      expect(await h.ok('getPairing')).toMatchObject({
        status: 'failed',
        error: { code: 'channel_not_found' },
      }),
    );
    // A signed-in device does not ask for a code for itself.
    await h.ok('startNewDevicePairing');
    await vi.waitFor(async () =>
      expect(await h.ok('getPairing')).toMatchObject({
        role: 'new-device',
        error: { code: 'already_signed_in' },
      }),
    );
    expect(await h.ok('cancelPairing')).toMatchObject({ status: 'failed' });
  });
});
