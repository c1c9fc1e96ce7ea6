import { describe, expect, it } from 'vitest';
import {
  deriveSubscriptionKeys,
  encodeBase64Url,
  encryptAesgcm,
  encryptPushPayload,
  generateSecretKey,
  utf8Decode,
  utf8Encode,
} from '../../shared/crypto/index.js';
import type { NotificationFrame } from '../../shared/protocol.js';
import type { Decision, NotificationView } from '../messaging/ui-api.js';
import { createReceiver } from './receiver.js';
import { testAccount } from './testing/accounts.js';

const secretKey = generateSecretKey();
const account = testAccount(secretKey);

function frame(id: string, plaintext: string | null, subscriptionId = 'sub-1'): NotificationFrame {
  const keys = deriveSubscriptionKeys(secretKey, subscriptionId);
  return {
    type: 'notification',
    id,
    subscriptionId,
    ttl: 60,
    urgency: 'normal',
    receivedAt: '2025-01-01T00:00:00.000Z',
    ...(plaintext === null
      ? {}
      : {
          encoding: 'aes128gcm' as const,
          data: encodeBase64Url(
            encryptPushPayload({
              plaintext: utf8Encode(plaintext),
              uaPublicKey: keys.publicKey,
              authSecret: keys.auth,
            }),
          ),
        }),
  };
}

function harness(
  options: { decision?: Decision | null; signedIn?: boolean; showFails?: boolean } = {},
) {
  const seen = new Set<string>();
  const recorded: NotificationView[] = [];
  const shown: string[] = [];
  const pages: Array<{ origin: string; data: string | null }> = [];
  const receive = createReceiver({
    account: async () => (options.signedIn === false ? null : account),
    originOf: async (_a, id) => (id === 'sub-1' ? 'https://auction.example' : null),
    decision: async () => options.decision ?? 'allow',
    seen: { has: async (id) => seen.has(id), add: async (id) => void seen.add(id) },
    record: async (entry) => void recorded.push(entry),
    show: async (entry) => {
      if (options.showFails) throw new Error('no notification server');
      shown.push(entry.title);
    },
    deliverToPages: async (origin, data) =>
      void pages.push({ origin, data: data && utf8Decode(data) }),
    warn: () => {},
  });
  return { receive, seen, recorded, shown, pages };
}

describe('receiver', () => {
  it('decrypts with the derived keys, shows a titled payload and passes it to open pages', async () => {
    const h = harness();
    const payload = JSON.stringify({
      title: "You've been outbid",
      body: 'Lamp',
      url: 'https://auction.example/items/lamp',
    });
    expect(await h.receive(frame('m1', payload))).toBe('shown');
    expect(h.recorded).toEqual([
      {
        id: 'm1',
        origin: 'https://auction.example',
        title: "You've been outbid",
        body: 'Lamp',
        url: 'https://auction.example/items/lamp',
        receivedAt: '2025-01-01T00:00:00.000Z',
        read: false,
      },
    ]);
    expect(h.shown).toEqual(["You've been outbid"]);
    expect(h.pages).toEqual([{ origin: 'https://auction.example', data: payload }]);
    expect(h.seen.has('m1')).toBe(true);
  });

  it('reads a legacy aesgcm push with the Encryption and Crypto-Key the server passed along', async () => {
    const h = harness();
    const keys = deriveSubscriptionKeys(secretKey, 'sub-1');
    const payload = JSON.stringify({ title: 'aesgcm', body: 'from an older sender' });
    const sealed = encryptAesgcm({
      plaintext: utf8Encode(payload),
      uaPublicKey: keys.publicKey,
      authSecret: keys.auth,
    });
    const aesgcm: NotificationFrame = {
      ...frame('m1', null),
      data: encodeBase64Url(sealed.body),
      encoding: 'aesgcm',
      encryption: sealed.encryption,
      cryptoKey: `${sealed.cryptoKey};p256ecdsa=BSenderVapidKey`,
    };
    expect(await h.receive(aesgcm)).toBe('shown');
    expect(h.shown).toEqual(['aesgcm']);
    expect(h.pages).toEqual([{ origin: 'https://auction.example', data: payload }]);
    // Without its headers the same body cannot be read, and is dropped.
    const { cryptoKey: _dropped, ...headless } = aesgcm;
    expect(await h.receive({ ...headless, id: 'm2' })).toBe('unreadable');
  });

  it('gives other payloads and empty pushes to pages only', async () => {
    const h = harness();
    expect(await h.receive(frame('m1', 'just text'))).toBe('delivered');
    expect(await h.receive(frame('m2', null))).toBe('delivered');
    expect(h.recorded).toEqual([]);
    expect(h.pages).toEqual([
      { origin: 'https://auction.example', data: 'just text' },
      { origin: 'https://auction.example', data: null },
    ]);
  });

  it('drops a message it has handled before', async () => {
    const h = harness();
    const f = frame('m1', JSON.stringify({ title: 'once' }));
    await h.receive(f);
    expect(await h.receive(f)).toBe('duplicate');
    expect(h.shown).toEqual(['once']);
  });

  it('drops what it cannot read, and remembers it so it is acked and not retried', async () => {
    const h = harness();
    const tampered = frame('m1', 'x');
    tampered.data = `${tampered.data!.slice(0, -4)}AAAA`;
    expect(await h.receive(tampered)).toBe('unreadable');
    expect(await h.receive({ ...frame('m2', 'x'), subscriptionId: 'another' })).toBe('unreadable');
    expect(h.pages).toEqual([]);
    expect(h.seen.has('m1')).toBe(true);
  });

  it('stays silent for a site blocked on this device', async () => {
    const h = harness({ decision: 'block' });
    expect(await h.receive(frame('m1', JSON.stringify({ title: 'spam' })))).toBe('blocked');
    expect(h.recorded).toEqual([]);
    expect(h.pages).toEqual([]);
  });

  it('still records the message when the system notification cannot be shown', async () => {
    const h = harness({ showFails: true });
    expect(await h.receive(frame('m1', JSON.stringify({ title: 'hello' })))).toBe('shown');
    expect(h.recorded.map((e) => e.title)).toEqual(['hello']);
  });

  it('reads nothing once signed out', async () => {
    const h = harness({ signedIn: false });
    expect(await h.receive(frame('m1', JSON.stringify({ title: 'x' })))).toBe('not-signed-in');
    expect(h.recorded).toEqual([]);
  });
});
