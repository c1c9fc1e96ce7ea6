// The WebSocket session state machine (docs/protocol.md §3) with a fake socket, a fake broker
// consumer and fake lookups, so every transition and close code can be driven exactly,
// including races a real RabbitMQ only produces now and then (a delivery during the
// consumer's open, a socket closing mid-identify). The real thing is covered end to end in
// delivery.integration.test.ts; this pins down the rules one by one.
import type { ConsumeMessage } from 'amqplib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CloseCode, type ServerFrame } from '../../shared/protocol.js';
import type { ConsumerEndReason } from '../broker/consumer-pool.js';
import { QueueMissing } from '../broker/errors.js';
import { encodeEnvelope, type PushMessage, publishOptions } from '../broker/message.js';
import { createLogger } from '../observability/logger.js';
import { Metrics } from '../observability/metrics.js';
import { Admission } from './admission.js';
import {
  Session,
  type SessionConsumer,
  type SessionDeps,
  type SessionIdentity,
  type SessionTransport,
} from './session.js';

const TIMING = { helloTimeoutMs: 1000, pingIntervalMs: 500, idleTimeoutMs: 2000 };
const IDENTITY: SessionIdentity = { clientId: 'client-1', userId: 'user-1' };
const TOKEN = 'good-token';
const START = Date.parse('2030-01-01T00:00:00.000Z');

type ConsumerHandlers = Parameters<SessionDeps['openConsumer']>[1];

class FakeTransport implements SessionTransport {
  readonly sent: ServerFrame[] = [];
  readonly closes: Array<{ code: number; reason: string }> = [];
  send(frame: ServerFrame): void {
    this.sent.push(frame);
  }
  close(code: number, reason: string): void {
    this.closes.push({ code, reason });
  }
  get closeCodes(): number[] {
    return this.closes.map((c) => c.code);
  }
  get notifications() {
    return this.sent.flatMap((f) => (f.type === 'notification' ? [f] : []));
  }
}

class FakeConsumer implements SessionConsumer {
  readonly acked: ConsumeMessage[] = [];
  closeCalls = 0;
  ack(message: ConsumeMessage): void {
    this.acked.push(message);
  }
  async close(): Promise<void> {
    this.closeCalls++;
  }
}

interface Overrides {
  authenticate?: SessionDeps['authenticate'];
  /** Replaces opening the consumer; gets the session's handlers and the fake consumer. */
  openConsumer?: (handlers: ConsumerHandlers, consumer: FakeConsumer) => Promise<SessionConsumer>;
  isNewestForTopic?: SessionDeps['isNewestForTopic'];
  admission?: Admission;
  onHelloRefused?: () => void;
}

/** A session with fakes around it; `calls` records the order of side effects. */
function harness(overrides: Overrides = {}) {
  const transport = new FakeTransport();
  const consumer = new FakeConsumer();
  const metrics = new Metrics({ processMetrics: false });
  const calls: string[] = [];
  let handlers: ConsumerHandlers | null = null;
  const authenticate = vi.fn(
    overrides.authenticate ?? (async (token: string) => (token === TOKEN ? IDENTITY : null)),
  );
  const isNewestForTopic = vi.fn(overrides.isNewestForTopic ?? (async () => true));
  const claim = vi.fn((clientId: string, _session: Session) => {
    calls.push(`claim ${clientId}`);
  });
  const release = vi.fn((clientId: string, _session: Session) => {
    calls.push(`release ${clientId}`);
  });
  const touch = vi.fn((clientId: string) => {
    calls.push(`touch ${clientId}`);
  });
  const deps: SessionDeps = {
    authenticate,
    async openConsumer(clientId, h) {
      calls.push(`open ${clientId}`);
      handlers = h;
      return overrides.openConsumer ? overrides.openConsumer(h, consumer) : consumer;
    },
    isNewestForTopic,
    claim,
    release,
    touch,
    ...(overrides.admission ? { admission: overrides.admission } : {}),
    log: createLogger('silent'),
    metrics,
    timing: TIMING,
  };
  const session = new Session(
    transport,
    deps,
    overrides.onHelloRefused ? { onHelloRefused: overrides.onHelloRefused } : {},
  );
  return {
    session,
    transport,
    consumer,
    metrics,
    calls,
    authenticate,
    isNewestForTopic,
    claim,
    release,
    touch,
    /** The consumer's handlers, once the session asked for a consumer. */
    get handlers(): ConsumerHandlers {
      if (!handlers) throw new Error('no consumer was opened');
      return handlers;
    },
    /** Sends the client's hello and lets the session finish identifying. */
    async hello(token = TOKEN) {
      session.onText(JSON.stringify({ type: 'hello', clientToken: token }));
      await settle();
    },
    async deliver(message: ConsumeMessage) {
      this.handlers.onMessage(message);
      await settle();
    },
    async frame(value: unknown) {
      session.onText(JSON.stringify(value));
      await settle();
    },
  };
}

/** Runs every pending promise continuation (the fake clock does not move). */
const settle = () => vi.advanceTimersByTimeAsync(0);

let sequence = 0;
function push(overrides: Partial<PushMessage> = {}): PushMessage {
  sequence++;
  return {
    messageId: `msg-${sequence}`,
    subscriptionId: 'sub-1',
    body: Buffer.from([1, 2, 3, 250, 251, 252]),
    encoding: 'aes128gcm',
    encryption: null,
    cryptoKey: null,
    ttl: 60,
    urgency: 'normal',
    topic: null,
    receivedAt: new Date(Date.now()).toISOString(),
    ...overrides,
  };
}

/** The message a consumer receives for `message`, as amqplib would hand it over. */
function delivery(message: PushMessage, redelivered = false): ConsumeMessage {
  const options = publishOptions(message);
  const fake = {
    content: encodeEnvelope(message),
    fields: { deliveryTag: sequence, redelivered, exchange: '', routingKey: '', consumerTag: 'c' },
    properties: { headers: options.headers, messageId: options.messageId },
  };
  return fake as unknown as ConsumeMessage;
}

async function gauge(metric: { get(): Promise<{ values: Array<{ value: number }> }> }) {
  return (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(START);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('failed hellos', () => {
  it('reports each way a socket fails to identify, and never a good hello', async () => {
    const refused = vi.fn();
    const bad = harness({ onHelloRefused: refused });
    bad.session.onText('{"type":"ping"}');
    await settle();
    const unknown = harness({ onHelloRefused: refused });
    await unknown.hello('not-a-token');
    const silent = harness({ onHelloRefused: refused });
    await vi.advanceTimersByTimeAsync(TIMING.helloTimeoutMs);
    expect(silent.transport.closeCodes).toEqual([4401]);
    expect(refused).toHaveBeenCalledTimes(3);

    const good = harness({ onHelloRefused: refused });
    await good.hello();
    expect(good.session.stateName).toBe('identified');
    good.session.close(CloseCode.Unauthorized, 'client deleted');
    expect(refused).toHaveBeenCalledTimes(3);
  });
});

describe('before the hello', () => {
  it.each([
    ['a ping', '{"type":"ping"}'],
    ['an ack', '{"type":"ack","id":"msg-1"}'],
    ['invalid JSON', '{"type":"hello",'],
    ['a bare string', '"hello"'],
    ['null', 'null'],
    ['a hello without a token', '{"type":"hello"}'],
    ['a hello with an empty token', '{"type":"hello","clientToken":""}'],
    ['a hello with a numeric token', '{"type":"hello","clientToken":42}'],
  ])('closes with 4401 when the first frame is %s', async (_label, text) => {
    const h = harness();
    h.session.onText(text);
    await settle();
    expect(h.transport.closeCodes).toEqual([4401]);
    expect(h.session.stateName).toBe('closed');
    expect(h.authenticate).not.toHaveBeenCalled();
    expect(h.transport.sent).toEqual([]);
  });

  it('closes with 4401 when no hello arrives within the hello timeout', async () => {
    const h = harness();
    await vi.advanceTimersByTimeAsync(TIMING.helloTimeoutMs - 1);
    expect(h.transport.closes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.transport.closeCodes).toEqual([4401]);
    expect(h.session.stateName).toBe('closed');
  });

  it('a hello in time disarms the hello timeout', async () => {
    const h = harness();
    await vi.advanceTimersByTimeAsync(TIMING.helloTimeoutMs - 10);
    await h.hello();
    await vi.advanceTimersByTimeAsync(TIMING.helloTimeoutMs);
    expect(h.transport.closes).toEqual([]);
    expect(h.session.stateName).toBe('identified');
  });

  it('closes with 4401 on an unknown or revoked token, claiming and opening nothing', async () => {
    const h = harness();
    await h.hello('bad-token');
    expect(h.authenticate).toHaveBeenCalledWith('bad-token');
    expect(h.transport.closeCodes).toEqual([4401]);
    expect(h.transport.sent).toEqual([]);
    expect(h.calls).toEqual([]);
  });

  it('closes with 1011 when the token cannot be checked (database down)', async () => {
    const h = harness({
      authenticate: async () => {
        throw new Error('connection refused');
      },
    });
    await h.hello();
    expect(h.transport.closeCodes).toEqual([1011]);
    expect(h.calls).toEqual([]);
  });

  it('does nothing more when the socket closes while the token is being checked', async () => {
    let resolve: (identity: SessionIdentity) => void = () => {};
    const h = harness({ authenticate: () => new Promise((r) => (resolve = r)) });
    h.session.onText(JSON.stringify({ type: 'hello', clientToken: TOKEN }));
    h.session.onSocketClosed();
    resolve(IDENTITY);
    await settle();
    expect(h.calls).toEqual([]);
    expect(h.transport.sent).toEqual([]);
    expect(h.transport.closes).toEqual([]);
  });
});

describe('taking turns to identify', () => {
  it('waits while other hellos are being identified, then identifies', async () => {
    const admission = new Admission(1, 5);
    const held = await admission.acquire()!;
    const h = harness({ admission });
    await h.hello();
    expect(h.authenticate).not.toHaveBeenCalled();
    expect(h.session.stateName).toBe('identifying');
    held();
    await settle();
    expect(h.authenticate).toHaveBeenCalledOnce();
    expect(h.transport.sent).toEqual([{ type: 'hello', clientId: IDENTITY.clientId }]);
    expect(admission.inProgress).toBe(0);
  });

  it('closes with 1013 (try again later) when the line of waiting hellos is full', async () => {
    const admission = new Admission(1, 0);
    const held = await admission.acquire()!;
    const h = harness({ admission });
    await h.hello();
    expect(h.transport.closeCodes).toEqual([1013]);
    expect(h.authenticate).not.toHaveBeenCalled();
    expect(await gauge(h.metrics.connectionsRefused)).toBe(1);
    held();
  });

  it('gives its turn back when the socket closed while it waited', async () => {
    const admission = new Admission(1, 5);
    const held = await admission.acquire()!;
    const h = harness({ admission });
    await h.hello();
    h.session.onSocketClosed();
    held();
    await settle();
    expect(h.authenticate).not.toHaveBeenCalled();
    expect(admission.inProgress).toBe(0);
  });
});

describe('identifying', () => {
  it('claims the client, opens its consumer, then answers the hello with the client id', async () => {
    const h = harness();
    await h.hello();
    expect(h.authenticate).toHaveBeenCalledWith(TOKEN);
    expect(h.claim).toHaveBeenCalledWith(IDENTITY.clientId, h.session);
    expect(h.calls).toEqual(['claim client-1', 'open client-1', 'touch client-1']);
    expect(h.transport.sent).toEqual([{ type: 'hello', clientId: 'client-1' }]);
    expect(h.session.stateName).toBe('identified');
    expect(h.session.clientId).toBe('client-1');
    expect(await gauge(h.metrics.connectedClients)).toBe(1);
  });

  it('sends the hello before a message RabbitMQ delivers while the consumer is opening', async () => {
    // RabbitMQ starts delivering as soon as basic.consume is in; amqplib can call the
    // message handler before consume() resolves. The client must still see hello first.
    const early = push();
    const h = harness({
      openConsumer: async (handlers, consumer) => {
        handlers.onMessage(delivery(early));
        return consumer;
      },
    });
    await h.hello();
    expect(h.transport.sent.map((f) => f.type)).toEqual(['hello', 'notification']);
    expect(h.transport.notifications[0]?.id).toBe(early.messageId);
  });

  it('keeps that order for messages delivered across several ticks of the open', async () => {
    const [a, b] = [push(), push()];
    const h = harness({
      openConsumer: async (handlers, consumer) => {
        handlers.onMessage(delivery(a));
        await Promise.resolve();
        handlers.onMessage(delivery(b));
        await new Promise<void>((r) => setTimeout(r, 0));
        return consumer;
      },
    });
    await h.hello();
    expect(h.transport.sent.map((f) => (f.type === 'notification' ? f.id : f.type))).toEqual([
      'hello',
      a.messageId,
      b.messageId,
    ]);
  });

  it('answers a ping sent before the hello reply, and ignores other frames then', async () => {
    let open: (consumer: SessionConsumer) => void = () => {};
    const h = harness({ openConsumer: () => new Promise((r) => (open = r)) });
    h.session.onText(JSON.stringify({ type: 'hello', clientToken: TOKEN }));
    await settle();
    expect(h.session.stateName).toBe('identifying');
    await h.frame({ type: 'ping' });
    await h.frame({ type: 'ack', id: 'msg-x' });
    expect(h.transport.sent).toEqual([{ type: 'pong' }]);
    open(h.consumer);
    await settle();
    expect(h.transport.sent).toEqual([{ type: 'pong' }, { type: 'hello', clientId: 'client-1' }]);
    expect(h.consumer.acked).toEqual([]);
  });

  it('closes the consumer and gives the slot back when the socket closed during the open', async () => {
    let open: (consumer: SessionConsumer) => void = () => {};
    const h = harness({ openConsumer: () => new Promise((r) => (open = r)) });
    h.session.onText(JSON.stringify({ type: 'hello', clientToken: TOKEN }));
    await settle();
    h.session.onSocketClosed();
    open(h.consumer);
    await settle();
    expect(h.consumer.closeCalls).toBe(1);
    expect(h.release).toHaveBeenCalledWith('client-1', h.session);
    expect(h.transport.sent).toEqual([]);
    expect(await gauge(h.metrics.connectedClients)).toBe(0);
  });

  it('closes with 4401 when the queue is gone (client deleted meanwhile)', async () => {
    const h = harness({
      openConsumer: async () => {
        throw new QueueMissing(
          new Error(
            'Channel closed by server: 404 (NOT-FOUND) with message "NOT_FOUND - no queue"',
          ),
        );
      },
    });
    await h.hello();
    expect(h.transport.closeCodes).toEqual([4401]);
    expect(h.release).toHaveBeenCalledWith('client-1', h.session);
    expect(h.transport.sent).toEqual([]);
  });

  it('closes with 1011 when the consumer cannot be opened for another reason', async () => {
    const h = harness({
      openConsumer: async () => {
        throw new Error('Connection closed: 320 (CONNECTION-FORCED)');
      },
    });
    await h.hello();
    expect(h.transport.closeCodes).toEqual([1011]);
    expect(h.release).toHaveBeenCalledWith('client-1', h.session);
  });
});

describe('delivering', () => {
  it('sends a notification frame with exactly the fields of docs/protocol.md §3', async () => {
    const h = harness();
    await h.hello();
    const message = push({ ttl: 120, urgency: 'high', topic: 'score' });
    await h.deliver(delivery(message));
    expect(h.transport.notifications).toStrictEqual([
      {
        type: 'notification',
        id: message.messageId,
        subscriptionId: 'sub-1',
        data: 'AQID-vv8', // base64url of 01 02 03 fa fb fc: no padding, - and _ not + and /
        encoding: 'aes128gcm',
        ttl: 120,
        urgency: 'high',
        topic: 'score',
        receivedAt: message.receivedAt,
      },
    ]);
    expect(h.isNewestForTopic).toHaveBeenCalledWith('sub-1', 'score', message.messageId);
  });

  it('carries an aesgcm push with its Encryption and Crypto-Key as received', async () => {
    const h = harness();
    await h.hello();
    const encryption = 'salt=lngarbyKfMoi9Z75xYXmkg';
    const cryptoKey = 'dh=BNoR;p256ecdsa=BKey';
    const message = push({ encoding: 'aesgcm', encryption, cryptoKey });
    await h.deliver(delivery(message));
    expect(h.transport.notifications).toStrictEqual([
      {
        type: 'notification',
        id: message.messageId,
        subscriptionId: 'sub-1',
        data: 'AQID-vv8',
        encoding: 'aesgcm',
        encryption,
        cryptoKey,
        ttl: 60,
        urgency: 'normal',
        receivedAt: message.receivedAt,
      },
    ]);
  });

  it('leaves out data and encoding for an empty push, and topic when there is none', async () => {
    const h = harness();
    await h.hello();
    const message = push({ body: Buffer.alloc(0), encoding: null });
    await h.deliver(delivery(message));
    expect(h.transport.notifications).toStrictEqual([
      {
        type: 'notification',
        id: message.messageId,
        subscriptionId: 'sub-1',
        ttl: 60,
        urgency: 'normal',
        receivedAt: message.receivedAt,
      },
    ]);
    expect(h.isNewestForTopic).not.toHaveBeenCalled();
  });

  it('delivers a redelivered message that is still fresh (at-least-once)', async () => {
    const h = harness();
    await h.hello();
    await h.deliver(delivery(push(), true));
    expect(h.transport.notifications).toHaveLength(1);
    expect(h.consumer.acked).toEqual([]);
  });

  it('acks and drops a message whose TTL has passed, without sending it', async () => {
    const h = harness();
    await h.hello();
    const stale = delivery(push({ ttl: 60, receivedAt: new Date(START - 60_000).toISOString() }));
    await h.deliver(stale);
    expect(h.transport.notifications).toEqual([]);
    expect(h.consumer.acked).toEqual([stale]);
    expect(await gauge(h.metrics.expired)).toBe(1);
  });

  it('TTL 0: sends it on first delivery, acks and drops it when redelivered', async () => {
    const h = harness();
    await h.hello();
    const fresh = push({ ttl: 0 });
    await h.deliver(delivery(fresh));
    const again = delivery(push({ ttl: 0 }), true);
    await h.deliver(again);
    expect(h.transport.notifications.map((f) => f.id)).toEqual([fresh.messageId]);
    expect(h.consumer.acked).toEqual([again]);
  });

  it('acks and drops a message superseded by a newer one with the same Topic', async () => {
    const h = harness({ isNewestForTopic: async () => false });
    await h.hello();
    const old = delivery(push({ topic: 'score' }));
    await h.deliver(old);
    expect(h.transport.notifications).toEqual([]);
    expect(h.consumer.acked).toEqual([old]);
    expect(await gauge(h.metrics.superseded)).toBe(1);
  });

  it('acks and drops a message this server did not publish, rather than block the queue', async () => {
    const h = harness();
    await h.hello();
    const foreign = {
      content: Buffer.from('x'),
      fields: {
        deliveryTag: 1,
        redelivered: false,
        exchange: '',
        routingKey: '',
        consumerTag: 'c',
      },
      properties: { headers: {}, messageId: undefined },
    } as unknown as ConsumeMessage;
    await h.deliver(foreign);
    expect(h.transport.notifications).toEqual([]);
    expect(h.consumer.acked).toEqual([foreign]);
  });

  it('keeps the queue order even when a Topic lookup is slow', async () => {
    let answer: (newest: boolean) => void = () => {};
    const h = harness({ isNewestForTopic: () => new Promise((r) => (answer = r)) });
    await h.hello();
    const first = push({ topic: 'score' });
    const second = push();
    await h.deliver(delivery(first));
    await h.deliver(delivery(second));
    expect(h.transport.notifications).toEqual([]);
    answer(true);
    await settle();
    expect(h.transport.notifications.map((f) => f.id)).toEqual([first.messageId, second.messageId]);
  });

  it('sends nothing that was still in the pipeline when the socket closed', async () => {
    let answer: (newest: boolean) => void = () => {};
    const h = harness({ isNewestForTopic: () => new Promise((r) => (answer = r)) });
    await h.hello();
    await h.deliver(delivery(push({ topic: 'score' })));
    h.session.onSocketClosed();
    answer(true);
    await settle();
    expect(h.transport.notifications).toEqual([]);
    expect(h.consumer.acked).toEqual([]);
  });
});

describe('acks', () => {
  it('acks a delivered message to RabbitMQ once, when the client acks it', async () => {
    const h = harness();
    await h.hello();
    const message = push();
    const raw = delivery(message);
    await h.deliver(raw);
    expect(h.consumer.acked).toEqual([]);

    await h.frame({ type: 'ack', id: message.messageId });
    expect(h.consumer.acked).toEqual([raw]);
    // A duplicate ack must not ack twice: RabbitMQ closes the channel on an unknown tag.
    await h.frame({ type: 'ack', id: message.messageId });
    expect(h.consumer.acked).toHaveLength(1);
    expect(await gauge(h.metrics.acks)).toBe(1);
  });

  it('ignores an ack for an id never sent on this socket, and malformed frames', async () => {
    const h = harness();
    await h.hello();
    await h.deliver(delivery(push()));
    await h.frame({ type: 'ack', id: 'msg-unknown' });
    await h.frame({ type: 'ack' });
    await h.frame({ type: 'nonsense' });
    h.session.onText('not json');
    await settle();
    expect(h.consumer.acked).toEqual([]);
    expect(h.transport.closes).toEqual([]);
    expect(h.session.stateName).toBe('identified');
  });

  it('answers a ping with a pong', async () => {
    const h = harness();
    await h.hello();
    await h.frame({ type: 'ping' });
    expect(h.transport.sent.at(-1)).toEqual({ type: 'pong' });
  });
});

describe('closing', () => {
  it.each([
    ['cancelled', 4401],
    ['closed', 1011],
  ] as const)(
    'closes with %s → %i when the consumer ends',
    async (reason: ConsumerEndReason, code) => {
      const h = harness();
      await h.hello();
      h.handlers.onEnd(reason);
      await settle();
      expect(h.transport.closeCodes).toEqual([code]);
      expect(h.consumer.closeCalls).toBe(1);
      expect(h.release).toHaveBeenCalledWith('client-1', h.session);
      expect(h.session.stateName).toBe('closed');
    },
  );

  it('when the socket closes: closes the consumer, gives the slot back, records last seen', async () => {
    const h = harness();
    await h.hello();
    await h.deliver(delivery(push()));
    h.touch.mockClear();
    h.session.onSocketClosed();
    await settle();
    expect(h.consumer.closeCalls).toBe(1);
    expect(h.release).toHaveBeenCalledTimes(1);
    expect(h.release).toHaveBeenCalledWith('client-1', h.session);
    expect(h.touch).toHaveBeenCalledWith('client-1');
    expect(await gauge(h.metrics.connectedClients)).toBe(0);
    // The socket is already gone: nothing is sent or closed on it.
    expect(h.transport.closes).toEqual([]);
    expect(h.session.stateName).toBe('closed');

    // A late delivery is left unacked, for the next connection.
    await h.deliver(delivery(push()));
    expect(h.transport.notifications).toHaveLength(1);
    expect(h.consumer.acked).toEqual([]);
  });

  it('closes only once, however many reasons come along', async () => {
    const h = harness();
    await h.hello();
    h.session.replace();
    h.handlers.onEnd('closed');
    h.session.close(1001, 'going away');
    h.session.onSocketClosed();
    await settle();
    expect(h.transport.closeCodes).toEqual([4409]);
    expect(h.consumer.closeCalls).toBe(1);
    expect(h.release).toHaveBeenCalledTimes(1);
  });

  it('closes with 4409 when another socket of the same client takes over', async () => {
    const h = harness();
    await h.hello();
    h.session.replace();
    expect(h.transport.closeCodes).toEqual([4409]);
    expect(h.consumer.closeCalls).toBe(1);
  });

  it('pings an idle client, and closes with 4408 once the idle timeout has passed', async () => {
    const h = harness();
    await h.hello();
    await vi.advanceTimersByTimeAsync(TIMING.pingIntervalMs);
    expect(h.transport.sent.at(-1)).toEqual({ type: 'ping' });
    await vi.advanceTimersByTimeAsync(TIMING.idleTimeoutMs - TIMING.pingIntervalMs);
    expect(h.transport.closes).toEqual([]);
    await vi.advanceTimersByTimeAsync(TIMING.pingIntervalMs);
    expect(h.transport.closeCodes).toEqual([4408]);
    expect(h.consumer.closeCalls).toBe(1);
  });

  it('stays open while the client answers pings', async () => {
    const h = harness();
    await h.hello();
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(TIMING.pingIntervalMs);
      await h.frame({ type: 'pong' });
    }
    expect(h.transport.closes).toEqual([]);
    expect(h.session.stateName).toBe('identified');
  });

  it('stops its timers once closed', async () => {
    const h = harness();
    await h.hello();
    h.session.onSocketClosed();
    const sent = h.transport.sent.length;
    await vi.advanceTimersByTimeAsync(TIMING.idleTimeoutMs * 3);
    expect(h.transport.sent).toHaveLength(sent);
    expect(h.transport.closes).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
