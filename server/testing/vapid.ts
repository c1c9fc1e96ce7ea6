// Builds VAPID headers with any claims, including ones npm web-push refuses to make
// (an exp more than 24 h ahead), to test the POST Office's checks.
import { createPrivateKey, sign } from 'node:crypto';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

export function vapidHeader(keys: VapidKeys, claims: Record<string, unknown>): string {
  const pub = Buffer.from(keys.publicKey, 'base64url');
  const key = createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      d: keys.privateKey,
      x: pub.subarray(1, 33).toString('base64url'),
      y: pub.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
  const header = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'ES256' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), {
    key,
    dsaEncoding: 'ieee-p1363',
  });
  return `vapid t=${header}.${payload}.${signature.toString('base64url')}, k=${keys.publicKey}`;
}
