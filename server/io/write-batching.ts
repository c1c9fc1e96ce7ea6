// One socket write per event-loop turn, instead of one per message.
//
// amqplib writes every frame (each publish, each ack) to its socket on its own, and `ws`
// every WebSocket frame; on loopback each such write completes at once as a system call
// of its own. On this project's machines a write to a loopback socket cost 15–80 µs of
// CPU, the largest single cost of a push (docs/performance.md). Corking the socket at the
// first write of a turn and uncorking it on the next tick sends everything written in that
// turn as one writev, without delaying anything past the current turn.
import type { Duplex } from 'node:stream';

const coalesced = new WeakSet<Duplex>();

/** Makes `socket` coalesce its writes per turn. Idempotent per socket. */
export function coalesceWritesPerTurn(socket: Duplex): void {
  if (coalesced.has(socket)) return;
  coalesced.add(socket);
  const write = socket.write;
  let corked = false;
  const flush = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = function coalescedWrite(this: Duplex, ...args: Parameters<Duplex['write']>) {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(flush);
    }
    return write.apply(this, args);
  } as Duplex['write'];
}
