// What an error looks like in the logs: stack kept, anything that could carry a secret not.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, shortId } from './logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger('info', stream), lines };
}

async function logged(err: unknown): Promise<Record<string, unknown>> {
  const { log, lines } = capture();
  log.error({ event: 'test.failed', err });
  await new Promise((resolve) => setImmediate(resolve));
  return lines[0]?.err as Record<string, unknown>;
}

describe('errors in the logs', () => {
  it('keep their type, message, stack and code, with their causes', async () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5672'), {
      code: 'ECONNREFUSED',
    });
    class BrokerDown extends Error {}
    const err = await logged(new BrokerDown('RabbitMQ is not reachable', { cause }));
    expect(err.type).toBe('BrokerDown');
    expect(err.message).toBe('RabbitMQ is not reachable: connect ECONNREFUSED 127.0.0.1:5672');
    expect(err.stack).toMatch(/^Error: RabbitMQ is not reachable\n\s+at /);
    expect(err.stack).toContain('caused by: Error: connect ECONNREFUSED');
    const own = await logged(cause);
    expect(own.code).toBe('ECONNREFUSED');
  });

  it('leave out other properties, which may hold values from a request or a row', async () => {
    const err = await logged(
      Object.assign(new Error('duplicate key value'), {
        code: '23505',
        detail: 'Key (token)=(planted-secret) already exists.',
      }),
    );
    expect(err.code).toBe('23505');
    expect(JSON.stringify(err)).not.toContain('planted-secret');
  });

  it('hash the ids inside RabbitMQ names, as every id in the logs is', async () => {
    const clientId = 'Abc123_-xyzXYZ0987654q';
    const err = await logged(
      new Error(
        `Operation failed: BasicConsume; 404 (NOT-FOUND) with message "NOT_FOUND - no queue 'push.client.${clientId}' in vhost '/'"`,
      ),
    );
    expect(JSON.stringify(err)).not.toContain(clientId);
    expect(err.message).toContain(`push.client.${shortId(clientId)}`);
  });

  it('list the errors of an AggregateError, whose own message is empty', async () => {
    const err = await logged(new AggregateError([new Error('connect ECONNREFUSED ::1:5672')], ''));
    expect(err.errors).toEqual([
      expect.objectContaining({ message: 'connect ECONNREFUSED ::1:5672' }),
    ]);
  });

  it('pass what was thrown as it is when it is not an Error', async () => {
    expect(await logged('plain string')).toBe('plain string');
  });
});
