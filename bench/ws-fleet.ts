// The devices: one plain `ws` WebSocket per client, speaking docs/protocol.md §3 — hello first,
// then ack every notification as soon as it arrives, answer pings. Frames are checked
// only as far as the benchmark needs (type and id): schema-validating every frame would
// bill the load generator's CPU, which shares the two cores with the server.
import WebSocket from 'ws';
import type { BenchClient } from './seed.js';

export interface Notification {
  id: string;
  data: string | undefined;
}

export interface Fleet {
  /** Called for every notification, with performance.now() at its arrival. */
  onNotification: (clientIndex: number, n: Notification, at: number) => void;
  /** Sockets that closed while the benchmark still needed them. */
  readonly unexpectedCloses: number;
  close(): Promise<void>;
}

interface Frame {
  type?: unknown;
  id?: unknown;
  data?: unknown;
  clientId?: unknown;
}

function wsUrl(serverUrl: string): string {
  return `${serverUrl.replace(/^http/, 'ws')}/v1/connect`;
}

export async function connectFleet(
  serverUrl: string,
  clients: readonly BenchClient[],
  batch = 100,
): Promise<Fleet> {
  const sockets: WebSocket[] = [];
  let closing = false;
  const fleet = {
    onNotification: (_c: number, _n: Notification, _at: number) => {},
    unexpectedCloses: 0,
    async close() {
      closing = true;
      await Promise.all(
        sockets.map(
          (ws) =>
            new Promise<void>((resolve) => {
              if (ws.readyState === WebSocket.CLOSED) return resolve();
              ws.once('close', () => resolve());
              ws.close(1000);
            }),
        ),
      );
    },
  };

  const connectOne = (client: BenchClient, index: number) =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(wsUrl(serverUrl), { perMessageDeflate: false });
      sockets.push(ws);
      let identified = false;
      ws.once('open', () =>
        ws.send(JSON.stringify({ type: 'hello', clientToken: client.clientToken })),
      );
      ws.on('message', (raw: WebSocket.RawData) => {
        const at = performance.now();
        const frame = JSON.parse(raw.toString()) as Frame;
        if (frame.type === 'notification' && typeof frame.id === 'string') {
          // Ack first: the server holds a prefetch slot until it hears this.
          ws.send(`{"type":"ack","id":${JSON.stringify(frame.id)}}`);
          fleet.onNotification(
            index,
            {
              id: frame.id,
              data: typeof frame.data === 'string' ? frame.data : undefined,
            },
            at,
          );
        } else if (frame.type === 'ping') {
          ws.send('{"type":"pong"}');
        } else if (frame.type === 'hello' && frame.clientId === client.clientId) {
          identified = true;
          resolve();
        }
      });
      ws.on('close', (code) => {
        if (!identified) reject(new Error(`socket closed before hello (${code})`));
        else if (!closing) fleet.unexpectedCloses += 1;
      });
      ws.on('error', (err) => {
        if (!identified) reject(err);
      });
    });

  for (let i = 0; i < clients.length; i += batch) {
    await Promise.all(clients.slice(i, i + batch).map((c, k) => connectOne(c, i + k)));
  }
  return fleet;
}
