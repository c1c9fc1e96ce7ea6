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
import { ServerApi } from './api-client.js';
import { SerialQueue } from './serial.js';
import { MemoryArea } from './storage-area.js';
import { KeyMismatchError, pageSubscriptionOf, SubscriptionService } from './subscriptions.js';
import { registerClient, testAccount } from './testing/accounts.js';
import { FAKE_SERVER_URL, FakeServer } from './testing/fake-server.js';

const KEY_A = `B${'A'.repeat(86)}`;
const KEY_B = `B${'B'.repeat(86)}`;

function device(server: FakeServer, secretKey: Uint8Array, name: string) {
  const account = testAccount(secretKey, {
    deviceName: name,
    clientId: `client-${name}`,
    clientToken: `token-${name}`,
  });
  registerClient(server, account);
  const service = new SubscriptionService({
    area: new MemoryArea(),
    queue: new SerialQueue(),
    api: (url) => new ServerApi(url, server.fetch),
    now: () => new Date('2025-02-03T04:05:06Z'),
  });
  return { account, service };
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
    });
    expect(stored.applicationServerKey).toBe(KEY_A);
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
    expect(server.subscriptions.size).toBe(1);
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
    expect(server.subscriptions.size).toBe(1);
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
    expect([...server.subscriptions.keys()]).toEqual([b.subscriptionId]);
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
