// How a push is carried through RabbitMQ: the body is the request body as received (the
// server never reads it); everything else travels in message properties and headers.
import type { ConsumeMessage, Options } from 'amqplib';
import { isUrgency, type PushEncoding, type Urgency } from '../../shared/protocol.js';

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

const H = {
  subscription: 'x-push-subscription',
  encoding: 'x-push-encoding',
  encryption: 'x-push-encryption',
  cryptoKey: 'x-push-crypto-key',
  ttl: 'x-push-ttl',
  urgency: 'x-push-urgency',
  topic: 'x-push-topic',
  receivedAt: 'x-push-received-at',
} as const;

export function publishOptions(message: PushMessage): Options.Publish {
  const headers: Record<string, string | number> = {
    [H.subscription]: message.subscriptionId,
    [H.ttl]: message.ttl,
    [H.urgency]: message.urgency,
    [H.receivedAt]: message.receivedAt,
  };
  if (message.encoding) headers[H.encoding] = message.encoding;
  if (message.encryption !== null) headers[H.encryption] = message.encryption;
  if (message.cryptoKey !== null) headers[H.cryptoKey] = message.cryptoKey;
  if (message.topic) headers[H.topic] = message.topic;
  return {
    persistent: true,
    mandatory: true,
    messageId: message.messageId,
    // RabbitMQ drops the message once this passes, even from a queue nobody consumes;
    // "0" means: deliver only to a consumer ready right now.
    expiration: String(message.ttl * 1000),
    timestamp: Math.floor(Date.parse(message.receivedAt) / 1000),
    headers,
  };
}

function header(msg: ConsumeMessage, name: string): unknown {
  return (msg.properties.headers as Record<string, unknown> | undefined)?.[name];
}

/** Reads a delivered message back; null when it was not published by this server. */
export function decodeDelivery(msg: ConsumeMessage): PushMessage | null {
  const messageId = msg.properties.messageId;
  const subscriptionId = header(msg, H.subscription);
  const ttl = Number(header(msg, H.ttl));
  const urgency = String(header(msg, H.urgency));
  const receivedAt = header(msg, H.receivedAt);
  if (
    typeof messageId !== 'string' ||
    typeof subscriptionId !== 'string' ||
    !Number.isInteger(ttl) ||
    !isUrgency(urgency) ||
    typeof receivedAt !== 'string'
  ) {
    return null;
  }
  const encoding = header(msg, H.encoding);
  const encryption = header(msg, H.encryption);
  const cryptoKey = header(msg, H.cryptoKey);
  // An aesgcm body is unreadable without both headers; the POST Office never publishes one.
  if (encoding === 'aesgcm' && (typeof encryption !== 'string' || typeof cryptoKey !== 'string')) {
    return null;
  }
  const topic = header(msg, H.topic);
  return {
    messageId,
    subscriptionId,
    body: msg.content,
    encoding: encoding === 'aes128gcm' || encoding === 'aesgcm' ? encoding : null,
    encryption: encoding === 'aesgcm' ? (encryption as string) : null,
    cryptoKey: encoding === 'aesgcm' ? (cryptoKey as string) : null,
    ttl,
    urgency,
    topic: typeof topic === 'string' ? topic : null,
    receivedAt,
  };
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
