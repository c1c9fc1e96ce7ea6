import { describe, expect, it } from 'vitest';
import { generateSecretKey } from '../../shared/crypto/index.js';
import type { PageRequest } from '../messaging/page-protocol.js';
import type { Decision } from '../messaging/ui-api.js';
import { ApiError, ServerApi } from './api-client.js';
import { handlePageRequest, type PageCall, type PageRequestDeps } from './page-requests.js';
import { PermissionStore } from './permissions.js';
import { PromptManager } from './prompt.js';
import { PromptDismissals } from './prompt-dismissals.js';
import { SerialQueue } from './serial.js';
import { MemoryArea } from './storage-area.js';
import { pageSubscriptionOf, SubscriptionService } from './subscriptions.js';
import { registerClient, testAccount } from './testing/accounts.js';
import { FakeServer } from './testing/fake-server.js';

const ORIGIN = 'https://auction.example';
const KEY = `B${'A'.repeat(86)}`;
/** A call made in a click handler, and one made without any gesture. */
const CLICK: PageCall = { userActivation: true };
const NO_GESTURE: PageCall = { userActivation: false };

const call = (deps: PageRequestDeps, origin: string, request: PageRequest, how = CLICK) =>
  handlePageRequest(deps, origin, request, how);

function setup(options: { enabled?: boolean; signedIn?: boolean; answer?: Decision | null } = {}) {
  const server = new FakeServer();
  const secretKey = generateSecretKey();
  const account = testAccount(secretKey);
  registerClient(server, account);
  const permissions = new PermissionStore(new MemoryArea(), new SerialQueue());
  const asked: string[] = [];
  const listening: string[] = [];
  let unauthorized = 0;
  let now = Date.parse('2026-01-01T10:00:00Z');
  const dismissals = new PromptDismissals(new MemoryArea(), new SerialQueue(), () => now);
  // The real question logic; its "window" answers (or is closed) as soon as it opens.
  let windows = 0;
  const prompts: PromptManager = new PromptManager(
    {
      async open(promptId) {
        const answer = options.answer === undefined ? 'allow' : options.answer;
        const windowId = ++windows;
        setTimeout(() =>
          answer ? prompts.answer(promptId, answer) : prompts.windowClosed(windowId),
        );
        return windowId;
      },
      close: async () => {},
    },
    {
      onSettled: (origin, outcome) => {
        asked.push(origin);
        if (outcome === 'dismissed') void dismissals.dismissed(origin);
      },
    },
  );
  const deps: PageRequestDeps = {
    enabled: async () => options.enabled ?? true,
    account: async () => (options.signedIn === false ? null : account),
    decision: (origin) => permissions.get(origin),
    remember: (origin, decision) => permissions.set(origin, decision),
    ask: (origin) => prompts.ask(origin),
    quietUntil: (origin) => dismissals.quietUntil(origin),
    subscriptions: new SubscriptionService({
      area: new MemoryArea(),
      queue: new SerialQueue(),
      api: (url) => new ServerApi(url, server.fetch),
    }),
    toPage: (_account, s) => pageSubscriptionOf(secretKey, s),
    listen: async (origin) => void listening.push(origin),
    onUnauthorized: async () => void unauthorized++,
  };
  return {
    deps,
    server,
    permissions,
    asked,
    listening,
    unauthorizedCount: () => unauthorized,
    advance: (ms: number) => (now += ms),
  };
}

describe('handlePageRequest: subscribe', () => {
  it('asks once per origin, remembers Allow and returns a W3C-shaped subscription', async () => {
    const { deps, asked, permissions } = setup();
    const first = await call(deps, ORIGIN, {
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
    const second = await call(deps, ORIGIN, {
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
        await call(deps, ORIGIN, { type: 'subscribe', applicationServerKey: null }),
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
    await call(deps, ORIGIN, { type: 'subscribe', applicationServerKey: null });
    const again = await call(deps, ORIGIN, {
      type: 'subscribe',
      applicationServerKey: null,
    });
    expect(again).toMatchObject({ ok: false, error: { name: 'NotAllowedError' } });
    expect(asked).toHaveLength(2);
  });

  it('asks only during a user gesture; without one it rejects with NotAllowedError', async () => {
    const { deps, asked, server } = setup();
    const subscribe = { type: 'subscribe', applicationServerKey: null } as const;
    expect(await call(deps, ORIGIN, subscribe, NO_GESTURE)).toMatchObject({
      ok: false,
      error: { name: 'NotAllowedError', message: expect.stringMatching(/user gesture/) },
    });
    expect(asked).toEqual([]);
    expect(server.subscriptions.size).toBe(0);
    // Once allowed, a site may subscribe again (e.g. on load) without a gesture, as in browsers.
    expect(await call(deps, ORIGIN, subscribe, CLICK)).toMatchObject({ ok: true });
    expect(await call(deps, ORIGIN, subscribe, NO_GESTURE)).toMatchObject({ ok: true });
    expect(asked).toEqual([ORIGIN]);
  });

  it('opens one question for many calls at once, and counts it as one dismissal', async () => {
    const { deps, asked } = setup({ answer: null });
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        call(deps, ORIGIN, { type: 'subscribe', applicationServerKey: null }),
      ),
    );
    expect(results.every((r) => !r.ok && r.error.name === 'NotAllowedError')).toBe(true);
    expect(asked).toEqual([ORIGIN]);
    // Two more dismissals are allowed before the quiet day.
    await call(deps, ORIGIN, { type: 'subscribe', applicationServerKey: null });
    expect(asked).toHaveLength(2);
  });

  it('stops asking for a day after three dismissals in a row', async () => {
    const { deps, asked, advance } = setup({ answer: null });
    const subscribe = { type: 'subscribe', applicationServerKey: null } as const;
    for (let i = 0; i < 3; i++) await call(deps, ORIGIN, subscribe);
    expect(asked).toHaveLength(3);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await call(deps, ORIGIN, subscribe)).toMatchObject({
      ok: false,
      error: { name: 'NotAllowedError', message: expect.stringMatching(/three times/) },
    });
    expect(asked).toHaveLength(3);
    // Another site may still ask.
    await call(deps, 'https://other.example', subscribe);
    expect(asked).toHaveLength(4);
    expect(await call(deps, ORIGIN, { type: 'permissionState' })).toEqual({
      ok: true,
      value: 'prompt',
    });
    advance(24 * 60 * 60_000);
    await call(deps, ORIGIN, subscribe);
    expect(asked).toHaveLength(5);
  });

  it('rejects with NotAllowedError, without asking, when off or signed out', async () => {
    for (const options of [{ enabled: false }, { signedIn: false }]) {
      const { deps, asked } = setup(options);
      const result = await call(deps, ORIGIN, {
        type: 'subscribe',
        applicationServerKey: null,
      });
      expect(result).toMatchObject({ ok: false, error: { name: 'NotAllowedError' } });
      expect(asked).toEqual([]);
    }
  });

  it('rejects a second key with InvalidStateError and an unreachable server with AbortError', async () => {
    const { deps, server } = setup();
    await call(deps, ORIGIN, { type: 'subscribe', applicationServerKey: KEY });
    const other = `B${'C'.repeat(86)}`;
    expect(
      await call(deps, ORIGIN, { type: 'subscribe', applicationServerKey: other }),
    ).toMatchObject({
      ok: false,
      error: { name: 'InvalidStateError' },
    });
    server.down = true;
    expect(await call(deps, ORIGIN, { type: 'getSubscription' })).toMatchObject({
      ok: false,
      error: { name: 'AbortError' },
    });
  });

  it('rejects a second key with InvalidStateError on another device of the user too', async () => {
    const { deps, server } = setup();
    await call(deps, ORIGIN, { type: 'subscribe', applicationServerKey: KEY });
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
      await call(otherDevice, ORIGIN, {
        type: 'subscribe',
        applicationServerKey: other,
      }),
    ).toMatchObject({ ok: false, error: { name: 'InvalidStateError' } });
    expect(
      await call(otherDevice, ORIGIN, {
        type: 'subscribe',
        applicationServerKey: KEY,
      }),
    ).toMatchObject({ ok: true, value: { applicationServerKey: KEY } });
    expect(server.subscriptions.size).toBe(2); // the subscription and its binding record
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
    const result = await call(refusing, ORIGIN, {
      type: 'subscribe',
      applicationServerKey: KEY,
    });
    expect(result).toMatchObject({ ok: false, error: { name: 'InvalidAccessError' } });
  });

  it('reports a refused token so the add-on can sign out', async () => {
    const { deps, server, unauthorizedCount } = setup();
    server.clients.clear();
    const result = await call(deps, ORIGIN, { type: 'getSubscription' });
    expect(result).toMatchObject({ ok: false, error: { name: 'AbortError' } });
    expect(unauthorizedCount()).toBe(1);
  });
});

describe('handlePageRequest: the other calls', () => {
  it('getSubscription and unsubscribe see only the asking origin', async () => {
    const { deps } = setup();
    const made = await call(deps, ORIGIN, {
      type: 'subscribe',
      applicationServerKey: null,
    });
    expect(await call(deps, 'https://other.example', { type: 'getSubscription' })).toEqual({
      ok: true,
      value: null,
    });
    expect(
      await call(deps, 'https://other.example', {
        type: 'unsubscribe',
        endpoint: null,
      }),
    ).toEqual({ ok: true, value: false });
    expect(await call(deps, ORIGIN, { type: 'getSubscription' })).toEqual(made);
    expect(await call(deps, ORIGIN, { type: 'unsubscribe', endpoint: null })).toEqual({
      ok: true,
      value: true,
    });
    expect(await call(deps, ORIGIN, { type: 'getSubscription' })).toEqual({
      ok: true,
      value: null,
    });
  });

  it('permissionState follows the answer on this device', async () => {
    const { deps, permissions } = setup();
    expect(await call(deps, ORIGIN, { type: 'permissionState' })).toEqual({
      ok: true,
      value: 'prompt',
    });
    await permissions.set(ORIGIN, 'allow');
    expect(await call(deps, ORIGIN, { type: 'permissionState' })).toEqual({
      ok: true,
      value: 'granted',
    });
    await permissions.set(ORIGIN, 'block');
    expect(await call(deps, ORIGIN, { type: 'permissionState' })).toEqual({
      ok: true,
      value: 'denied',
    });
  });

  it('registers the page for push events of its origin', async () => {
    const { deps, listening } = setup();
    expect(await call(deps, ORIGIN, { type: 'listen' })).toEqual({
      ok: true,
      value: true,
    });
    expect(listening).toEqual([ORIGIN]);
  });
});
