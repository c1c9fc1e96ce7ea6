// docs/protocol.md §5: a subscription's `meta` names the site it belongs to, so the client seals it
// before the server stores it. XChaCha20's 24-byte nonce is safe to pick at random. A binding
// record (the meta of a second subscription that names the first one's subscriptionId, written
// once that id is known) is sealed with its own associated data, so a binding record never
// opens as a site's meta, nor a site's meta as a binding record.
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

/** The associated data of binding records (docs/protocol.md §5). */
export const BINDING_ASSOCIATED_DATA = utf8Encode('push subscription binding');

/** Seals `value` as JSON; `associatedData` (authenticated, not stored) must match to open it. */
export function encryptMeta(
  metaKey: Uint8Array,
  value: unknown,
  associatedData?: Uint8Array,
): string {
  requireKey(metaKey);
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('meta value cannot be represented as JSON');
  const nonce = randomBytes(NONCE_BYTES);
  const sealed = xchacha20poly1305(metaKey, nonce, associatedData).encrypt(utf8Encode(json));
  return encodeBase64Url(concatBytes(nonce, sealed));
}

export function decryptMeta(
  metaKey: Uint8Array,
  sealed: string,
  associatedData?: Uint8Array,
): unknown {
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
    plain = xchacha20poly1305(metaKey, bytes.subarray(0, NONCE_BYTES), associatedData).decrypt(
      bytes.subarray(NONCE_BYTES),
    );
  } catch {
    throw new MetaDecryptError(
      'meta failed authentication (wrong key, tampered, or sealed for another purpose)',
    );
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
