// docs/protocol.md §5: a subscription's `meta` names the site it belongs to, so the client seals it
// before the server stores it. XChaCha20's 24-byte nonce is safe to pick at random.
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import {
  concatBytes,
  decodeBase64Url,
  encodeBase64Url,
  randomBytes,
  utf8Decode,
  utf8Encode,
} from './base64url.js';

/** The sealed value is malformed, was changed, or was sealed under another key. */
export class MetaDecryptError extends Error {
  override name = 'MetaDecryptError';
}

const KEY_BYTES = 32;
const NONCE_BYTES = 24;
const TAG_BYTES = 16;

export function encryptMeta(metaKey: Uint8Array, value: unknown): string {
  requireKey(metaKey);
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('meta value cannot be represented as JSON');
  const nonce = randomBytes(NONCE_BYTES);
  const sealed = xchacha20poly1305(metaKey, nonce).encrypt(utf8Encode(json));
  return encodeBase64Url(concatBytes(nonce, sealed));
}

export function decryptMeta(metaKey: Uint8Array, sealed: string): unknown {
  requireKey(metaKey);
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64Url(sealed);
  } catch {
    throw new MetaDecryptError('meta is not base64url');
  }
  if (bytes.length < NONCE_BYTES + TAG_BYTES) throw new MetaDecryptError('meta is too short');
  let plain: Uint8Array;
  try {
    plain = xchacha20poly1305(metaKey, bytes.subarray(0, NONCE_BYTES)).decrypt(
      bytes.subarray(NONCE_BYTES),
    );
  } catch {
    throw new MetaDecryptError('meta failed authentication (wrong key or tampered)');
  }
  try {
    return JSON.parse(utf8Decode(plain)) as unknown;
  } catch {
    throw new MetaDecryptError('meta does not hold JSON');
  }
}

function requireKey(metaKey: Uint8Array): void {
  if (metaKey.length !== KEY_BYTES) {
    throw new RangeError(`meta key must be ${KEY_BYTES} bytes, got ${metaKey.length}`);
  }
}
