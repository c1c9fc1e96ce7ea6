// The broker against the real RabbitMQ, for what a fake cannot vouch for: how amqplib
// reports a missing queue.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { Broker } from './broker.js';
import { QueueMissing } from './errors.js';

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
let broker: Broker;

beforeAll(async () => {
  broker = await Broker.connect([AMQP_URL], createLogger('silent'), {
    prefetch: 1,
    queueType: 'classic',
    timeoutMs: 1500,
  });
});

afterAll(async () => {
  await broker?.close();
});

describe('Broker.consume', () => {
  it('rejects with QueueMissing when the client has no queue', async () => {
    const clientId = `missing-${randomBytes(8).toString('hex')}`;
    const consuming = broker.consume(clientId, { onMessage() {}, onEnd() {} });
    await expect(consuming).rejects.toBeInstanceOf(QueueMissing);
  });

  it('opens a consumer on a queue that exists', async () => {
    const userId = `user-${randomBytes(8).toString('hex')}`;
    const clientId = `client-${randomBytes(8).toString('hex')}`;
    await broker.createClientQueue(userId, clientId);
    try {
      const consumer = await broker.consume(clientId, { onMessage() {}, onEnd() {} });
      expect(broker.consumers.stats().consumers).toBe(1);
      await consumer.close();
      expect(broker.consumers.stats().consumers).toBe(0);
    } finally {
      await broker.deleteClientQueue(clientId);
      await broker.deleteUser(userId);
    }
  });
});
