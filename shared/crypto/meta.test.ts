import { describe, expect, it } from 'vitest';
import { SubscriptionMeta } from '../protocol.js';
import { decodeBase64Url, encodeBase64Url, randomBytes } from './base64url.js';
import { BINDING_ASSOCIATED_DATA, decryptMeta, encryptMeta, MetaDecryptError } from './meta.js';
import { deriveMetaKey, generateSecretKey } from './subscription-keys.js';

const meta: SubscriptionMeta = {
  origin: 'https://news.example',
  createdAt: '2025-01-02T03:04:05.000Z',
};

describe('meta sealing', () => {
  it('round-trips a subscription meta object', () => {
    const key = deriveMetaKey(generateSecretKey());
    const sealed = encryptMeta(key, meta);
    expect(SubscriptionMeta.parse(decryptMeta(key, sealed))).toEqual(meta);
  });

  it('round-trips other JSON values', () => {
    const key = randomBytes(32);
    for (const value of [null, 0, 'text', [1, 'two', { three: 3 }], { nested: { ü: '🍉' } }]) {
      expect(decryptMeta(key, encryptMeta(key, value))).toEqual(value);
    }
  });

  it('is base64url of nonce(24) ‖ ciphertext ‖ tag(16), with a new nonce each time', () => {
    const key = randomBytes(32);
    const json = JSON.stringify(meta);
    const a = encryptMeta(key, meta);
    const b = encryptMeta(key, meta);
    expect(a).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeBase64Url(a)).toHaveLength(24 + json.length + 16);
    expect(a).not.toBe(b);
    expect(decodeBase64Url(a).subarray(0, 24)).not.toEqual(decodeBase64Url(b).subarray(0, 24));
    // The origin must not be readable by the server.
    expect(new TextDecoder().decode(decodeBase64Url(a))).not.toContain('news.example');
  });

  it('fits a typical meta well within the 4096-character limit', () => {
    expect(encryptMeta(randomBytes(32), meta).length).toBeLessThan(200);
  });

  it('fails with MetaDecryptError under another key', () => {
    const sealed = encryptMeta(deriveMetaKey(generateSecretKey()), meta);
    expect(() => decryptMeta(deriveMetaKey(generateSecretKey()), sealed)).toThrow(MetaDecryptError);
  });

  it('detects a change to any byte', () => {
    const key = randomBytes(32);
    const sealed = decodeBase64Url(encryptMeta(key, meta));
    for (let i = 0; i < sealed.length; i++) {
      const tampered = sealed.slice();
      tampered[i] = tampered[i]! ^ 0x80;
      expect(() => decryptMeta(key, encodeBase64Url(tampered)), `byte ${i}`).toThrow(
        MetaDecryptError,
      );
    }
  });

  it.each(['', 'not base64url!', 'AAAA', encodeBase64Url(new Uint8Array(39))])(
    'rejects the malformed value %j',
    (sealed) => {
      expect(() => decryptMeta(randomBytes(32), sealed)).toThrow(MetaDecryptError);
    },
  );

  it('opens a binding record only as one, and a site meta only as a site meta', () => {
    const key = randomBytes(32);
    const binding = { subscriptionId: 's1', ...meta };
    const sealed = encryptMeta(key, binding, BINDING_ASSOCIATED_DATA);
    expect(decryptMeta(key, sealed, BINDING_ASSOCIATED_DATA)).toEqual(binding);
    expect(() => decryptMeta(key, sealed)).toThrow(MetaDecryptError);
    expect(() => decryptMeta(key, encryptMeta(key, meta), BINDING_ASSOCIATED_DATA)).toThrow(
      MetaDecryptError,
    );
    // Same layout as any meta: the associated data is authenticated, not stored.
    expect(decodeBase64Url(sealed)).toHaveLength(24 + JSON.stringify(binding).length + 16);
  });

  it('rejects a truncated value', () => {
    const key = randomBytes(32);
    const sealed = encryptMeta(key, meta);
    expect(() => decryptMeta(key, sealed.slice(0, -4))).toThrow(MetaDecryptError);
  });

  it('refuses values JSON cannot hold and keys of the wrong size', () => {
    expect(() => encryptMeta(randomBytes(32), undefined)).toThrow(TypeError);
    expect(() => encryptMeta(randomBytes(16), meta)).toThrow(RangeError);
    expect(() => decryptMeta(randomBytes(16), 'AAAA')).toThrow(RangeError);
  });

  it('names the error class', () => {
    const error = (() => {
      try {
        decryptMeta(randomBytes(32), '');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(MetaDecryptError);
    expect((error as Error).name).toBe('MetaDecryptError');
  });
});
