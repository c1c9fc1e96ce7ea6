// The socket under an amqplib channel, to coalesce its writes (server/io/write-batching.ts).
import type { Duplex } from 'node:stream';
import type { Channel, ChannelModel } from 'amqplib';
import { coalesceWritesPerTurn } from '../io/write-batching.js';

/** amqplib keeps it as `channel.connection.stream`; absent if its internals change shape. */
function socketOf(channel: Channel): Duplex | null {
  const connection = (channel as unknown as { connection?: { stream?: unknown } }).connection;
  const stream = connection?.stream;
  return stream && typeof (stream as Duplex).cork === 'function' ? (stream as Duplex) : null;
}

/** The socket of a connection (`model.connection.stream`); null if amqplib changes shape. */
export function socketOfModel(model: ChannelModel): Duplex | null {
  const stream = (model as unknown as { connection?: { stream?: unknown } }).connection?.stream;
  return stream && typeof (stream as Duplex).destroy === 'function' ? (stream as Duplex) : null;
}

/**
 * Makes the connection under `channel` send what it writes in one turn as one write. A
 * no-op when the socket cannot be found: then every frame is simply written at once.
 */
export function batchWritesPerTurn(channel: Channel): void {
  const socket = socketOf(channel);
  if (socket) coalesceWritesPerTurn(socket);
}
