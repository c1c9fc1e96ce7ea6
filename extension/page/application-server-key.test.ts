import { describe, expect, it } from 'vitest';
import { encodeBase64Url } from '../../shared/crypto/base64url.js';
import { normalizeApplicationServerKey } from './application-server-key.js';

const point = new Uint8Array(65).fill(7);
point[0] = 4;
const base64url = encodeBase64Url(point);

describe('normalizeApplicationServerKey', () => {
  it('takes base64url (with or without padding) and every kind of BufferSource', () => {
    expect(normalizeApplicationServerKey(base64url)).toBe(base64url);
    expect(normalizeApplicationServerKey(`${base64url}=`)).toBe(base64url);
    expect(normalizeApplicationServerKey(point)).toBe(base64url);
    expect(normalizeApplicationServerKey(point.buffer)).toBe(base64url);
    expect(normalizeApplicationServerKey(new DataView(point.buffer))).toBe(base64url);
    const padded = new Uint8Array(70);
    padded.set(point, 5);
    expect(normalizeApplicationServerKey(padded.subarray(5))).toBe(base64url);
  });

  it('treats a missing key as none', () => {
    expect(normalizeApplicationServerKey(undefined)).toBeNull();
    expect(normalizeApplicationServerKey(null)).toBeNull();
  });

  it('rejects like a browser does', () => {
    const name = (key: unknown) => {
      try {
        normalizeApplicationServerKey(key);
        return 'accepted';
      } catch (err) {
        return (err as Error).name;
      }
    };
    expect(name('not+base64/url')).toBe('InvalidCharacterError');
    expect(name(point.subarray(1))).toBe('InvalidAccessError');
    expect(name(new Uint8Array(65))).toBe('InvalidAccessError');
    expect(name(42)).toBe('TypeError');
  });
});
