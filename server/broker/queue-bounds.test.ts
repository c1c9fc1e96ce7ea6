import { describe, expect, it } from 'vitest';
import {
  boundsPolicyCommand,
  clientQueueArguments,
  DEFAULT_QUEUE_BOUNDS,
  vhostOf,
} from './queue-bounds.js';

describe('queue bounds', () => {
  it('declare new client queues bounded, dropping the oldest message to push.dropped', () => {
    expect(clientQueueArguments(DEFAULT_QUEUE_BOUNDS)).toEqual({
      'x-max-length': 1000,
      'x-max-length-bytes': 4194304,
      'x-overflow': 'drop-head',
      'x-dead-letter-exchange': 'push.dropped',
    });
  });

  it('bound existing ones with an operator policy on the client queues of the vhost', () => {
    expect(boundsPolicyCommand({ maxMessages: 5, maxBytes: 1024 }, 'push')).toEqual([
      'set_operator_policy',
      '-p',
      'push',
      'push-client-queue-bounds',
      '^push\\.client\\.',
      '{"max-length":5,"max-length-bytes":1024}',
      '--apply-to',
      'queues',
    ]);
  });

  it('read the vhost from AMQP_URL as RabbitMQ does ("/" when none is named)', () => {
    expect(vhostOf('amqp://guest:guest@127.0.0.1:5672')).toBe('/');
    expect(vhostOf('amqp://guest:guest@127.0.0.1:5672/')).toBe('/');
    expect(vhostOf('amqps://u:p@mq.example.com/push')).toBe('push');
    expect(vhostOf('amqp://u:p@mq/%2Fpush')).toBe('/push');
  });
});
