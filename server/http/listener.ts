// The one server socket a node listens on (docs/protocol.md §1). Plain HTTP/1.1 by default;
// with TLS_CERT_FILE and TLS_KEY_FILE, HTTPS offering HTTP/2 by ALPN with an HTTP/1.1
// fallback. WebSocket upgrades arrive on that fallback (browsers open wss:// over HTTP/1.1),
// so `wss://` works on the same port as the POST Office. Certificate files are read again on
// SIGHUP (what certbot's deploy hook sends), without dropping any open connection. Given only
// a request listener, so any handler (Hono's adapter, or a raw fast path) can sit behind it.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { createSecureContext } from 'node:tls';

export type RequestListener = (
  request: IncomingMessage | Http2ServerRequest,
  response: ServerResponse | Http2ServerResponse,
) => unknown;

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** A certificate or key file that cannot be used; `variable` names the setting to fix. */
export class TlsFileError extends Error {
  override name = 'TlsFileError';
  constructor(
    readonly variable: 'TLS_CERT_FILE' | 'TLS_KEY_FILE',
    readonly problem: string,
  ) {
    super(`${variable}: ${problem}`);
  }
}

function readPem(path: string, variable: TlsFileError['variable'], label: RegExp): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (err) {
    throw new TlsFileError(variable, `cannot read ${path} (${(err as Error).message})`);
  }
  if (!label.test(pem.toString('latin1'))) {
    throw new TlsFileError(
      variable,
      `${path} holds no PEM ${variable === 'TLS_CERT_FILE' ? 'certificate' : 'private key'}`,
    );
  }
  return pem;
}

/** Reads and checks both files: each parses, and the key belongs to the certificate. */
export function readTlsFiles(files: TlsFiles): { cert: Buffer; key: Buffer } {
  const cert = readPem(files.certFile, 'TLS_CERT_FILE', /-----BEGIN [A-Z0-9 ]*CERTIFICATE-----/);
  const key = readPem(files.keyFile, 'TLS_KEY_FILE', /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/);
  try {
    createSecureContext({ cert });
  } catch (err) {
    throw new TlsFileError('TLS_CERT_FILE', `${files.certFile}: ${(err as Error).message}`);
  }
  try {
    createSecureContext({ key });
  } catch (err) {
    throw new TlsFileError('TLS_KEY_FILE', `${files.keyFile}: ${(err as Error).message}`);
  }
  try {
    createSecureContext({ cert, key });
  } catch {
    throw new TlsFileError(
      'TLS_KEY_FILE',
      `${files.keyFile} is not the key of the certificate in ${files.certFile}`,
    );
  }
  return { cert, key };
}

export interface ListenerOptions {
  /** null: plain HTTP. */
  tls: TlsFiles | null;
  /** Told the outcome of each SIGHUP reload; a failed one keeps the certificate in use. */
  onReload?: (error: TlsFileError | null) => void;
}

export interface Listener {
  server: Server | Http2SecureServer;
  /** true when serving HTTPS (and so `wss://`). */
  secure: boolean;
  /** `backlog`: connections the kernel may hold before they are accepted (a reconnect herd). */
  listen(port: number, host: string, backlog?: number): Promise<AddressInfo>;
  /**
   * Reads the certificate files again: connections made from now on get the new
   * certificate, open ones keep theirs. Throws TlsFileError and changes nothing on bad files.
   */
  reloadCertificates(): void;
  /**
   * Stops listening, lets the requests in flight finish for at most `drainMs`, then ends
   * every open connection, HTTP/1.1, HTTP/2 or WebSocket. A POST answered 201 must reach its
   * sender: cutting it off would make the sender retry a push that was stored.
   */
  close(drainMs: number): Promise<void>;
}

/**
 * Counts requests whose response has not finished, so that close() knows when draining is
 * done whatever the protocol (HTTP/1.1, HTTP/2 streams).
 */
function countingInFlight(handler: RequestListener): {
  handler: RequestListener;
  idle(): Promise<void>;
} {
  let inFlight = 0;
  let wake: (() => void) | null = null;
  return {
    handler(request, response) {
      inFlight++;
      let done = false;
      const finished = () => {
        if (done) return;
        done = true;
        inFlight--;
        if (inFlight === 0) wake?.();
      };
      response.once('finish', finished);
      response.once('close', finished);
      return handler(request, response);
    },
    idle() {
      if (inFlight === 0) return Promise.resolve();
      return new Promise((resolve) => {
        wake = () => {
          wake = null;
          resolve();
        };
      });
    },
  };
}

/** Waits for the requests in flight, or `drainMs`, whichever comes first. */
function drained(idle: () => Promise<void>, drainMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, drainMs);
    void idle().then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Throws TlsFileError when the files are unusable, so a server never starts half-configured. */
export function createListener(handle: RequestListener, options: ListenerOptions): Listener {
  const { handler, idle } = countingInFlight(handle);
  const files = options.tls;
  if (!files) return plainListener(createServer(handler), idle);

  const server = createSecureServer({ ...readTlsFiles(files), allowHTTP1: true }, handler);
  // Every connection, whichever protocol ALPN chose, rides on one of these TCP sockets;
  // tracked from accept on, so one still in its TLS handshake is ended on close too.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const reloadCertificates = () => server.setSecureContext(readTlsFiles(files));
  const onSighup = () => {
    try {
      reloadCertificates();
      options.onReload?.(null);
    } catch (err) {
      if (!(err instanceof TlsFileError)) throw err;
      options.onReload?.(err);
    }
  };
  process.on('SIGHUP', onSighup);
  server.once('close', () => process.off('SIGHUP', onSighup));
  return {
    server,
    secure: true,
    listen: (port, host, backlog) => listen(server, port, host, backlog),
    reloadCertificates,
    async close(drainMs) {
      process.off('SIGHUP', onSighup);
      // close() waits for open connections; ending them, once drained, lets it finish.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await drained(idle, drainMs);
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function plainListener(server: Server, idle: () => Promise<void>): Listener {
  return {
    server,
    secure: false,
    listen: (port, host, backlog) => listen(server, port, host, backlog),
    reloadCertificates: () => {},
    async close(drainMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await drained(idle, drainMs);
      server.closeAllConnections();
      await closed;
    },
  };
}

function listen(server: Server | Http2SecureServer, port: number, host: string, backlog = 511) {
  return new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog }, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
