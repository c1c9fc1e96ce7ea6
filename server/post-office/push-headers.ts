// The RFC 8030 request headers of a push, checked in the order docs/protocol.md §4 gives.
import {
  isUrgency,
  MAX_TTL_SECONDS,
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
  encoding: 'aes128gcm' | null;
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

export function parseEncoding(value: string | undefined, bodyLength: number): 'aes128gcm' | null {
  if (bodyLength === 0) return null;
  if (value?.trim().toLowerCase() !== 'aes128gcm') {
    throw new HttpError(
      415,
      'unsupported_encoding',
      'a non-empty body must be encrypted with Content-Encoding: aes128gcm (RFC 8291)',
      { 'Accept-Encoding': 'aes128gcm' },
    );
  }
  return 'aes128gcm';
}

export function parsePushHeaders(header: HeaderReader, bodyLength: number): PushHeaders {
  return {
    ttl: parseTtl(header('ttl')),
    urgency: parseUrgency(header('urgency')),
    topic: parseTopic(header('topic')),
    encoding: parseEncoding(header('content-encoding'), bodyLength),
  };
}
