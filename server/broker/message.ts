// How a push is carried through RabbitMQ. The AMQP body is a small binary envelope — what
// the Client Agent needs to frame the notification, then the request body as received (the
// server never reads it). Only what RabbitMQ itself acts on travels as AMQP properties:
// persistence, the message id (to match returns of unroutable publishes) and the
// expiration. An AMQP header table per message cost more CPU than the rest of the publish
// (measured with --cpu-prof, docs/performance.md), a fixed binary layout almost nothing.
import type { ConsumeMessage, Options } from 'amqplib';
import { isUrgency, type PushEncoding, URGENCIES, type Urgency } from '../../shared/protocol.js';

export interface PushMessage {
  messageId: string;
  subscriptionId: string;
  body: Buffer;
  encoding: PushEncoding | null;
  /** aesgcm only: the push's Encryption and Crypto-Key headers, which the device needs. */
  encryption: string | null;
  cryptoKey: string | null;
  /** Seconds, as applied at the POST. */
  ttl: number;
  urgency: Urgency;
  topic: string | null;
  /** ISO 8601 UTC time the POST Office accepted it. */
  receivedAt: string;
}

/**
 * Envelope layout, version 1 (all integers big-endian):
 *   u8  version = 1
 *   u8  flags: bits 0–1 urgency (index in URGENCIES), bits 2–3 encoding (0 none,
 *       1 aes128gcm, 2 aesgcm), bit 4 topic present
 *   u32 ttl seconds
 *   f64 receivedAt, milliseconds since the epoch
 *   u8  length + subscriptionId (ASCII)
 *   [u8 length + topic]                      when bit 4 is set
 *   [u16 length + encryption, u16 + cryptoKey] when the encoding is aesgcm
 *   the request body, to the end
 */
const VERSION = 1;
const ENCODINGS: readonly (PushEncoding | null)[] = [null, 'aes128gcm', 'aesgcm'];
const TOPIC_FLAG = 0x10;
const FIXED_BYTES = 1 + 1 + 4 + 8;

/** Encodes a message's AMQP body: the envelope followed by the push body. */
export function encodeEnvelope(message: PushMessage): Buffer {
  const subscriptionId = Buffer.from(message.subscriptionId, 'latin1');
  const topic = message.topic === null ? null : Buffer.from(message.topic, 'latin1');
  const aesgcm = message.encoding === 'aesgcm';
  const encryption = aesgcm ? Buffer.from(message.encryption ?? '', 'utf8') : null;
  const cryptoKey = aesgcm ? Buffer.from(message.cryptoKey ?? '', 'utf8') : null;
  const size =
    FIXED_BYTES +
    1 +
    subscriptionId.length +
    (topic ? 1 + topic.length : 0) +
    (encryption && cryptoKey ? 4 + encryption.length + cryptoKey.length : 0) +
    message.body.length;
  const out = Buffer.allocUnsafe(size);
  let flags = URGENCIES.indexOf(message.urgency) | (ENCODINGS.indexOf(message.encoding) << 2);
  if (topic) flags |= TOPIC_FLAG;
  out[0] = VERSION;
  out[1] = flags;
  out.writeUInt32BE(message.ttl, 2);
  out.writeDoubleBE(Date.parse(message.receivedAt), 6);
  let at = FIXED_BYTES;
  at = writeShort(out, at, subscriptionId);
  if (topic) at = writeShort(out, at, topic);
  if (encryption && cryptoKey) {
    at = writeLong(out, at, encryption);
    at = writeLong(out, at, cryptoKey);
  }
  message.body.copy(out, at);
  return out;
}

function writeShort(out: Buffer, at: number, value: Buffer): number {
  out[at] = value.length;
  value.copy(out, at + 1);
  return at + 1 + value.length;
}

function writeLong(out: Buffer, at: number, value: Buffer): number {
  out.writeUInt16BE(value.length, at);
  value.copy(out, at + 2);
  return at + 2 + value.length;
}

/** What RabbitMQ needs to know of a push; everything else is in the envelope. */
export function publishOptions(message: PushMessage): Options.Publish {
  return {
    persistent: true,
    mandatory: true,
    messageId: message.messageId,
    // RabbitMQ drops the message once this passes, even from a queue nobody consumes;
    // "0" means: deliver only to a consumer ready right now.
    expiration: String(message.ttl * 1000),
  };
}

/** Reads an envelope back; null when it is not one (not published by this server). */
export function decodeEnvelope(messageId: string, content: Buffer): PushMessage | null {
  if (content.length < FIXED_BYTES + 1 || content[0] !== VERSION) return null;
  const flags = content[1]!;
  const urgency = URGENCIES[flags & 0x03]!;
  const encoding = ENCODINGS[(flags >> 2) & 0x03];
  if (encoding === undefined) return null;
  const ttl = content.readUInt32BE(2);
  const receivedMs = content.readDoubleBE(6);
  if (!Number.isFinite(receivedMs)) return null;
  const reader = { at: FIXED_BYTES };
  const subscriptionId = readShort(content, reader);
  const topic = flags & TOPIC_FLAG ? readShort(content, reader) : null;
  let encryption: string | null = null;
  let cryptoKey: string | null = null;
  if (encoding === 'aesgcm') {
    encryption = readLong(content, reader);
    cryptoKey = readLong(content, reader);
    if (encryption === null || cryptoKey === null) return null;
  }
  if (!subscriptionId || (flags & TOPIC_FLAG && !topic)) return null;
  return {
    messageId,
    subscriptionId,
    body: content.subarray(reader.at),
    encoding,
    encryption,
    cryptoKey,
    ttl,
    urgency,
    topic,
    receivedAt: new Date(receivedMs).toISOString(),
  };
}

function readShort(content: Buffer, reader: { at: number }): string | null {
  const length = content[reader.at];
  if (length === undefined || reader.at + 1 + length > content.length) return null;
  const value = content.toString('latin1', reader.at + 1, reader.at + 1 + length);
  reader.at += 1 + length;
  return value;
}

function readLong(content: Buffer, reader: { at: number }): string | null {
  if (reader.at + 2 > content.length) return null;
  const length = content.readUInt16BE(reader.at);
  if (reader.at + 2 + length > content.length) return null;
  const value = content.toString('utf8', reader.at + 2, reader.at + 2 + length);
  reader.at += 2 + length;
  return value;
}

// Messages published before the envelope carried their fields as AMQP headers. A queue may
// still hold some after an upgrade; they are read the old way so that none is lost.
const LEGACY = {
  subscription: 'x-push-subscription',
  encoding: 'x-push-encoding',
  encryption: 'x-push-encryption',
  cryptoKey: 'x-push-crypto-key',
  ttl: 'x-push-ttl',
  urgency: 'x-push-urgency',
  topic: 'x-push-topic',
  receivedAt: 'x-push-received-at',
} as const;

function decodeLegacy(messageId: string, msg: ConsumeMessage): PushMessage | null {
  const headers = msg.properties.headers as Record<string, unknown> | undefined;
  if (!headers) return null;
  const subscriptionId = headers[LEGACY.subscription];
  const ttl = Number(headers[LEGACY.ttl]);
  const urgency = String(headers[LEGACY.urgency]);
  const receivedAt = headers[LEGACY.receivedAt];
  if (
    typeof subscriptionId !== 'string' ||
    !Number.isInteger(ttl) ||
    !isUrgency(urgency) ||
    typeof receivedAt !== 'string'
  ) {
    return null;
  }
  const topic = headers[LEGACY.topic];
  const encoding = headers[LEGACY.encoding];
  const aesgcm = encoding === 'aesgcm';
  const encryption = headers[LEGACY.encryption];
  const cryptoKey = headers[LEGACY.cryptoKey];
  if (aesgcm && (typeof encryption !== 'string' || typeof cryptoKey !== 'string')) return null;
  return {
    messageId,
    subscriptionId,
    body: msg.content,
    encoding: encoding === 'aes128gcm' || aesgcm ? encoding : null,
    encryption: aesgcm ? (encryption as string) : null,
    cryptoKey: aesgcm ? (cryptoKey as string) : null,
    ttl,
    urgency,
    topic: typeof topic === 'string' ? topic : null,
    receivedAt,
  };
}

/** Reads a delivered message back; null when it was not published by this server. */
export function decodeDelivery(msg: ConsumeMessage): PushMessage | null {
  const messageId = msg.properties.messageId;
  if (typeof messageId !== 'string' || messageId.length === 0) return null;
  const headers = msg.properties.headers as Record<string, unknown> | undefined;
  if (headers && LEGACY.subscription in headers) return decodeLegacy(messageId, msg);
  return decodeEnvelope(messageId, msg.content);
}

/**
 * A message whose TTL has passed must never be delivered, even one delivered before and
 * not acked. A TTL 0 message is only for the client connected when it arrived, so a
 * redelivery of it is always too late.
 */
export function isExpired(
  message: PushMessage,
  redelivered: boolean,
  now: number = Date.now(),
): boolean {
  if (message.ttl === 0) return redelivered;
  return Date.parse(message.receivedAt) + message.ttl * 1000 <= now;
}
