// Byte helpers of the J-PAKE library: strict (canonical) base64url on top of the shared
// codec, length-prefixed concatenation, UTF-8 and a constant-time comparison. No Buffer, no
// node:crypto: this runs in the add-on too.
import { decodeBase64Url, encodeBase64Url } from '../base64url.js';
import { JpakeError } from './errors';

/** base64url without padding (RFC 4648 §5). */
export const toBase64Url = encodeBase64Url;

/**
 * Strict base64url decoding: no padding, no whitespace, no characters outside the URL-safe
 * alphabet, and unused trailing bits must be zero, so every byte string has exactly one
 * accepted text form (checked by encoding the result again). `expectedLength` (in bytes) is
 * checked when given.
 */
export function fromBase64Url(text: string, expectedLength?: number, what = 'value'): Uint8Array {
  let out: Uint8Array;
  try {
    if (typeof text !== 'string') throw new Error('not a string');
    out = decodeBase64Url(text);
  } catch {
    throw new JpakeError('invalid_message', `${what} is not base64url`);
  }
  if (encodeBase64Url(out) !== text) {
    throw new JpakeError('invalid_message', `${what} is not canonical base64url`);
  }
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new JpakeError('invalid_message', `${what} must be ${expectedLength} bytes`);
  }
  return out;
}

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** 4-byte big-endian length of each part, then the part: `len(p1) ‖ p1 ‖ len(p2) ‖ p2 ‖ …`. */
export function lengthPrefixed(...parts: Array<Uint8Array | string>): Uint8Array {
  const bytes = parts.map((p) => (typeof p === 'string' ? utf8(p) : p));
  const out = new Uint8Array(bytes.reduce((n, b) => n + 4 + b.length, 0));
  const view = new DataView(out.buffer);
  let o = 0;
  for (const b of bytes) {
    view.setUint32(o, b.length, false);
    out.set(b, o + 4);
    o += 4 + b.length;
  }
  return out;
}

/** Compares two byte strings in time that depends only on their lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
