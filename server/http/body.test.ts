// Reading request bodies straight from node:http: complete bodies, the size limit, and
// uploads cut short — also when the sender left before the route started reading.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readNodeBody } from './body.js';
import { HttpError } from './errors.js';

let server: Server | null = null;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = null;
});

/** A server whose handler waits `delayMs` before reading; resolves with what reading gave. */
async function serveOnce(
  delayMs: number,
  limit = 1024,
): Promise<{ port: number; outcome: Promise<Buffer | HttpError> }> {
  let settle: (value: Buffer | HttpError) => void = () => {};
  const outcome = new Promise<Buffer | HttpError>((resolve) => {
    settle = resolve;
  });
  server = createServer((req: IncomingMessage, res) => {
    setTimeout(() => {
      readNodeBody(req, limit).then(
        (body) => {
          settle(body);
          res.end();
        },
        (err: unknown) => {
          settle(err instanceof HttpError ? err : new HttpError(500, 'unexpected', String(err)));
          res.end();
        },
      );
    }, delayMs);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, outcome };
}

/** Sends a request announcing 100 bytes, writes `body`, and optionally hangs up. */
function send(port: number, body: string, hangUpAfterMs: number | null): void {
  const socket = connect(port, '127.0.0.1', () => {
    socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n${body}`);
    if (hangUpAfterMs !== null) setTimeout(() => socket.destroy(), hangUpAfterMs);
  });
  socket.on('error', () => {
    // The server may reset the connection it is done with; the test reads the outcome.
  });
}

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([
    promise,
    new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), ms)),
  ]);

describe('readNodeBody', () => {
  it('reads a complete body', async () => {
    const { port, outcome } = await serveOnce(0);
    send(port, 'x'.repeat(100), null);
    expect(((await outcome) as Buffer).toString()).toBe('x'.repeat(100));
  });

  it('answers 400 incomplete_body when the sender hangs up while it reads', async () => {
    const { port, outcome } = await serveOnce(0);
    send(port, '{"a', 50);
    const err = (await within(outcome, 2000)) as HttpError;
    expect(err).toMatchObject({ status: 400, code: 'incomplete_body' });
  });

  it('answers 400 incomplete_body at once when the sender hung up before reading began', async () => {
    // The route checked a password (or looked up an endpoint) first; the sender left meanwhile.
    const { port, outcome } = await serveOnce(300);
    send(port, '{"a', 20);
    const err = (await within(outcome, 2000)) as HttpError;
    expect(err).toMatchObject({ status: 400, code: 'incomplete_body' });
  });

  it('refuses a declared length over the limit with 413 before reading', async () => {
    const { port, outcome } = await serveOnce(0, 10);
    send(port, 'x'.repeat(100), null);
    expect(await outcome).toMatchObject({ status: 413, code: 'payload_too_large' });
  });
});
