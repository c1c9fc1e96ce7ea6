import { createPublicKey, type KeyObject } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';

/**
 * Parses base64url of a 65-byte uncompressed P-256 point (a VAPID public key) into a
 * key node:crypto can verify with; null when it is not a valid point on the curve.
 */
export function parseP256PublicKey(base64url: string): KeyObject | null {
  if (!/^[A-Za-z0-9_-]+$/.test(base64url)) return null;
  const bytes = Buffer.from(base64url, 'base64url');
  if (bytes.length !== 65 || bytes[0] !== 0x04) return null;
  try {
    const point = p256.Point.fromBytes(bytes);
    if (point.is0()) return null;
  } catch {
    return null;
  }
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: bytes.subarray(1, 33).toString('base64url'),
      y: bytes.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
}
