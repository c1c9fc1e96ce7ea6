// One consumer on one client's queue, on a channel of its own so that closing it (the
// socket went away) returns exactly that session's unacked messages to the queue.
import type { Channel, ConsumeMessage, RecoveringChannelModel } from 'amqplib';

/** `cancelled`: the queue was deleted (client removed); `closed`: channel or connection died. */
export type ConsumerEndReason = 'cancelled' | 'closed';

export interface QueueConsumerHandlers {
  onMessage(message: ConsumeMessage): void;
  /** Called once when the consumer stops for any reason, after open() succeeded. */
  onEnd(reason: ConsumerEndReason): void;
}

export class QueueConsumer {
  private ended = false;

  private constructor(private readonly channel: Channel) {}

  static async open(
    model: RecoveringChannelModel,
    queue: string,
    prefetch: number,
    handlers: QueueConsumerHandlers,
  ): Promise<QueueConsumer> {
    const channel = await model.createChannel();
    // Always followed by 'close', which ends the consumer below.
    channel.on('error', () => {});
    const consumer = new QueueConsumer(channel);
    let opened = false;
    const end = (reason: ConsumerEndReason) => {
      if (consumer.ended) return;
      consumer.ended = true;
      if (opened) handlers.onEnd(reason);
    };
    channel.on('close', () => end('closed'));
    try {
      await channel.prefetch(prefetch);
      await channel.consume(
        queue,
        (msg) => {
          if (msg === null) {
            end('cancelled');
            // The queue is gone; the channel is only tidied up, nothing waits on it.
            channel.close().catch(() => {});
            return;
          }
          handlers.onMessage(msg);
        },
        { noAck: false },
      );
    } catch (err) {
      consumer.ended = true;
      // The consume error is the one to report; a failed consume has closed the channel.
      await channel.close().catch(() => {});
      throw err;
    }
    opened = true;
    return consumer;
  }

  get active(): boolean {
    return !this.ended;
  }

  ack(message: ConsumeMessage): void {
    if (!this.ended) this.channel.ack(message);
  }

  /** Closing the channel hands every unacked message back to the queue. */
  async close(): Promise<void> {
    // A channel that is already closed has handed its messages back already.
    await this.channel.close().catch(() => {});
  }
}
