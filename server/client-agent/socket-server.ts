// GET /v1/connect: the WebSocket front door. Takes the HTTP upgrade straight from node:http
// (no web-standard Request per socket, which held ~10 KB per connected device), applies the
// DoS guard and the per-process connection cap, and gives each socket a `Session`.
//
// The cap (MAX_CONNECTIONS) stays below the process's file limit, so a flood of devices
// can never take the descriptors that POST /push and /__heartbeat__ need: beyond it a
// socket is accepted only to be closed at once with 1013 "try again later", and the
// device returns after its jittered backoff.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { CloseCode, type ServerFrame } from '../../shared/protocol.js';
import type { DosDefense } from '../dos/defense.js';
import { coalesceWritesPerTurn } from '../io/write-batching.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { Session, type SessionDeps, type SessionTransport } from './session.js';

/** Client frames are small JSON objects; anything larger is not from a real client. */
export const MAX_CLIENT_FRAME_BYTES = 16 * 1024;
const CONNECT_PATH = '/v1/connect';

export interface SocketServerOptions {
  maxConnections: number;
  dos: DosDefense;
  log: Logger;
  metrics: Metrics;
}

function pathOf(url: string | undefined): string {
  if (!url) return '';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** A plain HTTP answer on a socket that asked for an upgrade we will not do. */
function refuseUpgrade(
  socket: Duplex,
  status: number,
  reason: string,
  body: object,
  extra = '',
): void {
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(json)}\r\n${extra}\r\n${json}`,
  );
}

function transportOf(ws: WebSocket): SessionTransport {
  return {
    send(frame: ServerFrame) {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    },
    close(code, reason) {
      ws.close(code, reason);
    },
  };
}

export class SocketServer {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_FRAME_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
  });
  private readonly sockets = new Set<WebSocket>();

  constructor(
    private readonly deps: SessionDeps,
    private readonly options: SocketServerOptions,
  ) {}

  /** WebSockets open on this process, identified or not. */
  get connections(): number {
    return this.sockets.size;
  }

  /** The `upgrade` listener of the HTTP server. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // A socket error before the handshake completes would otherwise be unhandled.
    socket.on('error', () => socket.destroy());
    if (pathOf(req.url) !== CONNECT_PATH) {
      refuseUpgrade(socket, 404, 'Not Found', {
        error: 'not_found',
        message: `no WebSocket endpoint at ${pathOf(req.url)}`,
      });
      return;
    }
    const { dos, metrics } = this.options;
    const forwarded = req.headers['x-forwarded-for'];
    const ip = dos.clientIp(
      req.socket.remoteAddress,
      typeof forwarded === 'string' ? forwarded : undefined,
    );
    const admission = dos.admit(ip);
    if (admission.kind === 'reject') {
      metrics.penaltyBoxRejections.inc();
      refuseUpgrade(
        socket,
        429,
        'Too Many Requests',
        {
          error: 'too_many_requests',
          message: `this address is in the penalty box; retry in ${admission.retryAfter} s`,
        },
        `Retry-After: ${admission.retryAfter}\r\n`,
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, socket, ip));
  };

  private accept(ws: WebSocket, socket: Duplex, ip: string): void {
    const { metrics } = this.options;
    if (this.sockets.size >= this.options.maxConnections) {
      metrics.connectionsRefused.inc({ reason: 'max_connections' });
      ws.close(CloseCode.TryAgainLater, 'server full; try again later');
      return;
    }
    // Several notifications to one device in one turn leave as one write.
    coalesceWritesPerTurn(socket);
    this.sockets.add(ws);
    // A socket that never identifies is a bad request of its address, like a 401 on the REST
    // API: guessing tokens over WebSockets gets the address boxed as guessing them over HTTP.
    const helloRefused = () => this.options.dos.countBadRequest(ip);
    const session = new Session(transportOf(ws), this.deps, { onHelloRefused: helloRefused });
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        if (session.stateName === 'unidentified') helloRefused();
        session.close(CloseCode.MessageTooBig, 'frames must be JSON text');
        return;
      }
      session.onText(data.toString());
    });
    ws.on('close', () => {
      this.sockets.delete(ws);
      session.onSocketClosed();
    });
    // ws closes the socket after an error (e.g. a frame over maxPayload: 1009).
    ws.on('error', () => {
      if (session.stateName === 'unidentified') helloRefused();
      session.onSocketClosed();
    });
  }

  /** Closes every socket with `code` (1001 on shutdown: devices reconnect elsewhere). */
  closeAll(code: number, reason: string): void {
    for (const ws of this.sockets) ws.close(code, reason);
  }

  terminateAll(): void {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
  }
}
