// Many consumers on one channel, against the real RabbitMQ: what a channel per device gave
// for free must still hold — a session that ends hands back what it had not acked (marked
// redelivered), a deleted queue ends only its own consumer, a missing queue does not take
// the shared channel down — and the pool opens one connection however many devices arrive
// at once, and closes it when nobody is left.
import { randomBytes } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type ConsumerEndReason,
  ConsumerPool,
  type ConsumerPoolOptions,
  type QueueConsumer,
} from './consumer-pool.js';
import { QueueMissing } from './errors.js';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

let admin: ChannelModel;
let ch: Channel;
const queues: string[] = [];
const pools: ConsumerPool[] = [];

beforeAll(async () => {
  admin = await amqp.connect(AMQP_URL);
  ch = await admin.createChannel();
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close(2000)));
  for (const q of queues.splice(0)) await ch.deleteQueue(q);
});

afterAll(async () => {
  await admin.close();
});

async function queue(): Promise<string> {
  const name = `test.pool.${randomBytes(6).toString('hex')}`;
  await ch.assertQueue(name, { durable: false });
  queues.push(name);
  return name;
}

function send(queueName: string, body: string): void {
  ch.sendToQueue(queueName, Buffer.from(body), { messageId: body });
}

function pool(options: Partial<ConsumerPoolOptions> = {}): ConsumerPool {
  const p = new ConsumerPool({
    urls: [AMQP_URL],
    timeoutMs: 5000,
    name: 'test-pool',
    prefetch: 10,
    connectTimeoutMs: 2000,
    ...options,
  });
  pools.push(p);
  return p;
}

/** A consumer that records what it gets and how it ended. */
async function consume(p: ConsumerPool, queueName: string) {
  const received: ConsumeMessage[] = [];
  const ended: ConsumerEndReason[] = [];
  const consumer: QueueConsumer = await p.consume(queueName, {
    onMessage: (m) => received.push(m),
    onEnd: (reason) => ended.push(reason),
  });
  const bodies = () => received.map((m) => m.content.toString());
  return { consumer, received, ended, bodies };
}

describe('ConsumerPool', () => {
  it('puts many consumers on one channel, and opens another only when it is full', async () => {
    const p = pool({ consumersPerChannel: 100 });
    const names = await Promise.all(Array.from({ length: 150 }, () => queue()));
    await Promise.all(names.map((n) => consume(p, n)));
    expect(p.stats()).toEqual({ consumers: 150, channels: 2, connections: 1 });
  });

  it('opens one connection for devices that all arrive at once', async () => {
    const p = pool();
    const names = await Promise.all(Array.from({ length: 40 }, () => queue()));
    await Promise.all(names.map((n) => consume(p, n)));
    expect(p.stats()).toEqual({ consumers: 40, channels: 1, connections: 1 });
  });

  it('gives each consumer its own prefetch, so a busy device cannot starve its channel', async () => {
    const p = pool({ prefetch: 2 });
    const [a, b] = [await queue(), await queue()];
    for (let i = 0; i < 5; i++) send(a, `a${i}`);
    const first = await consume(p, a);
    const second = await consume(p, b);
    send(b, 'b0');
    await vi.waitFor(() => expect(second.bodies()).toEqual(['b0']));
    expect(first.bodies()).toEqual(['a0', 'a1']);
    first.consumer.ack(first.received[0]!);
    await vi.waitFor(() => expect(first.bodies()).toEqual(['a0', 'a1', 'a2']));
  });

  it('a closed consumer hands back what it had not acked, marked redelivered; its neighbour carries on', async () => {
    const p = pool();
    const [a, b] = [await queue(), await queue()];
    const neighbour = await consume(p, b);
    const leaving = await consume(p, a);
    for (const body of ['m1', 'm2', 'm3']) send(a, body);
    await vi.waitFor(() => expect(leaving.bodies()).toEqual(['m1', 'm2', 'm3']));
    leaving.consumer.ack(leaving.received[0]!);
    await leaving.consumer.close();
    expect(leaving.ended).toEqual([]); // close() is not an end "on its own"

    const back = await consume(p, a);
    await vi.waitFor(() => expect(back.bodies()).toEqual(['m2', 'm3']));
    expect(back.received.every((m) => m.fields.redelivered)).toBe(true);

    send(b, 'still here');
    await vi.waitFor(() => expect(neighbour.bodies()).toEqual(['still here']));
    neighbour.consumer.ack(neighbour.received[0]!);
    expect(p.stats().channels).toBe(1);
  });

  it('a deleted queue ends only its own consumer, even with an ack on its way', async () => {
    const p = pool();
    const [a, b] = [await queue(), await queue()];
    const deleted = await consume(p, a);
    const neighbour = await consume(p, b);
    send(a, 'x1');
    send(a, 'x2');
    await vi.waitFor(() => expect(deleted.bodies()).toEqual(['x1', 'x2']));
    deleted.consumer.ack(deleted.received[0]!);
    await ch.deleteQueue(a);
    queues.splice(queues.indexOf(a), 1);
    await vi.waitFor(() => expect(deleted.ended).toEqual(['cancelled']));
    deleted.consumer.ack(deleted.received[1]!); // ignored: the consumer has ended

    send(b, 'y1');
    await vi.waitFor(() => expect(neighbour.bodies()).toEqual(['y1']));
    neighbour.consumer.ack(neighbour.received[0]!);
    send(b, 'y2');
    await vi.waitFor(() => expect(neighbour.bodies()).toEqual(['y1', 'y2']));
    expect(neighbour.ended).toEqual([]);
  });

  it('refuses a missing queue with QueueMissing without closing the shared channel', async () => {
    const p = pool();
    const b = await queue();
    const neighbour = await consume(p, b);
    await expect(
      p.consume(`test.pool.missing.${randomBytes(4).toString('hex')}`, {
        onMessage() {},
        onEnd() {},
      }),
    ).rejects.toBeInstanceOf(QueueMissing);
    send(b, 'z');
    await vi.waitFor(() => expect(neighbour.bodies()).toEqual(['z']));
    expect(neighbour.ended).toEqual([]);
  });

  it('closes its connection once no consumer has been left for a while', async () => {
    const p = pool({ idleCloseMs: 200 });
    const a = await queue();
    const only = await consume(p, a);
    expect(p.stats().connections).toBe(1);
    await only.consumer.close();
    await vi.waitFor(() => expect(p.stats().connections).toBe(0));
    // …and opens a new one for the next device.
    await consume(p, a);
    expect(p.stats()).toEqual({ consumers: 1, channels: 1, connections: 1 });
  });
});
