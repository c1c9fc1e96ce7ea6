import { createECDH, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { PushSubscriptionJSON } from '../protocol.js';
import { decryptPushPayload } from './aes128gcm.js';
import { decodeBase64Url, encodeBase64Url, utf8Decode } from './base64url.js';
import {
  deriveMetaKey,
  deriveSubscriptionKeys,
  generateSecretKey,
  SECRET_KEY_BYTES,
  toPushSubscriptionJSON,
} from './subscription-keys.js';

/** Order of the P-256 group (FIPS 186-4 D.1.2.3), written out here rather than taken from noble. */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** docs/protocol.md §5 re-computed with node:crypto and BigInt, independently of the code under test. */
function referenceDerive(secretKey: Uint8Array, subscriptionId: string) {
  const hkdf = (info: string, length: number) =>
    Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), Buffer.from(info, 'utf8'), length));
  const seed = hkdf(`push subscription key ${subscriptionId}`, 48);
  const scalar = (BigInt(`0x${seed.toString('hex')}`) % (P256_ORDER - 1n)) + 1n;
  const privateKey = Buffer.from(scalar.toString(16).padStart(64, '0'), 'hex');
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(privateKey);
  return {
    privateKey: new Uint8Array(privateKey),
    publicKey: new Uint8Array(ecdh.getPublicKey()),
    auth: new Uint8Array(hkdf(`push subscription auth ${subscriptionId}`, 16)),
    metaKey: new Uint8Array(hkdf('push subscription meta', 32)),
  };
}

const fixedSecret = Uint8Array.from({ length: 32 }, (_, i) => i);

describe('generateSecretKey', () => {
  it('makes 32 random bytes', () => {
    const key = generateSecretKey();
    expect(key).toHaveLength(SECRET_KEY_BYTES);
    expect(key).not.toEqual(generateSecretKey());
  });
});

describe('deriveSubscriptionKeys', () => {
  it('is deterministic', () => {
    const secret = generateSecretKey();
    expect(deriveSubscriptionKeys(secret, 'sub-1')).toEqual(
      deriveSubscriptionKeys(secret, 'sub-1'),
    );
  });

  it('gives different subscriptions and different users different keys', () => {
    const secret = generateSecretKey();
    const a = deriveSubscriptionKeys(secret, 'sub-1');
    const b = deriveSubscriptionKeys(secret, 'sub-2');
    const c = deriveSubscriptionKeys(generateSecretKey(), 'sub-1');
    for (const other of [b, c]) {
      expect(other.privateKey).not.toEqual(a.privateKey);
      expect(other.publicKey).not.toEqual(a.publicKey);
      expect(other.auth).not.toEqual(a.auth);
    }
  });

  it('has the shapes Web Push expects', () => {
    const keys = deriveSubscriptionKeys(generateSecretKey(), 'x');
    expect(keys.privateKey).toHaveLength(32);
    expect(keys.publicKey).toHaveLength(65);
    expect(keys.publicKey[0]).toBe(0x04);
    expect(keys.auth).toHaveLength(16);
  });

  it.each(['sub-1', 'Zx8f3kQ_9aL2mN0pR4tV6w', 'ünïcødé-id', ''])(
    'matches an independent computation of the formula for id %j',
    (id) => {
      for (const secret of [fixedSecret, generateSecretKey()]) {
        const ref = referenceDerive(secret, id);
        const keys = deriveSubscriptionKeys(secret, id);
        expect(keys.privateKey).toEqual(ref.privateKey);
        expect(keys.publicKey).toEqual(ref.publicKey);
        expect(keys.auth).toEqual(ref.auth);
      }
    },
  );

  // Secret key 0x00..0x1f, subscription id "sub-1"; the same values the reference above yields.
  it('keeps to a pinned vector (for other implementations of docs/protocol.md §5)', () => {
    const keys = deriveSubscriptionKeys(fixedSecret, 'sub-1');
    expect({
      privateKey: encodeBase64Url(keys.privateKey),
      publicKey: encodeBase64Url(keys.publicKey),
      auth: encodeBase64Url(keys.auth),
      metaKey: encodeBase64Url(deriveMetaKey(fixedSecret)),
    }).toEqual({
      privateKey: 'bvjirz2RV9OKV6Eq6Bo4ZLIInRlqUkhot3ZC9RxmzOs',
      publicKey:
        'BLJ1X5Rv1zcKKQzeabhnPcpsYvgsTWcVXavmSAML4lzkK0Wh0-eqQs8sAwu9TOfuDBvh1oWc78tdIqcxNLkjmc0',
      auth: 'LaYYr9taBGqW-K10Mb2jSw',
      metaKey: '6I7FMmZ_2xtwjLV_TOFEtPVCqYJ8774HI3N3l9IJYFo',
    });
  });

  it('refuses a secret key of the wrong size', () => {
    expect(() => deriveSubscriptionKeys(new Uint8Array(31), 'x')).toThrow(RangeError);
    expect(() => deriveMetaKey(new Uint8Array(33))).toThrow(RangeError);
  });

  it('gives keys web-push can encrypt to and decryptPushPayload can read', () => {
    const secret = generateSecretKey();
    const keys = deriveSubscriptionKeys(secret, 'sub-42');
    const subscription = toPushSubscriptionJSON('https://push.example.net/push/tok', keys);
    const details = webpush.generateRequestDetails(subscription, 'hello from web-push', {
      TTL: 60,
    });
    const plain = decryptPushPayload({
      body: new Uint8Array(details.body!),
      uaPrivateKey: keys.privateKey,
      uaPublicKey: keys.publicKey,
      authSecret: keys.auth,
    });
    expect(utf8Decode(plain)).toBe('hello from web-push');
  });
});

describe('deriveMetaKey', () => {
  it('matches an independent computation and is distinct from every subscription key', () => {
    const secret = generateSecretKey();
    const metaKey = deriveMetaKey(secret);
    expect(metaKey).toHaveLength(32);
    expect(metaKey).toEqual(referenceDerive(secret, 'x').metaKey);
    expect(deriveMetaKey(secret)).toEqual(metaKey);
    expect(deriveMetaKey(generateSecretKey())).not.toEqual(metaKey);
  });
});

describe('toPushSubscriptionJSON', () => {
  it('is the W3C PushSubscription.toJSON() shape of docs/protocol.md §5', () => {
    const keys = deriveSubscriptionKeys(fixedSecret, 'sub-1');
    const json = toPushSubscriptionJSON('https://push.example.net/push/abc', keys);
    expect(PushSubscriptionJSON.parse(json)).toEqual(json);
    expect(json).toEqual({
      endpoint: 'https://push.example.net/push/abc',
      expirationTime: null,
      keys: { p256dh: encodeBase64Url(keys.publicKey), auth: encodeBase64Url(keys.auth) },
    });
    expect(json.keys.p256dh).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect(json.keys.auth).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(decodeBase64Url(json.keys.p256dh)).toEqual(keys.publicKey);
  });
});
