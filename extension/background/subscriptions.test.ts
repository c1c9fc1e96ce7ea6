import { describe, expect, it } from 'vitest';
import {
  decodeBase64Url,
  decryptMeta,
  decryptPushPayload,
  deriveMetaKey,
  deriveSubscriptionKeys,
  encryptMeta,
  encryptPushPayload,
  generateSecretKey,
  utf8Decode,
  utf8Encode,
} from '../../shared/crypto/index.js';
import { type FetchLike, ServerApi } from './api-client.js';
import { SerialQueue } from './serial.js';
import { MemoryArea } from './storage-area.js';
import { openBinding, sealBinding } from './subscription-meta.js';
import {
  KeyMismatchError,
  LEGACY_META_SKEW_MS,
  pageSubscriptionOf,
  SubscriptionService,
} from './subscriptions.js';
import { registerClient, testAccount } from './testing/accounts.js';
import { FAKE_SERVER_URL, FakeServer } from './testing/fake-server.js';

const KEY_A = `B${'A'.repeat(86)}`;
const KEY_B = `B${'B'.repeat(86)}`;

function device(server: FakeServer, secretKey: Uint8Array, name: string, fetch?: FetchLike) {
  const account = testAccount(secretKey, {
    deviceName: name,
    clientId: `client-${name}`,
    clientToken: `token-${name}`,
  });
  registerClient(server, account);
  const service = new SubscriptionService({
    area: new MemoryArea(),
    queue: new SerialQueue(),
    api: (url) => new ServerApi(url, fetch ?? server.fetch),
    now: () => new Date('2025-02-03T04:05:06Z'),
  });
  return { account, service };
}

/** The server's subscriptions that are not binding records (what sites were given). */
function siteIds(server: FakeServer, secretKey: Uint8Array): string[] {
  const metaKey = deriveMetaKey(secretKey);
  return [...server.subscriptions.values()]
    .filter((s) => openBinding(metaKey, s.meta) === null)
    .map((s) => s.subscriptionId);
}

/** A subscription as an earlier version of the add-on left it: a meta without a binding. */
function legacySubscription(
  server: FakeServer,
  secretKey: Uint8Array,
  id: string,
  origin: string,
  createdAt: { meta: string; server: string },
) {
  server.subscriptions.set(id, {
    subscriptionId: id,
    userId: 'u1',
    endpoint: `${FAKE_SERVER_URL}/push/${id}`,
    meta: encryptMeta(deriveMetaKey(secretKey), { origin, createdAt: createdAt.meta }),
    applicationServerKey: null,
    createdAt: createdAt.server,
  });
}

/** Two devices of one account on one server, each with its own subscription cache. */
function laptopAndPhone() {
  const server = new FakeServer();
  const secretKey = generateSecretKey();
  const laptop = device(server, secretKey, 'laptop');
  const phone = device(server, secretKey, 'phone');
  return { server, secretKey, laptop, phone };
}

describe('SubscriptionService.subscribe', () => {
  it('seals the origin into meta so the server never sees it', async () => {
    const server = new FakeServer();
    const secretKey = generateSecretKey();
    const { account, service } = device(server, secretKey, 'a');
    const sub = await service.subscribe(account, 'https://auction.example', KEY_A);
    const stored = server.subscriptions.get(sub.subscriptionId)!;
    expect(stored.meta).not.toContain('auction');
    expect(stored.meta).not.toContain(KEY_A);
    // The key rides along in the sealed meta: the server's list does not return it.
    expect(decryptMeta(deriveMetaKey(secretKey), stored.meta!)).toEqual({
      origin: 'https://auction.example',
      createdAt: '2025-02-03T04:05:06.000Z',
      applicationServerKey: KEY_A,
      bound: true,
    });
    expect(stored.applicationServerKey).toBe(KEY_A);
  });

  it('then writes a binding record that names the new subscription (docs/protocol.md §5)', async () => {
    const server = new FakeServer();
    const secretKey = generateSecretKey();
    const { account, service } = device(server, secretKey, 'a');
    const sub = await service.subscribe(account, 'https://auction.example', KEY_A);
    const [site, record, ...more] = [...server.subscriptions.values()];
    expect(more).toEqual([]);
    expect(site?.subscriptionId).toBe(sub.subscriptionId);
    // A plain subscription (no VAPID key: nobody ever pushes to it) holding the sealed record.
    expect(record?.applicationServerKey).toBeNull();
    expect(record?.meta).not.toContain('auction');
    expect(openBinding(deriveMetaKey(secretKey), record!.meta)).toEqual({
      subscriptionId: sub.subscriptionId,
      origin: 'https://auction.example',
      createdAt: '2025-02-03T04:05:06.000Z',
      applicationServerKey: KEY_A,
    });
    // It does not open as a site's meta, so it is never listed as a site.
    expect(() => decryptMeta(deriveMetaKey(secretKey), record!.meta!)).toThrow();
    expect((await service.list(account)).map((s) => s.subscriptionId)).toEqual([
      sub.subscriptionId,
    ]);
    expect(sub.bindingIds).toEqual([record!.subscriptionId]);
  });

  it('hands out keys that any sender can encrypt to and this user can read (docs/protocol.md §5)', async () => {
    const server = new FakeServer();
    const secretKey = generateSecretKey();
    const { account, service } = device(server, secretKey, 'a');
    const sub = pageSubscriptionOf(
      secretKey,
      await service.subscribe(account, 'https://a.example', null),
    );
    const body = encryptPushPayload({
      plaintext: utf8Encode('{"title":"hi"}'),
      uaPublicKey: decodeBase64Url(sub.keys.p256dh),
      authSecret: decodeBase64Url(sub.keys.auth),
    });
    const [subscriptionId] = [...server.subscriptions.keys()];
    const keys = deriveSubscriptionKeys(secretKey, subscriptionId!);
    const plain = decryptPushPayload({
      body,
      uaPrivateKey: keys.privateKey,
      uaPublicKey: keys.publicKey,
      authSecret: keys.auth,
    });
    expect(utf8Decode(plain)).toBe('{"title":"hi"}');
  });

  it('returns the same subscription when asked again, and refuses another key', async () => {
    const server = new FakeServer();
    const { account, service } = device(server, generateSecretKey(), 'a');
    const first = await service.subscribe(account, 'https://a.example', KEY_A);
    const again = await service.subscribe(account, 'https://a.example', KEY_A);
    expect(again.subscriptionId).toBe(first.subscriptionId);
    expect(server.subscriptions.size).toBe(2); // the subscription and its binding record
    await expect(service.subscribe(account, 'https://a.example', KEY_B)).rejects.toBeInstanceOf(
      KeyMismatchError,
    );
  });

  it('finds a subscription made on another device of the user by opening its meta', async () => {
    const { secretKey, laptop, phone } = laptopAndPhone();
    const made = await laptop.service.subscribe(laptop.account, 'https://a.example', KEY_A);
    const found = await phone.service.findForOrigin(phone.account, 'https://a.example');
    expect(found?.subscriptionId).toBe(made.subscriptionId);
    // The meta told the other device the key, so its page sees the same options.
    expect(pageSubscriptionOf(secretKey, found!).applicationServerKey).toBe(KEY_A);
    expect(pageSubscriptionOf(secretKey, found!).keys).toEqual(
      pageSubscriptionOf(secretKey, made).keys,
    );
  });

  it('refuses, on another device, a subscribe with a different key than the meta recorded', async () => {
    const { server, laptop, phone } = laptopAndPhone();
    const made = await laptop.service.subscribe(laptop.account, 'https://a.example', KEY_A);
    await expect(
      phone.service.subscribe(phone.account, 'https://a.example', KEY_B),
    ).rejects.toBeInstanceOf(KeyMismatchError);
    // Without a key is a different key too, as in the W3C Push API.
    await expect(
      phone.service.subscribe(phone.account, 'https://a.example', null),
    ).rejects.toBeInstanceOf(KeyMismatchError);
    const same = await phone.service.subscribe(phone.account, 'https://a.example', KEY_A);
    expect(same.subscriptionId).toBe(made.subscriptionId);
    expect(server.subscriptions.size).toBe(2);
  });

  it('records "no key" too: another device refuses a key for a subscription made without one', async () => {
    const { laptop, phone } = laptopAndPhone();
    await laptop.service.subscribe(laptop.account, 'https://a.example', null);
    await expect(
      phone.service.subscribe(phone.account, 'https://a.example', KEY_A),
    ).rejects.toBeInstanceOf(KeyMismatchError);
    expect((await phone.service.subscribe(phone.account, 'https://a.example', null)).origin).toBe(
      'https://a.example',
    );
  });

  it('does not hold a key against an older meta that did not record one', async () => {
    const server = new FakeServer();
    const secretKey = generateSecretKey();
    const phone = device(server, secretKey, 'phone');
    server.subscriptions.set('old', {
      subscriptionId: 'old',
      userId: 'u1',
      endpoint: `${FAKE_SERVER_URL}/push/old`,
      meta: encryptMeta(deriveMetaKey(secretKey), {
        origin: 'https://a.example',
        createdAt: '2024-01-01T00:00:00Z',
      }),
      applicationServerKey: KEY_A,
      createdAt: '2024-01-01T00:00:00Z',
    });
    const found = await phone.service.subscribe(phone.account, 'https://a.example', KEY_B);
    expect(found.subscriptionId).toBe('old');
    expect(pageSubscriptionOf(secretKey, found).applicationServerKey).toBeNull();
  });
});

describe('SubscriptionService lists and removal', () => {
  it('lists every subscription with its origin, or null when the meta is not ours', async () => {
    const server = new FakeServer();
    const { account, service } = device(server, generateSecretKey(), 'a');
    await service.subscribe(account, 'https://a.example', null);
    server.subscriptions.set('foreign', {
      subscriptionId: 'foreign',
      userId: 'u1',
      endpoint: `${FAKE_SERVER_URL}/push/f`,
      meta: encryptMeta(deriveMetaKey(generateSecretKey()), {
        origin: 'https://b.example',
        createdAt: 'x',
      }),
      applicationServerKey: null,
      createdAt: '2030-01-01T00:00:00Z',
    });
    const views = await service.views(account);
    expect(views.map((v) => v.origin)).toEqual([null, 'https://a.example']);
  });

  it("removes only the asking origin's subscription and says whether there was one", async () => {
    const server = new FakeServer();
    const { account, service } = device(server, generateSecretKey(), 'a');
    const a = await service.subscribe(account, 'https://a.example', null);
    const b = await service.subscribe(account, 'https://b.example', null);
    expect(
      await service.removeForOrigin(account, 'https://a.example', 'https://elsewhere/push/x'),
    ).toBe(false);
    expect(await service.removeForOrigin(account, 'https://a.example', a.endpoint)).toBe(true);
    expect(await service.removeForOrigin(account, 'https://a.example', null)).toBe(false);
    // With its binding record: what is left is b and b's record.
    expect([...server.subscriptions.keys()]).toEqual([b.subscriptionId, ...b.bindingIds]);
  });

  it('treats a subscription already gone from the server as removed', async () => {
    const server = new FakeServer();
    const { account, service } = device(server, generateSecretKey(), 'a');
    const a = await service.subscribe(account, 'https://a.example', null);
    server.subscriptions.clear();
    await expect(service.remove(account, a.subscriptionId)).resolves.toBeUndefined();
  });

  it('tells which origin a pushed message is for, also for subscriptions made elsewhere', async () => {
    const { laptop, phone } = laptopAndPhone();
    const made = await laptop.service.subscribe(laptop.account, 'https://a.example', null);
    expect(await phone.service.originOf(phone.account, made.subscriptionId)).toBe(
      'https://a.example',
    );
    expect(await phone.service.originOf(phone.account, 'unknown')).toBeNull();
  });
});

describe('binding a meta to its subscription (docs/protocol.md §5)', () => {
  it('shows a meta copied onto another subscription as an unknown site, not as the site', async () => {
    const { server, secretKey, laptop, phone } = laptopAndPhone();
    const made = await laptop.service.subscribe(laptop.account, 'https://bank.example', null);
    // A stolen client token is enough to make a subscription with any meta.
    const copy = await new ServerApi(FAKE_SERVER_URL, server.fetch).createSubscription(
      laptop.account.clientToken,
      { meta: server.subscriptions.get(made.subscriptionId)!.meta! },
    );
    const listed = await phone.service.list(phone.account);
    expect(listed.find((s) => s.subscriptionId === copy.subscriptionId)?.origin).toBeNull();
    expect(listed.find((s) => s.subscriptionId === made.subscriptionId)?.origin).toBe(
      'https://bank.example',
    );
    expect(await phone.service.originOf(phone.account, copy.subscriptionId)).toBeNull();
    // And nobody writes a binding record for it.
    expect(siteIds(server, secretKey)).toHaveLength(2);
    expect(server.subscriptions.size).toBe(3);
  });

  it('shows two subscriptions whose metas were swapped as unknown sites', async () => {
    const { server, laptop, phone } = laptopAndPhone();
    const evil = await laptop.service.subscribe(laptop.account, 'https://evil.example', null);
    const bank = await laptop.service.subscribe(laptop.account, 'https://bank.example', null);
    const a = server.subscriptions.get(evil.subscriptionId)!;
    const b = server.subscriptions.get(bank.subscriptionId)!;
    [a.meta, b.meta] = [b.meta, a.meta];
    const listed = await phone.service.list(phone.account);
    expect(listed.map((s) => s.origin)).toEqual([null, null]);
    // The device that made them verified them already; what it saw stands.
    expect((await laptop.service.list(laptop.account)).map((s) => s.origin).sort()).toEqual([
      'https://bank.example',
      'https://evil.example',
    ]);
  });

  it('believes no binding records that disagree', async () => {
    const { server, secretKey, laptop, phone } = laptopAndPhone();
    const made = await laptop.service.subscribe(laptop.account, 'https://a.example', null);
    server.subscriptions.set('forged', {
      subscriptionId: 'forged',
      userId: 'u1',
      endpoint: `${FAKE_SERVER_URL}/push/forged`,
      // Sealed with the user's key: only a device of the user could write it.
      meta: sealBinding(deriveMetaKey(secretKey), {
        subscriptionId: made.subscriptionId,
        origin: 'https://b.example',
        createdAt: made.createdAt,
        applicationServerKey: null,
      }),
      applicationServerKey: null,
      createdAt: '2025-02-03T04:05:07Z',
    });
    expect((await phone.service.list(phone.account)).map((s) => s.origin)).toEqual([null]);
  });

  it('binds a meta from before binding records on first read, so it keeps working', async () => {
    const { server, secretKey, phone } = laptopAndPhone();
    legacySubscription(server, secretKey, 'old', 'https://a.example', {
      meta: '2024-01-01T00:00:00.000Z',
      server: '2024-01-01T00:00:01.000Z',
    });
    expect(await phone.service.originOf(phone.account, 'old')).toBe('https://a.example');
    const record = [...server.subscriptions.values()].find((s) => s.subscriptionId !== 'old');
    expect(openBinding(deriveMetaKey(secretKey), record?.meta ?? null)).toEqual({
      subscriptionId: 'old',
      origin: 'https://a.example',
      createdAt: '2024-01-01T00:00:01.000Z',
    });
    // Bound once: another device finds the record and writes none of its own.
    const other = device(server, secretKey, 'tablet');
    expect(await other.service.originOf(other.account, 'old')).toBe('https://a.example');
    expect(server.subscriptions.size).toBe(2);
  });

  it('does not bind an old meta copied onto a newer subscription', async () => {
    const { server, secretKey, phone } = laptopAndPhone();
    legacySubscription(server, secretKey, 'copied', 'https://bank.example', {
      meta: '2024-01-01T00:00:00.000Z',
      server: new Date(
        Date.parse('2024-01-01T00:00:00Z') + LEGACY_META_SKEW_MS + 1000,
      ).toISOString(),
    });
    expect(await phone.service.originOf(phone.account, 'copied')).toBeNull();
    expect(server.subscriptions.size).toBe(1);
  });

  it('writes a binding record that failed at subscribe time on the next list', async () => {
    const server = new FakeServer();
    const secretKey = generateSecretKey();
    let posts = 0;
    // The second POST (the binding record) of the first subscribe fails as if offline.
    const flaky: FetchLike = async (input, init) => {
      if (init.method === 'POST' && new URL(input).pathname === '/v1/subscriptions') {
        if (++posts === 2) throw new TypeError('Failed to fetch');
      }
      return server.fetch(input, init);
    };
    const laptop = device(server, secretKey, 'laptop', flaky);
    const phone = device(server, secretKey, 'phone');
    const made = await laptop.service.subscribe(laptop.account, 'https://a.example', null);
    expect(server.subscriptions.size).toBe(1);
    expect(await phone.service.originOf(phone.account, made.subscriptionId)).toBeNull();
    await laptop.service.list(laptop.account);
    expect(server.subscriptions.size).toBe(2);
    const fresh = device(server, secretKey, 'tablet');
    expect(await fresh.service.originOf(fresh.account, made.subscriptionId)).toBe(
      'https://a.example',
    );
  });

  it('deletes the binding records of a removed subscription, and records left behind', async () => {
    const { server, secretKey, laptop, phone } = laptopAndPhone();
    const a = await laptop.service.subscribe(laptop.account, 'https://a.example', null);
    const b = await laptop.service.subscribe(laptop.account, 'https://b.example', null);
    await laptop.service.remove(laptop.account, a.subscriptionId);
    expect(server.subscriptions.size).toBe(2);
    // Deleted by something that does not know about records (an older add-on version).
    server.subscriptions.delete(b.subscriptionId);
    expect(await phone.service.list(phone.account)).toEqual([]);
    expect(server.subscriptions.size).toBe(0);
    expect(siteIds(server, secretKey)).toEqual([]);
  });
});
