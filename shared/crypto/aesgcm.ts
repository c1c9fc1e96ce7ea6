// The legacy "aesgcm" content coding of draft-ietf-webpush-encryption-04 (records of
// draft-ietf-httpbis-encryption-encoding-03), still sent by older Web Push libraries and by
// some current ones (docs/protocol.md §4). Unlike aes128gcm, the salt, record size and the
// sender's key travel in the Encryption and Crypto-Key headers rather than in the body, so the
// server hands those headers to the device beside the body (docs/protocol.md §3). Only clients
// and senders call the crypto here; the server uses the header parsers to refuse malformed
// headers before storing a message nobody could read.
import { gcm } from '@noble/ciphers/aes.js';
import { p256 } from '@noble/curves/nist.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { PushDecryptError } from './aes128gcm.js';
import {
  concatBytes,
  decodeBase64Url,
  encodeBase64Url,
  randomBytes,
  utf8Encode,
} from './base64url.js';

/** An Encryption or Crypto-Key header that cannot be used; `header` names which one. */
export class PushHeaderError extends PushDecryptError {
  override name = 'PushHeaderError';
  constructor(
    readonly header: 'Encryption' | 'Crypto-Key',
    message: string,
  ) {
    super(message);
  }
}

const SALT_BYTES = 16;
const AUTH_SECRET_BYTES = 16;
const PUBLIC_KEY_BYTES = 65;
const PRIVATE_KEY_BYTES = 32;
const TAG_BYTES = 16;
/** Each aesgcm record starts with a 2-byte big-endian count of the zero bytes that follow. */
const PAD_LENGTH_BYTES = 2;
const MAX_PAD_PER_RECORD = 0xffff;
/** The draft's default when Encryption has no rs. */
const DEFAULT_RECORD_SIZE = 4096;
/** The pad length and at least one byte of padding or data. */
const MIN_RECORD_SIZE = PAD_LENGTH_BYTES + 1;
const MAX_RECORD_SIZE = 0xffffffff;

const AUTH_INFO = utf8Encode('Content-Encoding: auth\0');
const CEK_INFO = utf8Encode('Content-Encoding: aesgcm\0');
const NONCE_INFO = utf8Encode('Content-Encoding: nonce\0');
const CONTEXT_LABEL = utf8Encode('P-256\0');

// ---------------------------------------------------------------------------------------
// Headers

/** One entry of a parameter-list header: its parameters, names lower-cased. */
export type HeaderParams = ReadonlyMap<string, string>;

/** RFC 7230 tchar. */
const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
/** Unquoted values may also end in base64 padding, which older senders add. */
const VALUE_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z=]/;

/**
 * Parses `a=1;b="2", c=3` (the Encryption and Crypto-Key grammar: a comma-separated list of
 * entries, each a semicolon-separated list of name=value) into one map per entry. Throws a
 * plain Error with a short reason for anything else; callers say which header it was.
 */
export function parseParamList(value: string): HeaderParams[] {
  const entries: Map<string, string>[] = [];
  let current = new Map<string, string>();
  let i = 0;
  const n = value.length;
  const skipSpace = () => {
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
  };
  const endEntry = () => {
    if (current.size > 0) entries.push(current);
    current = new Map();
  };
  for (;;) {
    skipSpace();
    if (i >= n) break;
    if (value[i] === ',') {
      endEntry();
      i++;
      continue;
    }
    if (value[i] === ';') {
      i++;
      continue;
    }
    const nameStart = i;
    while (i < n && TOKEN_CHAR.test(value[i]!)) i++;
    const name = value.slice(nameStart, i).toLowerCase();
    if (name === '') throw new Error(`unexpected ${JSON.stringify(value[i])} at position ${i}`);
    skipSpace();
    if (value[i] !== '=') throw new Error(`${name} has no value`);
    i++;
    skipSpace();
    let paramValue = '';
    if (value[i] === '"') {
      i++;
      while (i < n && value[i] !== '"') {
        if (value[i] === '\\') i++;
        if (i < n) paramValue += value[i];
        i++;
      }
      if (i >= n) throw new Error(`the quoted value of ${name} is not closed`);
      i++;
    } else {
      const valueStart = i;
      while (i < n && VALUE_CHAR.test(value[i]!)) i++;
      paramValue = value.slice(valueStart, i);
    }
    if (paramValue === '') throw new Error(`${name} is empty`);
    if (current.has(name)) throw new Error(`${name} appears twice in one entry`);
    current.set(name, paramValue);
    skipSpace();
    if (i < n && value[i] !== ';' && value[i] !== ',') {
      throw new Error(`unexpected ${JSON.stringify(value[i])} after ${name}`);
    }
  }
  endEntry();
  return entries;
}

/** The one value of `name` across all entries; null when absent, an Error when given twice. */
export function singleParam(entries: readonly HeaderParams[], name: string): string | null {
  let found: string | null = null;
  for (const entry of entries) {
    const value = entry.get(name);
    if (value === undefined) continue;
    if (found !== null) throw new Error(`${name} is given more than once`);
    found = value;
  }
  return found;
}

function decodeExact(value: string, bytes: number, what: string): Uint8Array {
  let decoded: Uint8Array;
  try {
    decoded = decodeBase64Url(value);
  } catch {
    throw new Error(`${what} is not base64url`);
  }
  if (decoded.length !== bytes) {
    throw new Error(`${what} must be ${bytes} bytes, got ${decoded.length}`);
  }
  return decoded;
}

export interface EncryptionParams {
  salt: Uint8Array;
  /** Bytes of plaintext (pad length, padding and data) per record; 4096 when not given. */
  recordSize: number;
}

/** `Encryption: salt=<16 bytes>[;rs=<n>]`: exactly one salt, rs optional. */
export function parseEncryptionHeader(value: string): EncryptionParams {
  try {
    const entries = parseParamList(value);
    const salt = singleParam(entries, 'salt');
    if (salt === null) throw new Error('salt=<16 bytes, base64url> is missing');
    const rs = singleParam(entries, 'rs');
    let recordSize = DEFAULT_RECORD_SIZE;
    if (rs !== null) {
      // Digits only, and compared as text first so a huge number cannot round into range.
      if (!/^[0-9]{1,10}$/.test(rs)) throw new Error('rs must be a number of bytes');
      recordSize = Number(rs);
      if (recordSize < MIN_RECORD_SIZE || recordSize > MAX_RECORD_SIZE) {
        throw new Error(`rs must be from ${MIN_RECORD_SIZE} to ${MAX_RECORD_SIZE}`);
      }
    }
    return { salt: decodeExact(salt, SALT_BYTES, 'salt'), recordSize };
  } catch (err) {
    throw new PushHeaderError('Encryption', (err as Error).message);
  }
}

export interface CryptoKeyParams {
  /** The sender's ephemeral public key (65-byte uncompressed P-256 point), for aesgcm. */
  dh: Uint8Array | null;
  /** The sender's VAPID key as written, for the legacy `WebPush` Authorization scheme. */
  p256ecdsa: string | null;
}

/**
 * `Crypto-Key: dh=<key>[;p256ecdsa=<key>]` — the entries may also be separated by commas, as
 * senders differ. Each parameter may appear once; dh, when present, must be 65 bytes in the
 * uncompressed form (0x04 ‖ x ‖ y). Whether that is a point on the curve is left to
 * decryption, like everything else about the body: a push service cannot check it any more
 * than it can check the ciphertext.
 */
export function parseCryptoKeyHeader(value: string): CryptoKeyParams {
  try {
    const entries = parseParamList(value);
    const dhText = singleParam(entries, 'dh');
    const p256ecdsa = singleParam(entries, 'p256ecdsa');
    let dh: Uint8Array | null = null;
    if (dhText !== null) {
      dh = decodeExact(dhText, PUBLIC_KEY_BYTES, 'dh');
      if (dh[0] !== 0x04) throw new Error('dh must be an uncompressed point (starting 0x04)');
    }
    return { dh, p256ecdsa };
  } catch (err) {
    throw new PushHeaderError('Crypto-Key', (err as Error).message);
  }
}

// ---------------------------------------------------------------------------------------
// Keys

function lengthPrefixed(key: Uint8Array): Uint8Array {
  return concatBytes(new Uint8Array([key.length >> 8, key.length & 0xff]), key);
}

export interface AesgcmKeys {
  /** HKDF(auth, ecdh_secret, "Content-Encoding: auth\0"): the draft's IKM. */
  ikm: Uint8Array;
  /** "P-256\0" ‖ len ‖ ua_public ‖ len ‖ as_public, mixed into both derivations. */
  context: Uint8Array;
  cek: Uint8Array;
  nonce: Uint8Array;
}

/** draft-ietf-webpush-encryption-04 §3 and the "aesgcm" key schedule, step by step. */
export function deriveAesgcmKeys(
  ecdhSecret: Uint8Array,
  authSecret: Uint8Array,
  uaPublicKey: Uint8Array,
  asPublicKey: Uint8Array,
  salt: Uint8Array,
): AesgcmKeys {
  const ikm = hkdf(sha256, ecdhSecret, authSecret, AUTH_INFO, 32);
  const context = concatBytes(
    CONTEXT_LABEL,
    lengthPrefixed(uaPublicKey),
    lengthPrefixed(asPublicKey),
  );
  return {
    ikm,
    context,
    cek: hkdf(sha256, ikm, salt, concatBytes(CEK_INFO, context), 16),
    nonce: hkdf(sha256, ikm, salt, concatBytes(NONCE_INFO, context), 12),
  };
}

// ---------------------------------------------------------------------------------------
// Encrypt and decrypt

export interface EncryptAesgcmOptions {
  plaintext: Uint8Array;
  /** The subscription's p256dh. */
  uaPublicKey: Uint8Array;
  /** The subscription's 16-byte auth secret. */
  authSecret: Uint8Array;
  /** Fixed sender key, only for reproducing test vectors; normally fresh per message. */
  asPrivateKey?: Uint8Array;
  /** Fixed salt, only for reproducing test vectors; normally random. */
  salt?: Uint8Array;
  /** Plaintext bytes per record (pad length + padding + data); 4096 by default. */
  recordSize?: number;
  /** Zero bytes to add, to hide the plaintext length. */
  padding?: number;
}

export interface AesgcmMessage {
  body: Uint8Array;
  /** The Encryption header value to send. */
  encryption: string;
  /** The Crypto-Key header value to send. */
  cryptoKey: string;
}

export function encryptAesgcm(opts: EncryptAesgcmOptions): AesgcmMessage {
  const recordSize = opts.recordSize ?? DEFAULT_RECORD_SIZE;
  const padding = opts.padding ?? 0;
  requireLength('uaPublicKey', opts.uaPublicKey, PUBLIC_KEY_BYTES);
  requireLength('authSecret', opts.authSecret, AUTH_SECRET_BYTES);
  if (
    !Number.isInteger(recordSize) ||
    recordSize < MIN_RECORD_SIZE ||
    recordSize > MAX_RECORD_SIZE
  ) {
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
  if (!ecdhSecret) throw new RangeError('uaPublicKey is not a P-256 public key');
  const { cek, nonce } = deriveAesgcmKeys(
    ecdhSecret,
    opts.authSecret,
    opts.uaPublicKey,
    asPublicKey,
    salt,
  );
  const records = splitIntoRecords(opts.plaintext, padding, recordSize).map((plain, seq) =>
    gcm(cek, recordNonce(nonce, seq)).encrypt(plain),
  );
  const rs = recordSize === DEFAULT_RECORD_SIZE ? '' : `;rs=${recordSize}`;
  return {
    body: concatBytes(...records),
    encryption: `salt=${encodeBase64Url(salt)}${rs}`,
    cryptoKey: `dh=${encodeBase64Url(asPublicKey)}`,
  };
}

/**
 * Each record is pad length ‖ zeros ‖ data, at most `recordSize` bytes. A decoder takes a
 * record shorter than `recordSize` as the last one, so a body whose last record came out full
 * gets one more record with nothing in it.
 */
function splitIntoRecords(data: Uint8Array, padding: number, recordSize: number): Uint8Array[] {
  const records: Uint8Array[] = [];
  let offset = 0;
  let padLeft = padding;
  for (;;) {
    // Leave room for a byte of data in each record while there is padding to spread, except
    // in the smallest records, which then carry padding only.
    const pad =
      padLeft === 0
        ? 0
        : Math.min(
            padLeft,
            Math.max(1, recordSize - PAD_LENGTH_BYTES - 1),
            recordSize - PAD_LENGTH_BYTES,
            MAX_PAD_PER_RECORD,
          );
    padLeft -= pad;
    const end = Math.min(data.length, offset + recordSize - PAD_LENGTH_BYTES - pad);
    const record = new Uint8Array(PAD_LENGTH_BYTES + pad + (end - offset));
    record[0] = pad >> 8;
    record[1] = pad & 0xff;
    record.set(data.subarray(offset, end), PAD_LENGTH_BYTES + pad);
    records.push(record);
    offset = end;
    if (offset >= data.length && padLeft === 0 && record.length < recordSize) return records;
  }
}

export interface DecryptAesgcmOptions {
  body: Uint8Array;
  /** The Encryption header as the sender sent it. */
  encryption: string;
  /** The Crypto-Key header as the sender sent it. */
  cryptoKey: string;
  uaPrivateKey: Uint8Array;
  uaPublicKey: Uint8Array;
  authSecret: Uint8Array;
}

/** Throws PushDecryptError (PushHeaderError for the headers) for anything unreadable. */
export function decryptAesgcm(opts: DecryptAesgcmOptions): Uint8Array {
  requireLength('uaPrivateKey', opts.uaPrivateKey, PRIVATE_KEY_BYTES);
  requireLength('uaPublicKey', opts.uaPublicKey, PUBLIC_KEY_BYTES);
  requireLength('authSecret', opts.authSecret, AUTH_SECRET_BYTES);
  const { salt, recordSize } = parseEncryptionHeader(opts.encryption);
  const { dh } = parseCryptoKeyHeader(opts.cryptoKey);
  if (!dh) throw new PushHeaderError('Crypto-Key', 'dh=<sender key> is missing');
  const { body } = opts;
  if (body.length === 0) throw new PushDecryptError('body has no records');

  const ecdhSecret = sharedX(opts.uaPrivateKey, dh);
  if (!ecdhSecret) throw new PushDecryptError('the sender key is not a P-256 public key');
  const { cek, nonce } = deriveAesgcmKeys(ecdhSecret, opts.authSecret, opts.uaPublicKey, dh, salt);
  const chunk = recordSize + TAG_BYTES;
  const parts: Uint8Array[] = [];
  for (let start = 0, seq = 0; start < body.length; start += chunk, seq++) {
    // The last record must be short: a body ending on a full record was cut after it.
    if (start + chunk === body.length) {
      throw new PushDecryptError('body is truncated: its last record is full');
    }
    const record = body.subarray(start, Math.min(body.length, start + chunk));
    if (record.length <= TAG_BYTES) throw new PushDecryptError(`record ${seq} is truncated`);
    let plain: Uint8Array;
    try {
      plain = gcm(cek, recordNonce(nonce, seq)).decrypt(record);
    } catch {
      throw new PushDecryptError(`record ${seq} failed authentication (wrong key or tampered)`);
    }
    parts.push(stripPadding(plain, seq));
  }
  return concatBytes(...parts);
}

function stripPadding(plain: Uint8Array, seq: number): Uint8Array {
  if (plain.length < PAD_LENGTH_BYTES) throw new PushDecryptError(`record ${seq} has no padding`);
  const pad = (plain[0]! << 8) | plain[1]!;
  const start = PAD_LENGTH_BYTES + pad;
  if (start > plain.length) throw new PushDecryptError(`record ${seq}: padding exceeds the record`);
  for (let i = PAD_LENGTH_BYTES; i < start; i++) {
    if (plain[i] !== 0) throw new PushDecryptError(`record ${seq}: padding is not zeros`);
  }
  return plain.subarray(start);
}

/** The base nonce XOR the record sequence number (big-endian, right-aligned). */
function recordNonce(base: Uint8Array, seq: number): Uint8Array {
  const nonce = base.slice();
  let rest = seq;
  for (let i = nonce.length - 1; i >= 0 && rest > 0; i--) {
    nonce[i] = nonce[i]! ^ (rest & 0xff);
    rest = Math.floor(rest / 256);
  }
  return nonce;
}

/** The x coordinate of the shared point (the draft's ecdh_secret); null for a bad key. */
function sharedX(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null {
  try {
    return p256.getSharedSecret(privateKey, publicKey, true).subarray(1);
  } catch {
    return null;
  }
}

function requireLength(name: string, value: Uint8Array, length: number): void {
  if (value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
  }
}
