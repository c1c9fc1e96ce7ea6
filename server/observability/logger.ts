// Structured JSON logs (pino). Every logging point is a named event so operators can
// filter on `event`; docs/operations.md lists them. Never pass a payload, password,
// token, key or recovery key here: ids go through `shortId`. Errors go in as `{ err }`,
// whole: `serializeError` keeps their stacks and takes out what could leak.
import { createHash } from 'node:crypto';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'push-server' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError },
    },
    destination,
  );
}

/** A stable, non-reversible short form of an id or address for logs. */
export function shortId(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 10);
}

export interface LoggedError {
  type: string;
  message: string;
  stack: string;
  code?: string | number;
  errors?: unknown[];
}

// RabbitMQ names carry a user or client id (broker/names.ts), and amqplib quotes them in
// its messages ("no queue 'push.client.…'").
const BROKER_NAME_ID = /\b(push\.(?:user|client)\.)([A-Za-z0-9_-]+)/g;

function hashBrokerIds(text: string): string {
  return text.replace(BROKER_NAME_ID, (_name, prefix: string, id: string) => prefix + shortId(id));
}

/**
 * pino's own error serializer gives the type, and the message and stack with their causes'.
 * Its other fields — every enumerable property, such as a database driver's `detail` with
 * the row's values — are left out, since any of them could hold a secret; only `code` is
 * kept, and ids inside RabbitMQ names are hashed like every other id in the logs.
 */
export function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const full = pino.stdSerializers.err(err);
  const logged: LoggedError = {
    type: full.type,
    message: hashBrokerIds(full.message),
    stack: hashBrokerIds(full.stack),
  };
  const code: unknown = 'code' in err ? err.code : undefined;
  if (typeof code === 'string' || typeof code === 'number') logged.code = code;
  // A refused connection to a dual-stack host is an AggregateError with an empty message.
  if (err instanceof AggregateError) logged.errors = err.errors.map(serializeError);
  return logged;
}
