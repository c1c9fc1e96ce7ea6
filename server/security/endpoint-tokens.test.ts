import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EndpointTokens } from './endpoint-tokens.js';

describe('EndpointTokens', () => {
  const tokens = new EndpointTokens(randomBytes(32));

  it('derives a 256-bit token per subscription id, the same every time, under this key only', () => {
    const token = tokens.derive('sub-1');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokens.derive('sub-1')).toBe(token);
    expect(tokens.derive('sub-2')).not.toBe(token);
    expect(new EndpointTokens(randomBytes(32)).derive('sub-1')).not.toBe(token);
    expect(tokens.tokenOf({ subscriptionId: 'sub-1', legacyTokenSealed: null })).toBe(token);
  });

  it('seals an older random token so it can be shown again, and only under this key', () => {
    const legacy = randomBytes(32).toString('base64url');
    const sealed = tokens.seal(legacy);
    expect(sealed).not.toContain(legacy);
    expect(tokens.seal(legacy)).not.toBe(sealed); // a fresh nonce each time
    expect(tokens.tokenOf({ subscriptionId: 'sub-3', legacyTokenSealed: sealed })).toBe(legacy);
    expect(() => new EndpointTokens(randomBytes(32)).unseal(sealed)).toThrow();
  });

  it('refuses a key of the wrong size', () => {
    expect(() => new EndpointTokens(randomBytes(16))).toThrow(/32 bytes/);
  });
});
