// Structured JSON logs (pino). Every logging point is a named event so operators can
// filter on `event`; docs/operations.md lists them. Never pass a payload, password,
// token, key or recovery key here: ids go through `shortId`.
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
    },
    destination,
  );
}

/** A stable, non-reversible short form of an id or address for logs. */
export function shortId(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 10);
}
