// docs/protocol.md §5: every device that knows the user's secret key derives the same key pair and
// auth secret for a subscription, so any of them can read any push, and none of it ever
// reaches the server.
import { mapHashToField } from '@noble/curves/abstract/modular.js';
import { p256 } from '@noble/curves/nist.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { PushSubscriptionJSON } from '../protocol.js';
import { encodeBase64Url, randomBytes, utf8Encode } from './base64url.js';

export const SECRET_KEY_BYTES = 32;
/** 48 bytes (1.5× the scalar size) keeps the modulo bias of the reduction negligible. */
const SEED_BYTES = 48;
const AUTH_BYTES = 16;
const META_KEY_BYTES = 32;
const NO_SALT = new Uint8Array(0);

export interface SubscriptionKeys {
  privateKey: Uint8Array;
  /** Uncompressed P-256 point (65 bytes): the subscription's p256dh. */
  publicKey: Uint8Array;
  auth: Uint8Array;
}

export function generateSecretKey(): Uint8Array {
  return randomBytes(SECRET_KEY_BYTES);
}

export function deriveSubscriptionKeys(
  secretKey: Uint8Array,
  subscriptionId: string,
): SubscriptionKeys {
  requireSecretKey(secretKey);
  const seed = hkdf(
    sha256,
    secretKey,
    NO_SALT,
    utf8Encode(`push subscription key ${subscriptionId}`),
    SEED_BYTES,
  );
  // (OS2IP(seed) mod (n − 1)) + 1: always a valid, non-zero scalar.
  const privateKey = mapHashToField(seed, p256.Point.Fn.ORDER);
  const publicKey = p256.getPublicKey(privateKey, false);
  const auth = hkdf(
    sha256,
    secretKey,
    NO_SALT,
    utf8Encode(`push subscription auth ${subscriptionId}`),
    AUTH_BYTES,
  );
  return { privateKey, publicKey, auth };
}

/** Key for sealing subscription `meta` (see meta.ts). */
export function deriveMetaKey(secretKey: Uint8Array): Uint8Array {
  requireSecretKey(secretKey);
  return hkdf(sha256, secretKey, NO_SALT, utf8Encode('push subscription meta'), META_KEY_BYTES);
}

/** The W3C PushSubscription.toJSON() shape that any Web Push library can send to. */
export function toPushSubscriptionJSON(
  endpoint: string,
  keys: { publicKey: Uint8Array; auth: Uint8Array },
): PushSubscriptionJSON {
  return {
    endpoint,
    expirationTime: null,
    keys: { p256dh: encodeBase64Url(keys.publicKey), auth: encodeBase64Url(keys.auth) },
  };
}

function requireSecretKey(secretKey: Uint8Array): void {
  if (secretKey.length !== SECRET_KEY_BYTES) {
    throw new RangeError(`secret key must be ${SECRET_KEY_BYTES} bytes, got ${secretKey.length}`);
  }
}
