// Signing side of VAPID (RFC 8292), for senders (the CLI, tests, the demo could use it):
// an ES256 JWT over {aud, exp, sub}, sent as `Authorization: vapid t=<JWT>, k=<key>`.
import { p256 } from '@noble/curves/nist.js';
import { decodeBase64Url, encodeBase64Url, utf8Encode } from './base64url.js';

export interface VapidKeyPair {
  /** base64url of the 65-byte uncompressed public point. */
  publicKey: string;
  /** base64url of the 32-byte private scalar. */
  privateKey: string;
}

export function generateVapidKeys(): VapidKeyPair {
  const secret = p256.utils.randomSecretKey();
  return {
    publicKey: encodeBase64Url(p256.getPublicKey(secret, false)),
    privateKey: encodeBase64Url(secret),
  };
}

/** The origin a push service expects as `aud`: scheme://host[:port] of the endpoint. */
export function audienceOf(endpoint: string): string {
  return new URL(endpoint).origin;
}

/** Builds the Authorization header value; claims may be anything (tests craft bad ones). */
export function vapidAuthorization(keys: VapidKeyPair, claims: Record<string, unknown>): string {
  const header = encodeBase64Url(utf8Encode(JSON.stringify({ typ: 'JWT', alg: 'ES256' })));
  const payload = encodeBase64Url(utf8Encode(JSON.stringify(claims)));
  const signature = p256.sign(utf8Encode(`${header}.${payload}`), decodeBase64Url(keys.privateKey));
  return `vapid t=${header}.${payload}.${encodeBase64Url(signature)}, k=${keys.publicKey}`;
}

/** The usual header for one endpoint: aud from the endpoint, exp 12 hours ahead. */
export function vapidAuthorizationFor(
  endpoint: string,
  keys: VapidKeyPair,
  subject: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): string {
  return vapidAuthorization(keys, {
    aud: audienceOf(endpoint),
    exp: nowSeconds + 12 * 3600,
    sub: subject,
  });
}
