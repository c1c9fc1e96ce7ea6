// A device reads a notification frame (docs/protocol.md §3) with the keys it derives for the
// subscription, whichever encoding the sender used; anything unreadable is a PushDecryptError.
import { describe, expect, it } from 'vitest';
import { encryptPushPayload, PushDecryptError } from './aes128gcm.js';
import { encryptAesgcm } from './aesgcm.js';
import { encodeBase64Url, utf8Decode, utf8Encode } from './base64url.js';
import { decryptNotification } from './notification.js';
import { deriveSubscriptionKeys, generateSecretKey } from './subscription-keys.js';

const keys = deriveSubscriptionKeys(generateSecretKey(), 'sub-1');
const plaintext = utf8Encode('{"title":"both ways"}');
const sealed128 = encodeBase64Url(
  encryptPushPayload({ plaintext, uaPublicKey: keys.publicKey, authSecret: keys.auth }),
);
const legacy = encryptAesgcm({ plaintext, uaPublicKey: keys.publicKey, authSecret: keys.auth });

describe('decryptNotification', () => {
  it('is null for an empty push', () => {
    expect(decryptNotification({}, keys)).toBeNull();
    expect(decryptNotification({ data: '' }, keys)).toBeNull();
  });

  it('reads aes128gcm, named or not (a body without an encoding can only be aes128gcm)', () => {
    for (const encoding of ['aes128gcm', undefined] as const) {
      const plain = decryptNotification({ data: sealed128, encoding }, keys);
      expect(utf8Decode(plain!)).toBe('{"title":"both ways"}');
    }
  });

  it('reads aesgcm with the Encryption and Crypto-Key passed along', () => {
    const plain = decryptNotification(
      {
        data: encodeBase64Url(legacy.body),
        encoding: 'aesgcm',
        encryption: legacy.encryption,
        cryptoKey: `${legacy.cryptoKey};p256ecdsa=BVapidKeyOfTheSender`,
      },
      keys,
    );
    expect(utf8Decode(plain!)).toBe('{"title":"both ways"}');
  });

  it('refuses aesgcm without its headers, a body under the wrong encoding, and bad base64url', () => {
    const data = encodeBase64Url(legacy.body);
    for (const frame of [
      { data, encoding: 'aesgcm' as const, encryption: legacy.encryption },
      { data, encoding: 'aesgcm' as const, cryptoKey: legacy.cryptoKey },
      { data, encoding: 'aes128gcm' as const },
      { data: sealed128, encoding: 'aesgcm' as const, ...legacy, body: undefined },
      { data: 'not base64url!', encoding: 'aes128gcm' as const },
    ]) {
      expect(() => decryptNotification(frame, keys)).toThrow(PushDecryptError);
    }
  });

  it('refuses a message for another subscription', () => {
    const other = deriveSubscriptionKeys(generateSecretKey(), 'sub-1');
    expect(() => decryptNotification({ data: sealed128 }, other)).toThrow(PushDecryptError);
  });
});
