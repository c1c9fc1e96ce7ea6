// The RFC 8030 request headers of a push, checked in the order docs/protocol.md §4 gives.
import { parseCryptoKeyHeader, parseEncryptionHeader } from '../../shared/crypto/aesgcm.js';
import {
  isUrgency,
  MAX_TTL_SECONDS,
  type PushEncoding,
  TOPIC_PATTERN,
  URGENCIES,
  type Urgency,
} from '../../shared/protocol.js';
import { badRequest, HttpError } from '../http/errors.js';

export interface PushHeaders {
  /** Applied TTL: the requested one, capped at 30 days. */
  ttl: number;
  urgency: Urgency;
  topic: string | null;
  encoding: PushEncoding | null;
  /** aesgcm only: the Encryption header as received, checked to be usable. */
  encryption: string | null;
  /** aesgcm only: the Crypto-Key header as received, checked to hold a usable dh. */
  cryptoKey: string | null;
}

type HeaderReader = (name: string) => string | undefined;

export function parseTtl(value: string | undefined): number {
  if (value === undefined) throw badRequest('the TTL header is required (seconds)', 'invalid_ttl');
  const trimmed = value.trim();
  if (!/^[0-9]+$/.test(trimmed)) {
    throw badRequest('TTL must be a number of seconds (digits only)', 'invalid_ttl');
  }
  // Compare as a string first so a thousand-digit TTL cannot overflow into nonsense.
  const digits = trimmed.replace(/^0+(?=\d)/, '');
  if (digits.length > 10) return MAX_TTL_SECONDS;
  return Math.min(Number(digits), MAX_TTL_SECONDS);
}

export function parseUrgency(value: string | undefined): Urgency {
  if (value === undefined) return 'normal';
  const urgency = value.trim();
  if (!isUrgency(urgency)) {
    throw badRequest(`Urgency must be one of ${URGENCIES.join(', ')}`, 'invalid_urgency');
  }
  return urgency;
}

export function parseTopic(value: string | undefined): string | null {
  if (value === undefined) return null;
  const topic = value.trim();
  if (!TOPIC_PATTERN.test(topic)) {
    throw badRequest('Topic must be 1–32 base64url characters', 'invalid_topic');
  }
  return topic;
}

export function parseEncoding(value: string | undefined, bodyLength: number): PushEncoding | null {
  if (bodyLength === 0) return null;
  const encoding = value?.trim().toLowerCase();
  if (encoding !== 'aes128gcm' && encoding !== 'aesgcm') {
    throw new HttpError(
      415,
      'unsupported_encoding',
      'a non-empty body must be encrypted: Content-Encoding aes128gcm (RFC 8291), or the legacy aesgcm',
      { 'Accept-Encoding': 'aes128gcm, aesgcm' },
    );
  }
  return encoding;
}

/**
 * Both headers travel with the message to the device, so they are bounded: a real one is about
 * 200 characters (dh, a VAPID key, a keyid).
 */
export const MAX_AESGCM_HEADER_LENGTH = 1024;

/**
 * aesgcm keeps its salt and the sender's key in headers the device needs to decrypt: a
 * message without usable ones could never be read, so it is refused here rather than stored.
 */
export function parseAesgcmHeaders(
  encryption: string | undefined,
  cryptoKey: string | undefined,
): { encryption: string; cryptoKey: string } {
  if (encryption === undefined || encryption.trim() === '') {
    throw badRequest(
      'Content-Encoding: aesgcm needs an Encryption header (salt=<16 bytes, base64url>)',
      'invalid_encryption',
    );
  }
  if (cryptoKey === undefined || cryptoKey.trim() === '') {
    throw badRequest(
      'Content-Encoding: aesgcm needs a Crypto-Key header (dh=<sender public key, base64url>)',
      'invalid_crypto_key',
    );
  }
  if (encryption.length > MAX_AESGCM_HEADER_LENGTH) {
    throw badRequest(
      `Encryption must be at most ${MAX_AESGCM_HEADER_LENGTH} characters`,
      'invalid_encryption',
    );
  }
  if (cryptoKey.length > MAX_AESGCM_HEADER_LENGTH) {
    throw badRequest(
      `Crypto-Key must be at most ${MAX_AESGCM_HEADER_LENGTH} characters`,
      'invalid_crypto_key',
    );
  }
  try {
    parseEncryptionHeader(encryption);
  } catch (err) {
    throw badRequest(`Encryption: ${(err as Error).message}`, 'invalid_encryption');
  }
  let dh: Uint8Array | null;
  try {
    dh = parseCryptoKeyHeader(cryptoKey).dh;
  } catch (err) {
    throw badRequest(`Crypto-Key: ${(err as Error).message}`, 'invalid_crypto_key');
  }
  if (!dh) {
    throw badRequest(
      'Crypto-Key needs dh=<sender public key, base64url> for aesgcm',
      'invalid_crypto_key',
    );
  }
  return { encryption, cryptoKey };
}

export function parsePushHeaders(header: HeaderReader, bodyLength: number): PushHeaders {
  const ttl = parseTtl(header('ttl'));
  const urgency = parseUrgency(header('urgency'));
  const topic = parseTopic(header('topic'));
  const encoding = parseEncoding(header('content-encoding'), bodyLength);
  const aesgcm =
    encoding === 'aesgcm'
      ? parseAesgcmHeaders(header('encryption'), header('crypto-key'))
      : { encryption: null, cryptoKey: null };
  return { ttl, urgency, topic, encoding, ...aesgcm };
}
