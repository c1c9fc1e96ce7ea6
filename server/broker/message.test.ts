// How a push travels through RabbitMQ: what the POST Office publishes must come back out of
// the consumer as the same message, and the TTL rules of docs/protocol.md §4 decide what is too late.
import type { ConsumeMessage, Options } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { decodeDelivery, isExpired, type PushMessage, publishOptions } from './message.js';

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

/** What amqplib hands a consumer for a message published with `options`. */
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
  decodeDelivery(delivered(message.body, publishOptions(message), redelivered));

describe('publishOptions', () => {
  it('publishes persistently, mandatory, with the message id and the TTL in milliseconds', () => {
    const options = publishOptions(push({ ttl: 60 }));
    expect(options).toMatchObject({
      persistent: true,
      mandatory: true,
      messageId: 'msg-1',
      expiration: '60000',
      timestamp: Math.floor(RECEIVED_MS / 1000),
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

  it('leaves out the encoding and Topic headers when there are none', () => {
    // Absent rather than set to null, so a message without them carries nothing extra.
    const full = Object.keys(publishOptions(push()).headers ?? {});
    const bare = Object.keys(publishOptions(push({ encoding: null, topic: null })).headers ?? {});
    expect(full).toHaveLength(bare.length + 2);
    expect(
      Object.values(publishOptions(push({ encoding: null, topic: null })).headers ?? {}),
    ).not.toContain(null);
    expect(full.filter((k) => !bare.includes(k)).sort()).toEqual([
      'x-push-encoding',
      'x-push-topic',
    ]);
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

  it('publishes Encryption and Crypto-Key only when there are some', () => {
    const headers = Object.keys(publishOptions(push()).headers ?? {});
    expect(headers).not.toContain('x-push-encryption');
    expect(headers).not.toContain('x-push-crypto-key');
  });

  it('is null for an aesgcm message missing either header (nobody could decrypt it)', () => {
    const message = push({ encoding: 'aesgcm', encryption: 'salt=x', cryptoKey: 'dh=y' });
    for (const name of ['x-push-encryption', 'x-push-crypto-key']) {
      const options = dropHeader(publishOptions(message), name);
      expect(decodeDelivery(delivered(message.body, options))).toBeNull();
    }
  });

  it('passes the body through untouched (the server never reads it)', () => {
    const body = Buffer.from('not even valid utf-8: \u00ff'.repeat(50), 'latin1');
    expect(roundTrip(push({ body }))?.body.equals(body)).toBe(true);
  });

  it.each([
    ['no message id', (o: Options.Publish) => ({ ...o, messageId: undefined })],
    ['no headers', (o: Options.Publish) => ({ ...o, headers: undefined })],
    ['no subscription', (o: Options.Publish) => dropHeader(o, 'x-push-subscription')],
    ['no TTL', (o: Options.Publish) => dropHeader(o, 'x-push-ttl')],
    ['a fractional TTL', (o: Options.Publish) => setHeader(o, 'x-push-ttl', 1.5)],
    ['a TTL that is not a number', (o: Options.Publish) => setHeader(o, 'x-push-ttl', 'soon')],
    ['an unknown urgency', (o: Options.Publish) => setHeader(o, 'x-push-urgency', 'urgent')],
    ['no urgency', (o: Options.Publish) => dropHeader(o, 'x-push-urgency')],
    ['no receivedAt', (o: Options.Publish) => dropHeader(o, 'x-push-received-at')],
  ])('is null for a message with %s (not published by this server)', (_label, change) => {
    const message = push();
    expect(decodeDelivery(delivered(message.body, change(publishOptions(message))))).toBeNull();
  });
});

function dropHeader(options: Options.Publish, name: string): Options.Publish {
  const headers: Record<string, unknown> = { ...options.headers };
  delete headers[name];
  return { ...options, headers };
}

function setHeader(options: Options.Publish, name: string, value: unknown): Options.Publish {
  return { ...options, headers: { ...options.headers, [name]: value } };
}

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
