// How a push travels through RabbitMQ: what the POST Office publishes must come back out of
// the consumer as the same message, and the TTL rules of docs/protocol.md §4 decide what is too late.
import type { ConsumeMessage, Options } from 'amqplib';
import { describe, expect, it } from 'vitest';
import {
  decodeDelivery,
  decodeEnvelope,
  encodeEnvelope,
  isExpired,
  type PushMessage,
  publishOptions,
} from './message.js';

const RECEIVED_AT = '2030-05-06T07:08:09.123Z';
const RECEIVED_MS = Date.parse(RECEIVED_AT);

function push(overrides: Partial<PushMessage> = {}): PushMessage {
  return {
    messageId: 'msg-1',
    subscriptionId: 'sub-1',
    body: Buffer.from([0, 1, 2, 250, 255]),
    encoding: 'aes128gcm',
    encryption: null,
    cryptoKey: null,
    ttl: 60,
    urgency: 'high',
    topic: 'score',
    receivedAt: RECEIVED_AT,
    ...overrides,
  };
}

/** What amqplib hands a consumer for a message published with `content` and `options`. */
function delivered(content: Buffer, options: Options.Publish, redelivered = false): ConsumeMessage {
  return {
    content,
    fields: {
      deliveryTag: 7,
      redelivered,
      exchange: 'push.user.u1',
      routingKey: 'token',
      consumerTag: 'ctag-1',
    },
    properties: {
      contentType: undefined,
      contentEncoding: undefined,
      headers: options.headers,
      deliveryMode: options.persistent ? 2 : 1,
      priority: undefined,
      correlationId: undefined,
      replyTo: undefined,
      expiration: options.expiration,
      messageId: options.messageId,
      timestamp: options.timestamp,
      type: undefined,
      userId: undefined,
      appId: undefined,
      clusterId: undefined,
    },
  };
}

const roundTrip = (message: PushMessage, redelivered = false) =>
  decodeDelivery(delivered(encodeEnvelope(message), publishOptions(message), redelivered));

describe('publishOptions', () => {
  it('publishes persistently, mandatory, with the message id and the TTL in milliseconds', () => {
    const options = publishOptions(push({ ttl: 60 }));
    expect(options).toMatchObject({
      persistent: true,
      mandatory: true,
      messageId: 'msg-1',
      expiration: '60000',
    });
  });

  it('gives RabbitMQ the expiration as a string of ttl × 1000, "0" for TTL 0', () => {
    // amqplib sends expiration as a shortstr: a number here would be refused.
    for (const [ttl, expiration] of [
      [0, '0'],
      [1, '1000'],
      [2_592_000, '2592000000'],
    ] as const) {
      expect(publishOptions(push({ ttl })).expiration).toBe(expiration);
    }
  });

  it('carries no AMQP header table: everything else travels in the envelope', () => {
    expect(publishOptions(push()).headers).toBeUndefined();
  });
});

describe('the envelope', () => {
  it('adds nothing for the encoding and Topic when there are none', () => {
    const full = encodeEnvelope(push({ topic: 'score' }));
    const bare = encodeEnvelope(push({ encoding: null, topic: null }));
    expect(full.length - bare.length).toBe(1 + 'score'.length);
  });

  it('ends with the body, byte for byte', () => {
    const body = Buffer.from([9, 8, 7, 6]);
    expect(encodeEnvelope(push({ body })).subarray(-4).equals(body)).toBe(true);
  });

  it.each([
    ['is empty', Buffer.alloc(0)],
    ['has another version', Buffer.from([2, 0, 0, 0, 0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 1, 65])],
    ['is cut short inside the subscription id', encodeEnvelope(push()).subarray(0, 16)],
    [
      'names an unknown encoding',
      (() => {
        const b = encodeEnvelope(push());
        b[1] = b[1]! | 0x0c;
        return b;
      })(),
    ],
  ])('is refused (null) when it %s', (_label, content) => {
    expect(decodeEnvelope('msg-1', content)).toBeNull();
  });
});

describe('decodeDelivery', () => {
  it('reads back exactly what was published', () => {
    const message = push();
    expect(roundTrip(message)).toEqual(message);
  });

  it.each([
    [
      'an empty body, no encoding, no Topic',
      { body: Buffer.alloc(0), encoding: null, topic: null },
    ],
    ['TTL 0 and very-low urgency', { ttl: 0, urgency: 'very-low' as const }],
    ['the maximum TTL', { ttl: 2_592_000, urgency: 'low' as const }],
    ['the default urgency', { urgency: 'normal' as const }],
  ])('round-trips %s', (_label, overrides) => {
    const message = push(overrides);
    expect(roundTrip(message)).toEqual(message);
  });

  it('round-trips an aesgcm push with its Encryption and Crypto-Key exactly as received', () => {
    const message = push({
      encoding: 'aesgcm',
      encryption: 'salt="lngarbyKfMoi9Z75xYXmkg"; rs=4096',
      cryptoKey: 'keyid=p256dh;dh=BNoR,p256ecdsa=BKey',
    });
    expect(roundTrip(message)).toEqual(message);
  });

  it('carries Encryption and Crypto-Key only for aesgcm', () => {
    const plain = push({ encryption: 'salt=x', cryptoKey: 'dh=y' });
    expect(roundTrip(plain)).toMatchObject({ encryption: null, cryptoKey: null });
    expect(encodeEnvelope(plain).length).toBe(encodeEnvelope(push()).length);
  });

  it('is null for an aesgcm message missing either header (nobody could decrypt it)', () => {
    const message = push({ encoding: 'aesgcm', encryption: 'salt=x', cryptoKey: 'dh=y' });
    const envelope = encodeEnvelope({ ...message, body: Buffer.alloc(0) });
    // Cut inside the Crypto-Key field.
    expect(decodeEnvelope('msg-1', envelope.subarray(0, envelope.length - 2))).toBeNull();
    const legacy = {
      'x-push-subscription': 'sub-1',
      'x-push-encoding': 'aesgcm',
      'x-push-ttl': 60,
      'x-push-urgency': 'high',
      'x-push-received-at': RECEIVED_AT,
    };
    for (const present of [{ 'x-push-encryption': 'salt=x' }, { 'x-push-crypto-key': 'dh=y' }]) {
      const options = { ...publishOptions(message), headers: { ...legacy, ...present } };
      expect(decodeDelivery(delivered(message.body, options))).toBeNull();
    }
  });

  it('passes the body through untouched (the server never reads it)', () => {
    const body = Buffer.from('not even valid utf-8: \u00ff'.repeat(50), 'latin1');
    expect(roundTrip(push({ body }))?.body.equals(body)).toBe(true);
  });

  it('is null for a message without a message id (not published by this server)', () => {
    const message = push();
    const options = { ...publishOptions(message), messageId: undefined };
    expect(decodeDelivery(delivered(encodeEnvelope(message), options))).toBeNull();
  });

  it('still reads a message published before the envelope, with its fields as AMQP headers', () => {
    // Queues may hold such messages across an upgrade; none may be lost.
    const message = push();
    const legacy: Options.Publish = {
      ...publishOptions(message),
      headers: {
        'x-push-subscription': 'sub-1',
        'x-push-encoding': 'aes128gcm',
        'x-push-ttl': 60,
        'x-push-urgency': 'high',
        'x-push-topic': 'score',
        'x-push-received-at': RECEIVED_AT,
      },
    };
    expect(decodeDelivery(delivered(message.body, legacy))).toEqual(message);
  });

  it.each([
    ['no subscription', 'x-push-subscription', undefined],
    ['a fractional TTL', 'x-push-ttl', 1.5],
    ['a TTL that is not a number', 'x-push-ttl', 'soon'],
    ['an unknown urgency', 'x-push-urgency', 'urgent'],
    ['no receivedAt', 'x-push-received-at', undefined],
  ])('is null for a legacy message with %s', (_label, name, value) => {
    const headers: Record<string, unknown> = {
      'x-push-subscription': 'sub-1',
      'x-push-ttl': 60,
      'x-push-urgency': 'high',
      'x-push-received-at': RECEIVED_AT,
      [name]: value,
    };
    if (value === undefined) delete headers[name];
    const options = { ...publishOptions(push()), headers };
    expect(decodeDelivery(delivered(Buffer.from('x'), options))).toBeNull();
  });
});

describe('isExpired', () => {
  it('TTL 0: fine on first delivery at any time, always too late when redelivered', () => {
    const message = push({ ttl: 0 });
    expect(isExpired(message, false, RECEIVED_MS)).toBe(false);
    expect(isExpired(message, false, RECEIVED_MS + 3_600_000)).toBe(false);
    expect(isExpired(message, true, RECEIVED_MS)).toBe(true);
  });

  it('TTL > 0: expired from receivedAt + ttl on, redelivered or not', () => {
    const message = push({ ttl: 60 });
    for (const redelivered of [false, true]) {
      expect(isExpired(message, redelivered, RECEIVED_MS)).toBe(false);
      expect(isExpired(message, redelivered, RECEIVED_MS + 59_999)).toBe(false);
      expect(isExpired(message, redelivered, RECEIVED_MS + 60_000)).toBe(true);
      expect(isExpired(message, redelivered, RECEIVED_MS + 86_400_000)).toBe(true);
    }
  });

  it('uses the clock when no time is given', () => {
    const fresh = push({ ttl: 60, receivedAt: new Date().toISOString() });
    const stale = push({ ttl: 60, receivedAt: new Date(Date.now() - 61_000).toISOString() });
    expect(isExpired(fresh, false)).toBe(false);
    expect(isExpired(stale, false)).toBe(true);
  });
});
