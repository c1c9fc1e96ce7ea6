// `applicationServerKey` as the W3C Push API takes it: a base64url string or a BufferSource
// holding a 65-byte uncompressed P-256 point. Sent on as base64url (docs/protocol.md §2).
import { decodeBase64Url, encodeBase64Url } from '../../shared/crypto/base64url.js';

const POINT_BYTES = 65;
const UNCOMPRESSED = 0x04;

function bytesOf(key: unknown): Uint8Array {
  if (typeof key === 'string') {
    try {
      return decodeBase64Url(key);
    } catch {
      throw new DOMException(
        'applicationServerKey is not valid base64url.',
        'InvalidCharacterError',
      );
    }
  }
  if (ArrayBuffer.isView(key)) return new Uint8Array(key.buffer, key.byteOffset, key.byteLength);
  // Not `instanceof`: a buffer from another frame has another ArrayBuffer constructor.
  const tag = Object.prototype.toString.call(key);
  if (tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]') {
    return new Uint8Array(key as ArrayBufferLike);
  }
  throw new TypeError('applicationServerKey must be a base64url string or a BufferSource.');
}

/** base64url of the key, or null when none was given. Throws DOMExceptions like browsers do. */
export function normalizeApplicationServerKey(key: unknown): string | null {
  if (key === undefined || key === null) return null;
  const bytes = bytesOf(key);
  if (bytes.length !== POINT_BYTES || bytes[0] !== UNCOMPRESSED) {
    throw new DOMException(
      'applicationServerKey must be an uncompressed P-256 public key (65 bytes).',
      'InvalidAccessError',
    );
  }
  return encodeBase64Url(bytes);
}
