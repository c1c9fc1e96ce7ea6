// RFC 8188 "aes128gcm" content coding with the RFC 8291 Web Push key schedule: the sender
// (application server) encrypts to the subscription's p256dh key and auth secret, and only
// clients holding the subscription's private key can read the body. The server never calls this.
import { gcm } from '@noble/ciphers/aes.js';
import { p256 } from '@noble/curves/nist.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, randomBytes, utf8Encode } from './base64url.js';

/** Thrown for every body that cannot be read: malformed header, wrong key, tampering, truncation. */
export class PushDecryptError extends Error {
  override name = 'PushDecryptError';
}

const SALT_BYTES = 16;
const AUTH_SECRET_BYTES = 16;
const PUBLIC_KEY_BYTES = 65;
const PRIVATE_KEY_BYTES = 32;
const TAG_BYTES = 16;
/** salt(16) ‖ rs(4) ‖ idlen(1); the keyid follows. */
const FIXED_HEADER_BYTES = 21;
/** RFC 8188 §2.1: a record must hold at least the delimiter and the tag, plus one byte. */
const MIN_RECORD_SIZE = 18;
const DEFAULT_RECORD_SIZE = 4096;
const DELIMITER_NOT_LAST = 1;
const DELIMITER_LAST = 2;

const KEY_INFO_LABEL = utf8Encode('WebPush: info\0');
const CEK_INFO = utf8Encode('Content-Encoding: aes128gcm\0');
const NONCE_INFO = utf8Encode('Content-Encoding: nonce\0');

export interface EncryptPushPayloadOptions {
  plaintext: Uint8Array;
  /** The subscription's p256dh: a 65-byte uncompressed P-256 point. */
  uaPublicKey: Uint8Array;
  /** The subscription's 16-byte auth secret. */
  authSecret: Uint8Array;
  /** Fixed sender key, only for reproducing test vectors; normally a fresh one per message. */
  asPrivateKey?: Uint8Array;
  /** Fixed salt, only for reproducing test vectors; normally random. */
  salt?: Uint8Array;
  recordSize?: number;
  /** Extra zero bytes after the delimiter, to hide the plaintext length. */
  padding?: number;
}

export interface DecryptPushPayloadOptions {
  body: Uint8Array;
  uaPrivateKey: Uint8Array;
  uaPublicKey: Uint8Array;
  authSecret: Uint8Array;
}

/** RFC 8291 §3.3–3.4: the ECDH secret mixed with the auth secret and both public keys. */
export function deriveWebPushIkm(
  ecdhSecret: Uint8Array,
  authSecret: Uint8Array,
  uaPublicKey: Uint8Array,
  asPublicKey: Uint8Array,
): Uint8Array {
  const keyInfo = concatBytes(KEY_INFO_LABEL, uaPublicKey, asPublicKey);
  return hkdf(sha256, ecdhSecret, authSecret, keyInfo, 32);
}

/** RFC 8188 §2.2–2.3: content encryption key and base nonce from the IKM and the salt. */
export function deriveContentKeys(
  ikm: Uint8Array,
  salt: Uint8Array,
): { cek: Uint8Array; nonce: Uint8Array } {
  return {
    cek: hkdf(sha256, ikm, salt, CEK_INFO, 16),
    nonce: hkdf(sha256, ikm, salt, NONCE_INFO, 12),
  };
}

export function encryptPushPayload(opts: EncryptPushPayloadOptions): Uint8Array {
  const recordSize = opts.recordSize ?? DEFAULT_RECORD_SIZE;
  const padding = opts.padding ?? 0;
  requireLength('uaPublicKey', opts.uaPublicKey, PUBLIC_KEY_BYTES);
  requireLength('authSecret', opts.authSecret, AUTH_SECRET_BYTES);
  if (!Number.isInteger(recordSize) || recordSize < MIN_RECORD_SIZE || recordSize > 0xffffffff) {
    throw new RangeError(`recordSize must be an integer from ${MIN_RECORD_SIZE} to 2^32-1`);
  }
  if (!Number.isInteger(padding) || padding < 0) {
    throw new RangeError('padding must be a non-negative integer');
  }

  const asPrivateKey = opts.asPrivateKey ?? p256.utils.randomSecretKey();
  requireLength('asPrivateKey', asPrivateKey, PRIVATE_KEY_BYTES);
  const salt = opts.salt ?? randomBytes(SALT_BYTES);
  requireLength('salt', salt, SALT_BYTES);

  const asPublicKey = p256.getPublicKey(asPrivateKey, false);
  const ecdhSecret = sharedX(asPrivateKey, opts.uaPublicKey);
  const ikm = deriveWebPushIkm(ecdhSecret, opts.authSecret, opts.uaPublicKey, asPublicKey);
  const { cek, nonce } = deriveContentKeys(ikm, salt);

  const header = new Uint8Array(FIXED_HEADER_BYTES + asPublicKey.length);
  header.set(salt, 0);
  new DataView(header.buffer).setUint32(SALT_BYTES, recordSize);
  header[SALT_BYTES + 4] = asPublicKey.length;
  header.set(asPublicKey, FIXED_HEADER_BYTES);

  const records = splitIntoRecords(opts.plaintext, padding, recordSize).map((plain, seq) =>
    gcm(cek, recordNonce(nonce, seq)).encrypt(plain),
  );
  return concatBytes(header, ...records);
}

/**
 * Lays data followed by `padding` zeros across records: every record but the last is full
 * (RFC 8188 §2: a decoder splits the ciphertext every `rs` bytes), and each record carries its
 * delimiter between its share of the data and its share of the padding. RFC 8291 wants one
 * record, which is what the default record size gives for anything a push service accepts.
 */
function splitIntoRecords(data: Uint8Array, padding: number, recordSize: number): Uint8Array[] {
  const capacity = recordSize - TAG_BYTES - 1;
  const total = data.length + padding;
  const count = Math.max(1, Math.ceil(total / capacity));
  const records: Uint8Array[] = [];
  for (let seq = 0; seq < count; seq++) {
    const start = seq * capacity;
    const end = Math.min(total, start + capacity);
    const dataPart = data.subarray(Math.min(start, data.length), Math.min(end, data.length));
    const record = new Uint8Array(end - start + 1);
    record.set(dataPart, 0);
    record[dataPart.length] = seq === count - 1 ? DELIMITER_LAST : DELIMITER_NOT_LAST;
    records.push(record);
  }
  return records;
}

export function decryptPushPayload(opts: DecryptPushPayloadOptions): Uint8Array {
  const { body } = opts;
  requireLength('uaPrivateKey', opts.uaPrivateKey, PRIVATE_KEY_BYTES);
  requireLength('uaPublicKey', opts.uaPublicKey, PUBLIC_KEY_BYTES);
  requireLength('authSecret', opts.authSecret, AUTH_SECRET_BYTES);

  if (body.length < FIXED_HEADER_BYTES) throw new PushDecryptError('body shorter than its header');
  const salt = body.subarray(0, SALT_BYTES);
  const recordSize = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(
    SALT_BYTES,
  );
  const keyIdLength = body[SALT_BYTES + 4]!;
  if (recordSize < MIN_RECORD_SIZE)
    throw new PushDecryptError(`record size ${recordSize} too small`);
  // RFC 8291 §4: the keyid is the sender's uncompressed public key and nothing else.
  if (keyIdLength !== PUBLIC_KEY_BYTES) {
    throw new PushDecryptError(`keyid must be a ${PUBLIC_KEY_BYTES}-byte public key`);
  }
  const contentStart = FIXED_HEADER_BYTES + keyIdLength;
  if (body.length <= contentStart) throw new PushDecryptError('body has no records');
  const asPublicKey = body.subarray(FIXED_HEADER_BYTES, contentStart);

  let ecdhSecret: Uint8Array;
  try {
    ecdhSecret = sharedX(opts.uaPrivateKey, asPublicKey);
  } catch {
    throw new PushDecryptError('sender key in the header is not a valid P-256 point');
  }
  const ikm = deriveWebPushIkm(ecdhSecret, opts.authSecret, opts.uaPublicKey, asPublicKey);
  const { cek, nonce } = deriveContentKeys(ikm, salt);

  const content = body.subarray(contentStart);
  const parts: Uint8Array[] = [];
  for (let start = 0, seq = 0; start < content.length; start += recordSize, seq++) {
    const record = content.subarray(start, Math.min(content.length, start + recordSize));
    const isLast = start + recordSize >= content.length;
    if (record.length <= TAG_BYTES) throw new PushDecryptError(`record ${seq} is truncated`);
    let plain: Uint8Array;
    try {
      plain = gcm(cek, recordNonce(nonce, seq)).decrypt(record);
    } catch {
      throw new PushDecryptError(`record ${seq} failed authentication (wrong key or tampered)`);
    }
    parts.push(stripPadding(plain, isLast, seq));
  }
  return concatBytes(...parts);
}

/** Removes the trailing zeros and the delimiter, which must say whether this is the last record. */
function stripPadding(plain: Uint8Array, isLast: boolean, seq: number): Uint8Array {
  let i = plain.length - 1;
  while (i >= 0 && plain[i] === 0) i--;
  if (i < 0) throw new PushDecryptError(`record ${seq} has no padding delimiter`);
  const delimiter = plain[i];
  if (isLast && delimiter !== DELIMITER_LAST) {
    // A full record marked "more follows" at the end means the body was cut at a record boundary.
    throw new PushDecryptError('body is truncated: last record is not marked as last');
  }
  if (!isLast && delimiter !== DELIMITER_NOT_LAST) {
    throw new PushDecryptError(`record ${seq} has an invalid padding delimiter`);
  }
  return plain.subarray(0, i);
}

/** RFC 8188 §2.3: the base nonce XOR the record sequence number (big-endian, right-aligned). */
function recordNonce(base: Uint8Array, seq: number): Uint8Array {
  const nonce = base.slice();
  let rest = seq;
  for (let i = nonce.length - 1; i >= 0 && rest > 0; i--) {
    nonce[i] = nonce[i]! ^ (rest & 0xff);
    rest = Math.floor(rest / 256);
  }
  return nonce;
}

/** The x coordinate of the shared point, which is the "ecdh_secret" of RFC 8291. */
function sharedX(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return p256.getSharedSecret(privateKey, publicKey, true).subarray(1);
}

function requireLength(name: string, value: Uint8Array, length: number): void {
  if (value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
  }
}
