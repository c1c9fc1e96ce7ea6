import { describe, expect, it } from 'vitest';
import {
  decodeBase64Url,
  deriveMetaKey,
  encryptMeta,
  formatRecoveryKey,
  generateSecretKey,
} from '../../shared/crypto/index.js';
import { AccountService, oidcAccountLabel } from './account.js';
import { AccountStore } from './account-store.js';
import { ServerApi } from './api-client.js';
import { SettingsStore } from './settings.js';
import { MemoryArea } from './storage-area.js';
import { FAKE_SERVER_URL, FakeServer, fakeIdToken } from './testing/fake-server.js';

async function setup() {
  const server = new FakeServer();
  const area = new MemoryArea();
  const accounts = new AccountStore(area);
  const settings = new SettingsStore(area);
  await settings.update({ serverUrl: FAKE_SERVER_URL, enabled: true });
  let signedOut = 0;
  const service = new AccountService({
    accounts,
    settings,
    api: (url) => new ServerApi(url, server.fetch),
    onSignedOut: async () => {
      signedOut++;
    },
  });
  return { server, area, accounts, settings, service, signedOuts: () => signedOut };
}

const alice = { username: 'Alice', password: 'correct horse', deviceName: 'Firefox on Linux' };

describe('AccountService.signUp', () => {
  it('creates the account and this device, keeps the key and token but not the password', async () => {
    const { service, accounts, server, area } = await setup();
    const { recoveryKey } = await service.signUp(alice);
    const account = await accounts.get();
    expect(account).toMatchObject({
      username: 'alice',
      deviceName: 'Firefox on Linux',
      recoveryKeyConfirmed: false,
    });
    expect(account?.clientToken).toBeTruthy();
    expect(server.accounts.has('alice')).toBe(true);
    // The recovery key is the secret key, written for people.
    expect(recoveryKey).toBe(formatRecoveryKey(decodeBase64Url(account!.secretKey)));
    expect(JSON.stringify(await area.get('account'))).not.toContain('correct horse');
  });

  it('says a taken username in plain words', async () => {
    const { service, server } = await setup();
    server.accounts.set('alice', { userId: 'u0', password: 'whatever1' });
    await expect(service.signUp(alice)).rejects.toMatchObject({
      code: 'username_taken',
      message: expect.stringContaining('is taken'),
    });
  });

  it('checks username and password before asking the server', async () => {
    const { service, server } = await setup();
    await expect(service.signUp({ ...alice, username: 'a!' })).rejects.toMatchObject({
      code: 'invalid_username',
    });
    await expect(service.signUp({ ...alice, password: 'short' })).rejects.toMatchObject({
      code: 'weak_password',
    });
    expect(server.requests).toEqual([]);
  });

  it('keeps the account when device registration fails, so the user can retry with the password', async () => {
    const { service, server, accounts } = await setup();
    server.unreachable.add('POST /v1/clients');
    await expect(service.signUp(alice)).rejects.toMatchObject({ code: 'device_not_registered' });
    expect((await accounts.get())?.clientId).toBeNull();
    server.unreachable.clear();
    await service.registerDevice(alice.password);
    expect((await accounts.get())?.clientId).toBeTruthy();
  });
});

describe('AccountService.signIn', () => {
  it('registers a new device with username, password and recovery key', async () => {
    const first = await setup();
    const { recoveryKey } = await first.service.signUp(alice);
    const second = await setup();
    // Same server state, new device.
    for (const [k, v] of first.server.accounts) second.server.accounts.set(k, v);
    await second.service.signIn({
      ...alice,
      recoveryKey: recoveryKey.toUpperCase().replaceAll('-', ' '),
    });
    const account = await second.accounts.get();
    expect(account?.secretKey).toBe((await first.accounts.get())?.secretKey);
    expect(account?.recoveryKeyConfirmed).toBe(true);
  });

  it('reports a wrong password and a malformed recovery key', async () => {
    const { service, server } = await setup();
    server.accounts.set('alice', { userId: 'u1', password: 'the right one' });
    const recoveryKey = formatRecoveryKey(generateSecretKey());
    await expect(service.signIn({ ...alice, recoveryKey })).rejects.toMatchObject({
      code: 'wrong_password',
      message: 'Wrong username or password.',
    });
    await expect(service.signIn({ ...alice, recoveryKey: 'abc' })).rejects.toMatchObject({
      code: 'invalid_recovery_key',
    });
  });

  it("refuses a recovery key that opens none of the account's subscriptions, and removes the client again", async () => {
    const { service, server, accounts } = await setup();
    server.accounts.set('alice', { userId: 'u1', password: alice.password });
    const realKey = generateSecretKey();
    server.subscriptions.set('s1', {
      subscriptionId: 's1',
      userId: 'u1',
      endpoint: `${FAKE_SERVER_URL}/push/t`,
      meta: encryptMeta(deriveMetaKey(realKey), { origin: 'https://a.example', createdAt: 'x' }),
      applicationServerKey: null,
      createdAt: 'x',
    });
    const wrongKey = formatRecoveryKey(generateSecretKey());
    await expect(service.signIn({ ...alice, recoveryKey: wrongKey })).rejects.toMatchObject({
      code: 'recovery_key_mismatch',
    });
    expect(await accounts.get()).toBeNull();
    expect(server.clients.size).toBe(0);
    await service.signIn({ ...alice, recoveryKey: formatRecoveryKey(realKey) });
    expect(server.clients.size).toBe(1);
  });
});

describe('AccountService.signInWithOidc (docs/protocol.md §9)', () => {
  const ISSUER = 'https://id.example';
  const provider = { issuer: ISSUER, clientId: 'push-addon', name: 'Example ID' };
  const token = (sub: string) => fakeIdToken({ iss: ISSUER, sub, aud: 'push-addon' });
  const carol = { issuer: ISSUER, idToken: token('carol'), recoveryKey: '', deviceName: 'Laptop' };

  async function oidcSetup() {
    const device = await setup();
    device.server.oidcProviders = [provider];
    return device;
  }

  it('makes the secret key on the first device of the account and hands back its recovery key', async () => {
    const { service, accounts } = await oidcSetup();
    const { recoveryKey } = await service.signInWithOidc(carol);
    const account = await accounts.get();
    expect(account).toMatchObject({
      username: 'carol (Example ID)',
      deviceName: 'Laptop',
      recoveryKeyConfirmed: false,
      clientId: expect.any(String),
      clientToken: expect.any(String),
    });
    expect(recoveryKey).toBe(formatRecoveryKey(decodeBase64Url(account!.secretKey)));
  });

  it('on a further device, without the recovery key, says to pair or type it, and removes the device again', async () => {
    const first = await oidcSetup();
    await first.service.signInWithOidc(carol);
    const clientsBefore = first.server.clients.size;
    // The same server, a second browser.
    const second = new AccountService({
      accounts: new AccountStore(new MemoryArea()),
      settings: first.settings,
      api: (url) => new ServerApi(url, first.server.fetch),
      onSignedOut: async () => {},
    });
    await expect(second.signInWithOidc(carol)).rejects.toMatchObject({
      code: 'secret_key_needed',
      message: expect.stringMatching(/pair this browser with a code.*or type your recovery key/),
    });
    expect(first.server.clients.size).toBe(clientsBefore);
  });

  it('on a further device, with the recovery key, signs in with the same secret key', async () => {
    const first = await oidcSetup();
    const { recoveryKey } = await first.service.signInWithOidc(carol);
    const accounts = new AccountStore(new MemoryArea());
    const second = new AccountService({
      accounts,
      settings: first.settings,
      api: (url) => new ServerApi(url, first.server.fetch),
      onSignedOut: async () => {},
    });
    const answer = await second.signInWithOidc({ ...carol, recoveryKey: recoveryKey! });
    expect(answer).toEqual({ recoveryKey: null });
    expect((await accounts.get())?.secretKey).toBe((await first.accounts.get())?.secretKey);
    expect((await accounts.get())?.recoveryKeyConfirmed).toBe(true);
  });

  it('says a refused token and a provider the server no longer offers in plain words', async () => {
    const { service, server, accounts } = await oidcSetup();
    await expect(
      service.signInWithOidc({ ...carol, idToken: 'not a token' }),
    ).rejects.toMatchObject({
      code: 'oidc_refused',
      message: expect.stringContaining('did not accept the sign-in with Example ID'),
    });
    server.oidcProviders = [];
    await expect(service.signInWithOidc(carol)).rejects.toMatchObject({
      code: 'oidc_unknown_provider',
    });
    await expect(service.signInWithOidc({ ...carol, recoveryKey: 'abc' })).rejects.toMatchObject({
      code: 'invalid_recovery_key',
    });
    expect(await accounts.get()).toBeNull();
  });

  it('labels the account with who the token names and the provider, without control characters', () => {
    expect(oidcAccountLabel(fakeIdToken({ sub: '123', email: 'c@example.org' }), 'Work')).toBe(
      'c@example.org (Work)',
    );
    expect(oidcAccountLabel(fakeIdToken({ sub: 'a\u0000b' }), 'W\nork')).toBe('ab (Work)');
    expect(oidcAccountLabel('garbage', 'Work')).toBe('account (Work)');
  });
});

describe('AccountService.signOut', () => {
  it('removes this device on the server and forgets the account here', async () => {
    const { service, server, accounts, signedOuts } = await setup();
    await service.signUp(alice);
    expect(server.clients.size).toBe(1);
    await service.signOut();
    expect(server.clients.size).toBe(0);
    expect(await accounts.get()).toBeNull();
    expect(signedOuts()).toBe(1);
  });

  it('still signs out when the server is unreachable, and says what to do', async () => {
    const { service, server, accounts, settings } = await setup();
    await service.signUp(alice);
    server.down = true;
    await service.signOut();
    expect(await accounts.get()).toBeNull();
    expect((await settings.get()).notice).toMatch(/could not be told/);
  });
});
