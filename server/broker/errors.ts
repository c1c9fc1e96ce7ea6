// Broker errors that callers act on. Apart from broker.ts so that the session, which knows
// no transport, can recognise them without loading a RabbitMQ client.

/** RabbitMQ cannot be reached (or the connection or channel died under the call). */
export class BrokerUnavailable extends Error {
  constructor(cause?: unknown) {
    super('RabbitMQ is not reachable', { cause });
    this.name = 'BrokerUnavailable';
  }
}

/**
 * The client's queue does not exist: the client was deleted between its token lookup and
 * opening its consumer. Not a fault — the session answers as for a revoked token.
 */
export class QueueMissing extends Error {
  constructor(cause?: unknown) {
    super("the client's queue does not exist", { cause });
    this.name = 'QueueMissing';
  }
}

/** AMQP reply code NOT_FOUND; amqplib puts the server's reply code on the error's `code`. */
const AMQP_NOT_FOUND = 404;

export function isAmqpNotFound(err: unknown): boolean {
  return err instanceof Error && 'code' in err && err.code === AMQP_NOT_FOUND;
}
