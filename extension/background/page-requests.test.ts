import { describe, expect, it } from 'vitest';
import { generateSecretKey } from '../../shared/crypto/index.js';
import type { Decision } from '../messaging/ui-api.js';
import { ApiError, ServerApi } from './api-client.js';
import { handlePageRequest, type PageRequestDeps } from './page-requests.js';
import { PermissionStore } from './permissions.js';
import { SerialQueue } from './serial.js';
import { MemoryArea } from './storage-area.js';
import { pageSubscriptionOf, SubscriptionService } from './subscriptions.js';
import { registerClient, testAccount } from './testing/accounts.js';
import { FakeServer } from './testing/fake-server.js';

const ORIGIN = 'https://auction.example';
const KEY = `B${'A'.repeat(86)}`;

function setup(options: { enabled?: boolean; signedIn?: boolean; answer?: Decision | null } = {}) {
  const server = new FakeServer();
  const secretKey = generateSecretKey();
  const account = testAccount(secretKey);
  registerClient(server, account);
  const permissions = new PermissionStore(new MemoryArea(), new SerialQueue());
  const asked: string[] = [];
  const listening: string[] = [];
  let unauthorized = 0;
  const deps: PageRequestDeps = {
    enabled: async () => options.enabled ?? true,
    account: async () => (options.signedIn === false ? null : account),
    decision: (origin) => permissions.get(origin),
    remember: (origin, decision) => permissions.set(origin, decision),
    ask: async (origin) => {
      asked.push(origin);
      return options.answer === undefined ? 'allow' : options.answer;
    },
    subscriptions: new SubscriptionService({
      area: new MemoryArea(),
      queue: new SerialQueue(),
      api: (url) => new ServerApi(url, server.fetch),
    }),
    toPage: (_account, s) => pageSubscriptionOf(secretKey, s),
    listen: async (origin) => void listening.push(origin),
    onUnauthorized: async () => void unauthorized++,
  };
  return { deps, server, permissions, asked, listening, unauthorizedCount: () => unauthorized };
}

describe('handlePageRequest: subscribe', () => {
  it('asks once per origin, remembers Allow and returns a W3C-shaped subscription', async () => {
    const { deps, asked, permissions } = setup();
    const first = await handlePageRequest(deps, ORIGIN, {
      type: 'subscribe',
      applicationServerKey: KEY,
    });
    expect(first).toMatchObject({
      ok: true,
      value: {
        endpoint: expect.stringContaining('/push/'),
        keys: { p256dh: expect.stringMatching(/^B/), auth: expect.any(String) },
        applicationServerKey: KEY,
      },
    });
    const second = await handlePageRequest(deps, ORIGIN, {
      type: 'subscribe',
      applicationServerKey: KEY,
    });
    expect(second).toEqual(first);
    expect(asked).toEqual([ORIGIN]);
    expect(await permissions.get(ORIGIN)).toBe('allow');
  });

  it('rejects with NotAllowedError after Block, and does not ask again', async () => {
    const { deps, asked, server } = setup({ answer: 'block' });
    for (let i = 0; i < 2; i++) {
      expect(
        await handlePageRequest(deps, ORIGIN, { type: 'subscribe', applicationServerKey: null }),
      ).toMatchObject({
        ok: false,
        error: { name: 'NotAllowedError' },
      });
    }
    expect(asked).toHaveLength(1);
    expect(server.subscriptions.size).toBe(0);
  });

  it('rejects with NotAllowedError when the prompt is closed, and asks again next time', async () => {
    const { deps, asked } = setup({ answer: null });
    await handlePageRequest(deps, ORIGIN, { type: 'subscribe', applicationServerKey: null });
    const again = await handlePageRequest(deps, ORIGIN, {
      type: 'subscribe',
      applicationServerKey: null,
    });
    expect(again).toMatchObject({ ok: false, error: { name: 'NotAllowedError' } });
    expect(asked).toHaveLength(2);
  });

  it('rejects with NotAllowedError, without asking, when off or signed out', async () => {
    for (const options of [{ enabled: false }, { signedIn: false }]) {
      const { deps, asked } = setup(options);
      const result = await handlePageRequest(deps, ORIGIN, {
        type: 'subscribe',
        applicationServerKey: null,
      });
      expect(result).toMatchObject({ ok: false, error: { name: 'NotAllowedError' } });
      expect(asked).toEqual([]);
    }
  });

  it('rejects a second key with InvalidStateError and an unreachable server with AbortError', async () => {
    const { deps, server } = setup();
    await handlePageRequest(deps, ORIGIN, { type: 'subscribe', applicationServerKey: KEY });
    const other = `B${'C'.repeat(86)}`;
    expect(
      await handlePageRequest(deps, ORIGIN, { type: 'subscribe', applicationServerKey: other }),
    ).toMatchObject({
      ok: false,
      error: { name: 'InvalidStateError' },
    });
    server.down = true;
    expect(await handlePageRequest(deps, ORIGIN, { type: 'getSubscription' })).toMatchObject({
      ok: false,
      error: { name: 'AbortError' },
    });
  });

  it('rejects a second key with InvalidStateError on another device of the user too', async () => {
    const { deps, server } = setup();
    await handlePageRequest(deps, ORIGIN, { type: 'subscribe', applicationServerKey: KEY });
    // Another device: same account and secret key, its own (empty) subscription cache.
    const otherDevice: PageRequestDeps = {
      ...deps,
      subscriptions: new SubscriptionService({
        area: new MemoryArea(),
        queue: new SerialQueue(),
        api: (url) => new ServerApi(url, server.fetch),
      }),
    };
    const other = `B${'C'.repeat(86)}`;
    expect(
      await handlePageRequest(otherDevice, ORIGIN, {
        type: 'subscribe',
        applicationServerKey: other,
      }),
    ).toMatchObject({ ok: false, error: { name: 'InvalidStateError' } });
    expect(
      await handlePageRequest(otherDevice, ORIGIN, {
        type: 'subscribe',
        applicationServerKey: KEY,
      }),
    ).toMatchObject({ ok: true, value: { applicationServerKey: KEY } });
    expect(server.subscriptions.size).toBe(1);
  });

  it('rejects a key the server finds invalid with InvalidAccessError', async () => {
    const { deps } = setup();
    // The fake server takes any key; the real one checks that it is a point on P-256.
    const refusing: PageRequestDeps = {
      ...deps,
      subscriptions: {
        ...deps.subscriptions,
        findForOrigin: async () => null,
        removeForOrigin: async () => false,
        subscribe: () => Promise.reject(new ApiError(400, 'invalid_body', 'not a P-256 point')),
      },
    };
    const result = await handlePageRequest(refusing, ORIGIN, {
      type: 'subscribe',
      applicationServerKey: KEY,
    });
    expect(result).toMatchObject({ ok: false, error: { name: 'InvalidAccessError' } });
  });

  it('reports a refused token so the add-on can sign out', async () => {
    const { deps, server, unauthorizedCount } = setup();
    server.clients.clear();
    const result = await handlePageRequest(deps, ORIGIN, { type: 'getSubscription' });
    expect(result).toMatchObject({ ok: false, error: { name: 'AbortError' } });
    expect(unauthorizedCount()).toBe(1);
  });
});

describe('handlePageRequest: the other calls', () => {
  it('getSubscription and unsubscribe see only the asking origin', async () => {
    const { deps } = setup();
    const made = await handlePageRequest(deps, ORIGIN, {
      type: 'subscribe',
      applicationServerKey: null,
    });
    expect(
      await handlePageRequest(deps, 'https://other.example', { type: 'getSubscription' }),
    ).toEqual({ ok: true, value: null });
    expect(
      await handlePageRequest(deps, 'https://other.example', {
        type: 'unsubscribe',
        endpoint: null,
      }),
    ).toEqual({ ok: true, value: false });
    expect(await handlePageRequest(deps, ORIGIN, { type: 'getSubscription' })).toEqual(made);
    expect(await handlePageRequest(deps, ORIGIN, { type: 'unsubscribe', endpoint: null })).toEqual({
      ok: true,
      value: true,
    });
    expect(await handlePageRequest(deps, ORIGIN, { type: 'getSubscription' })).toEqual({
      ok: true,
      value: null,
    });
  });

  it('permissionState follows the answer on this device', async () => {
    const { deps, permissions } = setup();
    expect(await handlePageRequest(deps, ORIGIN, { type: 'permissionState' })).toEqual({
      ok: true,
      value: 'prompt',
    });
    await permissions.set(ORIGIN, 'allow');
    expect(await handlePageRequest(deps, ORIGIN, { type: 'permissionState' })).toEqual({
      ok: true,
      value: 'granted',
    });
    await permissions.set(ORIGIN, 'block');
    expect(await handlePageRequest(deps, ORIGIN, { type: 'permissionState' })).toEqual({
      ok: true,
      value: 'denied',
    });
  });

  it('registers the page for push events of its origin', async () => {
    const { deps, listening } = setup();
    expect(await handlePageRequest(deps, ORIGIN, { type: 'listen' })).toEqual({
      ok: true,
      value: true,
    });
    expect(listening).toEqual([ORIGIN]);
  });
});
