// One client's WebSocket session, as an explicit state machine:
//
//   unidentified ──hello ok──▶ identifying ──consumer open──▶ identified
//         │                        │                              │
//         └──bad hello / timeout───┴──────── any close ───────────┴──▶ closed
//
// Each state carries only what exists in it: there is no consumer before the client is
// identified, and nothing at all once closed. Messages are acked to RabbitMQ only when
// the client acks them; closing the consumer hands the rest back to the queue.
import type { ConsumeMessage } from 'amqplib';
import {
  ClientFrame,
  CloseCode,
  HelloFrame,
  type NotificationFrame,
  type ServerFrame,
} from '../../shared/protocol.js';
import type { ConsumerEndReason } from '../broker/consumer-pool.js';
import { QueueMissing } from '../broker/errors.js';
import { decodeDelivery, isExpired, type PushMessage } from '../broker/message.js';
import type { Logger } from '../observability/logger.js';
import { shortId } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Admission, Release } from './admission.js';

export interface SessionTransport {
  send(frame: ServerFrame): void;
  close(code: CloseCode, reason: string): void;
}

export interface SessionConsumer {
  ack(message: ConsumeMessage): void;
  close(): Promise<void>;
}

export interface SessionIdentity {
  clientId: string;
  userId: string;
}

export interface SessionDeps {
  /** The client behind a token, or null when unknown, revoked or its account disabled. */
  authenticate(clientToken: string): Promise<SessionIdentity | null>;
  /** Rejects with QueueMissing when the client's queue is gone (the client was deleted). */
  openConsumer(
    clientId: string,
    handlers: { onMessage(message: ConsumeMessage): void; onEnd(reason: ConsumerEndReason): void },
  ): Promise<SessionConsumer>;
  /** False when a newer message with the same Topic exists for the subscription. */
  isNewestForTopic(subscriptionId: string, topic: string, messageId: string): Promise<boolean>;
  /** Takes the client's slot on this server; the session holding it before gives way. */
  claim(clientId: string, session: Session): void;
  release(clientId: string, session: Session): void;
  touch(clientId: string): void;
  /** Bounds how many sessions identify at once; without it, all do. */
  admission?: Admission;
  log: Logger;
  metrics: Metrics;
  timing: { helloTimeoutMs: number; pingIntervalMs: number; idleTimeoutMs: number };
}

type State =
  | { name: 'unidentified' }
  | { name: 'identifying' }
  | {
      name: 'identified';
      identity: SessionIdentity;
      consumer: SessionConsumer;
      /** Delivered to the client and not yet acked, by message id. */
      unacked: Map<string, ConsumeMessage>;
    }
  | { name: 'closed' };

export type SessionStateName = State['name'];

/** What the socket's owner wants to hear about, beyond the frames. */
export interface SessionHooks {
  /**
   * The socket never got past its hello: a first frame that is not a valid hello, a token
   * that identifies nobody, or no hello in time. The socket server counts it as a bad
   * request of the caller's address, as a 401 would be on the REST API.
   */
  onHelloRefused?(): void;
}

export class Session {
  private state: State = { name: 'unidentified' };
  private readonly timers: NodeJS.Timeout[] = [];
  private lastActivity = Date.now();
  /**
   * Deliveries are handled one after another so the client sees the queue's order: most
   * at once, as they come, and behind one that waits for a Topic lookup, the rest wait in
   * line. The line starts closed: RabbitMQ may deliver before the consumer's open()
   * returns, and those messages must wait until the client has its hello.
   */
  private readonly pending: ConsumeMessage[] = [];
  private gateOpen = false;
  private draining = false;

  constructor(
    private readonly transport: SessionTransport,
    private readonly deps: SessionDeps,
    private readonly hooks: SessionHooks = {},
  ) {
    const { helloTimeoutMs, pingIntervalMs } = deps.timing;
    this.timers.push(
      setTimeout(() => {
        if (this.state.name === 'unidentified') this.refuseHello('no hello in time');
      }, helloTimeoutMs),
      setInterval(() => this.keepAlive(), pingIntervalMs),
    );
  }

  get stateName(): SessionStateName {
    return this.state.name;
  }

  get clientId(): string | null {
    return this.state.name === 'identified' ? this.state.identity.clientId : null;
  }

  // -- events from the socket -------------------------------------------------------------

  onText(text: string): void {
    this.lastActivity = Date.now();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    switch (this.state.name) {
      case 'unidentified': {
        const hello = HelloFrame.safeParse(json);
        if (!hello.success) {
          this.refuseHello('the first frame must be a hello');
          return;
        }
        this.state = { name: 'identifying' };
        void this.identify(hello.data.clientToken);
        return;
      }
      case 'identifying':
        // The client has not seen our hello yet; only keep-alives make sense.
        if (ClientFrame.safeParse(json).data?.type === 'ping')
          this.transport.send({ type: 'pong' });
        return;
      case 'identified':
        this.onClientFrame(json);
        return;
      case 'closed':
        return;
    }
  }

  onSocketClosed(): void {
    this.enterClosed();
  }

  // -- events from the broker -------------------------------------------------------------

  private onDelivery(message: ConsumeMessage): void {
    this.pending.push(message);
    if (this.gateOpen && !this.draining) this.drain();
  }

  private openGate(): void {
    this.gateOpen = true;
    if (!this.draining) this.drain();
  }

  /** Delivers what is in line until one message has to wait; it resumes the line after. */
  private drain(): void {
    this.draining = true;
    try {
      while (this.pending.length > 0 && this.state.name === 'identified') {
        const waiting = this.deliver(this.pending.shift()!);
        if (waiting) {
          waiting.then(
            () => this.drain(),
            (err: unknown) => this.deliveryFailed(err),
          );
          return;
        }
      }
      this.pending.length = 0;
      this.draining = false;
    } catch (err) {
      this.deliveryFailed(err);
    }
  }

  private deliveryFailed(err: unknown): void {
    this.draining = false;
    this.deps.log.error({ event: 'delivery.failed', err });
    this.close(CloseCode.GoingAway, 'delivery failed; reconnect');
  }

  private onConsumerEnd(reason: ConsumerEndReason): void {
    if (this.state.name !== 'identified') return;
    if (reason === 'cancelled') this.close(CloseCode.Unauthorized, 'client deleted');
    else this.close(CloseCode.ServerError, 'message broker connection lost; reconnect');
  }

  // -- transitions ------------------------------------------------------------------------

  private async identify(clientToken: string): Promise<void> {
    let release: Release = () => {};
    if (this.deps.admission) {
      const turn = this.deps.admission.acquire();
      if (!turn) {
        this.deps.metrics.connectionsRefused.inc({ reason: 'hello_queue_full' });
        this.close(CloseCode.TryAgainLater, 'too many devices connecting; try again later');
        return;
      }
      release = await turn;
    }
    try {
      await this.identifyInTurn(clientToken);
    } finally {
      release();
    }
  }

  private async identifyInTurn(clientToken: string): Promise<void> {
    // The socket may have closed while this session waited for its turn.
    if (this.state.name !== 'identifying') return;
    let identity: SessionIdentity | null;
    try {
      identity = await this.deps.authenticate(clientToken);
    } catch (err) {
      this.deps.log.error({ event: 'session.auth_failed', err });
      this.close(CloseCode.ServerError, 'server error; reconnect');
      return;
    }
    if (this.state.name !== 'identifying') return;
    if (!identity) {
      this.refuseHello('unknown or revoked client token');
      return;
    }
    const id = identity;
    this.deps.claim(id.clientId, this);
    let consumer: SessionConsumer;
    try {
      consumer = await this.deps.openConsumer(id.clientId, {
        onMessage: (m) => this.onDelivery(m),
        onEnd: (reason) => this.onConsumerEnd(reason),
      });
    } catch (err) {
      this.deps.release(id.clientId, this);
      // The queue is gone when the client was deleted between the lookup and now.
      const missing = err instanceof QueueMissing;
      if (!missing) this.deps.log.error({ event: 'session.consume_failed', err });
      this.close(
        missing ? CloseCode.Unauthorized : CloseCode.ServerError,
        missing ? 'client deleted' : 'server error; reconnect',
      );
      return;
    }
    if (this.state.name !== 'identifying') {
      // The socket closed while we were opening the consumer.
      this.deps.release(id.clientId, this);
      await consumer.close();
      return;
    }
    this.state = { name: 'identified', identity: id, consumer, unacked: new Map() };
    // The hello timeout has done its job; a connected device should not hold on to it.
    clearTimeout(this.timers[0]);
    this.deps.metrics.connectedClients.inc();
    this.deps.touch(id.clientId);
    this.deps.log.info(
      { event: 'client.connected', clientId: shortId(id.clientId) },
      'client connected',
    );
    this.transport.send({ type: 'hello', clientId: id.clientId });
    this.openGate();
  }

  private onClientFrame(json: unknown): void {
    const parsed = ClientFrame.safeParse(json);
    if (!parsed.success || this.state.name !== 'identified') return;
    const frame = parsed.data;
    switch (frame.type) {
      case 'ack': {
        const message = this.state.unacked.get(frame.id);
        if (!message) return; // already acked, or never sent on this socket
        this.state.unacked.delete(frame.id);
        this.state.consumer.ack(message);
        this.deps.metrics.countAck();
        if (this.deps.log.isLevelEnabled('info')) {
          this.deps.log.info({ event: 'push.acked', messageId: shortId(frame.id) }, 'acked');
        }
        return;
      }
      case 'ping':
        this.transport.send({ type: 'pong' });
        return;
      case 'pong':
      case 'hello':
        return;
    }
  }

  /** Handles one delivery; returns a promise only when it has to wait (a Topic lookup). */
  private deliver(raw: ConsumeMessage): Promise<void> | null {
    if (this.state.name !== 'identified') return null;
    const { consumer } = this.state;
    const message = decodeDelivery(raw);
    if (!message) {
      consumer.ack(raw); // not ours: drop rather than block the queue forever
      return null;
    }
    if (isExpired(message, raw.fields.redelivered)) {
      consumer.ack(raw);
      this.deps.metrics.expired.inc();
      this.deps.log.info(
        { event: 'push.expired', messageId: shortId(message.messageId) },
        'expired',
      );
      return null;
    }
    if (!message.topic) {
      this.send(raw, message);
      return null;
    }
    return this.deps
      .isNewestForTopic(message.subscriptionId, message.topic, message.messageId)
      .then((newest) => {
        if (this.state.name !== 'identified') return;
        if (newest) {
          this.send(raw, message);
          return;
        }
        this.state.consumer.ack(raw);
        this.deps.metrics.superseded.inc();
      });
  }

  private send(raw: ConsumeMessage, message: PushMessage): void {
    if (this.state.name !== 'identified') return;
    this.state.unacked.set(message.messageId, raw);
    this.transport.send(notificationFrame(message));
    this.deps.metrics.countDelivery(raw.fields.redelivered);
    // Guarded: the hashed ids cost a SHA-256 each, for nothing when info is off.
    if (this.deps.log.isLevelEnabled('info')) {
      this.deps.log.info(
        {
          event: raw.fields.redelivered ? 'push.redelivered' : 'push.delivered',
          messageId: shortId(message.messageId),
          clientId: shortId(this.state.identity.clientId),
        },
        'delivered',
      );
    }
  }

  private keepAlive(): void {
    if (this.state.name === 'closed') return;
    if (Date.now() - this.lastActivity > this.deps.timing.idleTimeoutMs) {
      this.close(CloseCode.IdleTimeout, 'idle timeout');
      return;
    }
    if (this.state.name === 'identified') this.transport.send({ type: 'ping' });
  }

  /** Closes with 4401 a socket that did not identify, and tells the owner (SessionHooks). */
  private refuseHello(reason: string): void {
    this.hooks.onHelloRefused?.();
    this.close(CloseCode.Unauthorized, reason);
  }

  /** Another socket of the same client took over on this server. */
  replace(): void {
    this.close(CloseCode.Replaced, 'connected again elsewhere');
  }

  close(code: CloseCode, reason: string): void {
    if (this.state.name === 'closed') return;
    this.enterClosed();
    this.transport.close(code, reason);
  }

  private enterClosed(): void {
    const previous = this.state;
    if (previous.name === 'closed') return;
    this.state = { name: 'closed' };
    // Whatever is still in line stays unacked; closing the consumer hands it back.
    this.pending.length = 0;
    for (const timer of this.timers) clearTimeout(timer);
    if (previous.name === 'identified') {
      this.deps.metrics.connectedClients.dec();
      this.deps.release(previous.identity.clientId, this);
      this.deps.touch(previous.identity.clientId);
      void previous.consumer.close();
      this.deps.log.info(
        {
          event: 'client.disconnected',
          clientId: shortId(previous.identity.clientId),
          unacked: previous.unacked.size,
        },
        'client disconnected',
      );
    }
  }
}

export function notificationFrame(message: PushMessage): NotificationFrame {
  const frame: NotificationFrame = {
    type: 'notification',
    id: message.messageId,
    subscriptionId: message.subscriptionId,
    ttl: message.ttl,
    urgency: message.urgency,
    receivedAt: message.receivedAt,
  };
  if (message.body.byteLength > 0) {
    frame.data = message.body.toString('base64url');
    if (message.encoding) frame.encoding = message.encoding;
    // docs/protocol.md §3: aesgcm's salt and sender key are in these, not in the body (a
    // PushMessage holds them for aesgcm only).
    if (message.encryption !== null) frame.encryption = message.encryption;
    if (message.cryptoKey !== null) frame.cryptoKey = message.cryptoKey;
  }
  if (message.topic) frame.topic = message.topic;
  return frame;
}
