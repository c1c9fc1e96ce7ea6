// A TCP load balancer on loopback for tests of several server nodes behind one PUBLIC_URL,
// standing in for Caddy or nginx: each new connection goes to the next backend in turn,
// skipping one that refuses it (a node that is down), and is cut when its backend's is.
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  /** host:port pairs; replaced as nodes come and go. */
  backends: Array<{ host: string; port: number }> = [];
  private turn = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<TcpProxy> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    const proxy = new TcpProxy(server, typeof address === 'object' && address ? address.port : 0);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    client.once('close', () => this.sockets.delete(client));
    // Read nothing until a backend is chosen; what the client sent waits in its buffer.
    client.pause();
    client.on('error', () => client.destroy());
    this.connect(client, this.turn++, this.backends.length);
  }

  /** Tries the backends in order from `index`, each once. */
  private connect(client: Socket, index: number, triesLeft: number): void {
    if (triesLeft === 0 || client.destroyed) {
      client.destroy();
      return;
    }
    const backend = this.backends[index % this.backends.length];
    if (!backend) {
      client.destroy();
      return;
    }
    const upstream = createConnection(backend);
    this.sockets.add(upstream);
    upstream.once('close', () => this.sockets.delete(upstream));
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => {
      // Refused before anything was sent: the next backend gets the client instead.
      if (!connected) this.connect(client, index + 1, triesLeft - 1);
      upstream.destroy();
    });
    upstream.once('close', () => {
      if (connected) client.destroy();
    });
    client.once('close', () => upstream.destroy());
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
