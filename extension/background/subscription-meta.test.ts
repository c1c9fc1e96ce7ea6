import { describe, expect, it } from 'vitest';
import { deriveMetaKey, encryptMeta, generateSecretKey } from '../../shared/crypto/index.js';
import { SubscriptionMeta } from '../../shared/protocol.js';
import {
  AddonSubscriptionMeta,
  openBinding,
  openMeta,
  opensWith,
  sealBinding,
} from './subscription-meta.js';

const KEY = `B${'A'.repeat(86)}`;

describe('AddonSubscriptionMeta', () => {
  it('extends the shared meta: origin and createdAt stay required, the key is optional', () => {
    const base = { origin: 'https://a.example', createdAt: '2025-01-01T00:00:00.000Z' };
    expect(AddonSubscriptionMeta.parse(base)).toEqual(base);
    expect(AddonSubscriptionMeta.parse({ ...base, applicationServerKey: KEY })).toEqual({
      ...base,
      applicationServerKey: KEY,
    });
    expect(AddonSubscriptionMeta.safeParse({ origin: base.origin }).success).toBe(false);
    expect(
      AddonSubscriptionMeta.safeParse({ ...base, applicationServerKey: 'not base64url!' }).success,
    ).toBe(false);
    // What the add-on writes is still a valid shared SubscriptionMeta for other clients.
    expect(SubscriptionMeta.safeParse({ ...base, applicationServerKey: KEY }).success).toBe(true);
  });
});

describe('openMeta', () => {
  const metaKey = deriveMetaKey(generateSecretKey());
  const createdAt = '2025-01-01T00:00:00.000Z';

  it('tells a recorded key, a recorded "no key" and an older meta without the field apart', () => {
    const origin = 'https://a.example';
    expect(
      openMeta(metaKey, encryptMeta(metaKey, { origin, createdAt, applicationServerKey: KEY })),
    ).toEqual({ origin, createdAt, applicationServerKey: KEY, bound: false });
    expect(
      openMeta(metaKey, encryptMeta(metaKey, { origin, createdAt, applicationServerKey: null })),
    ).toEqual({ origin, createdAt, applicationServerKey: null, bound: false });
    expect(openMeta(metaKey, encryptMeta(metaKey, { origin, createdAt }))).toEqual({
      origin,
      createdAt,
      applicationServerKey: undefined,
      bound: false,
    });
  });

  it('says whether the meta was written with a binding record', () => {
    const origin = 'https://a.example';
    const sealed = encryptMeta(metaKey, {
      origin,
      createdAt,
      applicationServerKey: null,
      bound: true,
    });
    expect(openMeta(metaKey, sealed)?.bound).toBe(true);
    expect(openMeta(metaKey, encryptMeta(metaKey, { origin, createdAt, bound: false }))).toBeNull();
  });

  it('gives null for another key, no meta, a non-web origin or a wrong shape', () => {
    const other = deriveMetaKey(generateSecretKey());
    expect(openMeta(metaKey, null)).toBeNull();
    expect(openMeta(metaKey, encryptMeta(other, { origin: 'https://a.example', createdAt }))).toBe(
      null,
    );
    expect(openMeta(metaKey, encryptMeta(metaKey, { origin: 'javascript:x', createdAt }))).toBe(
      null,
    );
    expect(openMeta(metaKey, encryptMeta(metaKey, { origin: 'https://a.example' }))).toBeNull();
  });
});

describe('binding records', () => {
  const metaKey = deriveMetaKey(generateSecretKey());
  const binding = {
    subscriptionId: 'sub-1',
    origin: 'https://a.example',
    createdAt: '2025-01-01T00:00:00.000Z',
    applicationServerKey: KEY,
  };

  it('open as binding records only, never as a site meta (and the other way round)', () => {
    const sealed = sealBinding(metaKey, binding);
    expect(openBinding(metaKey, sealed)).toEqual(binding);
    expect(openMeta(metaKey, sealed)).toBeNull();
    const site = encryptMeta(metaKey, { origin: binding.origin, createdAt: binding.createdAt });
    expect(openBinding(metaKey, site)).toBeNull();
    expect(opensWith(metaKey, sealed)).toBe(true);
    expect(opensWith(metaKey, site)).toBe(true);
  });

  it('give null for another key, junk, or a non-web origin', () => {
    const other = deriveMetaKey(generateSecretKey());
    expect(openBinding(other, sealBinding(metaKey, binding))).toBeNull();
    expect(opensWith(other, sealBinding(metaKey, binding))).toBe(false);
    expect(openBinding(metaKey, null)).toBeNull();
    expect(openBinding(metaKey, 'junk')).toBeNull();
    expect(openBinding(metaKey, sealBinding(metaKey, { ...binding, origin: 'file:///x' }))).toBe(
      null,
    );
  });
});
