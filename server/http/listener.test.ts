// The listener alone (docs/protocol.md §1): plain HTTP by default; with TLS files, HTTP/2 by
// ALPN, HTTP/1.1 for clients that do not offer h2, WebSocket upgrades on that fallback, and a
// certificate swap on SIGHUP that new connections see while open ones carry on. Certificates
// are made with openssl for each run.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { type ClientHttp2Session, connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { httpsRequest, makeTestCertificate, type TestCertificate } from '../testing/tls.js';
import { createListener, type Listener, type RequestListener, TlsFileError } from './listener.js';

let dir: string;
let first: TestCertificate;
let second: TestCertificate;
const open: Listener[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'push-listener-'));
  first = makeTestCertificate(dir, 'first');
  second = makeTestCertificate(dir, 'second');
});
afterEach(async () => {
  for (const listener of open.splice(0)) await listener.close(0);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Answers every request with its HTTP version and path. */
const hello: RequestListener = (req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end(`${req.httpVersion} ${req.url}`);
};

async function start(
  tls: { certFile: string; keyFile: string } | null,
  onReload?: (err: TlsFileError | null) => void,
) {
  const listener = createListener(hello, { tls, ...(onReload ? { onReload } : {}) });
  open.push(listener);
  const { port } = await listener.listen(0, '127.0.0.1');
  return { listener, port };
}

/** Files a test may overwrite, starting as a copy of `cert`. */
function ownFiles(cert: TestCertificate, name: string) {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  copyFileSync(cert.certFile, certFile);
  copyFileSync(cert.keyFile, keyFile);
  return { certFile, keyFile };
}

function h2Connect(port: number, ca: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(`https://localhost:${port}`, { ca });
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

function h2Get(
  session: ClientHttp2Session,
  path: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path });
    let status = 0;
    let body = '';
    stream.on('response', (headers) => {
      status = Number(headers[':status']);
    });
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      body += chunk;
    });
    stream.on('end', () => resolve({ status, body }));
    stream.on('error', reject);
    stream.end();
  });
}

const peerFingerprint = (session: ClientHttp2Session) =>
  (session.socket as TLSSocket).getPeerX509Certificate()?.fingerprint256;

describe('plain HTTP (no TLS files)', () => {
  it('serves HTTP/1.1 and says it is not secure', async () => {
    const { listener, port } = await start(null);
    expect(listener.secure).toBe(false);
    const body = await new Promise<string>((resolve, reject) => {
      get(`http://127.0.0.1:${port}/x`, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(body).toBe('1.1 /x');
  });
});

describe('with TLS files', () => {
  it('speaks HTTP/2 to a client offering h2, with the configured certificate', async () => {
    const { listener, port } = await start(first);
    expect(listener.secure).toBe(true);
    const session = await h2Connect(port, first.cert);
    expect(session.alpnProtocol).toBe('h2');
    expect(peerFingerprint(session)).toBe(first.fingerprint);
    expect(await h2Get(session, '/over-h2')).toEqual({ status: 200, body: '2.0 /over-h2' });
    session.close();
  });

  it('falls back to HTTP/1.1 for a client that does not offer h2', async () => {
    const { port } = await start(first);
    const res = await httpsRequest(`https://localhost:${port}/over-h1`, { ca: first.cert });
    expect(res.status).toBe(200);
    expect(res.body).toBe('1.1 /over-h1');
    expect(res.fingerprint).toBe(first.fingerprint);
  });

  it('hands WebSocket upgrades on the HTTP/1.1 fallback to the upgrade event (wss://)', async () => {
    const { listener, port } = await start(first);
    const wss = new WebSocketServer({ noServer: true });
    listener.server.on('upgrade', (request, socket, head) => {
      wss.handleUpgrade(request, socket, head, (ws) => {
        ws.on('message', (data) => ws.send(`echo ${String(data)}`));
      });
    });
    const client = new WebSocket(`wss://localhost:${port}/v1/connect`, { ca: first.cert });
    const reply = await new Promise<string>((resolve, reject) => {
      client.once('open', () => client.send('ping'));
      client.once('message', (data) => resolve(String(data)));
      client.once('error', reject);
    });
    expect(reply).toBe('echo ping');
    client.terminate();
    wss.close();
  });

  it('refuses a client that does not trust the certificate', async () => {
    const { port } = await start(first);
    await expect(httpsRequest(`https://localhost:${port}/`, { ca: second.cert })).rejects.toThrow(
      /self.signed|unable to verify|certificate/i,
    );
  });

  it('on SIGHUP, new connections get the new certificate while open ones carry on', async () => {
    const files = ownFiles(first, 'renewed');
    const reloads: Array<TlsFileError | null> = [];
    const { port } = await start(files, (err) => reloads.push(err));
    const before = await h2Connect(port, first.cert);
    expect(peerFingerprint(before)).toBe(first.fingerprint);

    // What certbot does: new files in place, then a SIGHUP.
    copyFileSync(second.keyFile, files.keyFile);
    copyFileSync(second.certFile, files.certFile);
    process.emit('SIGHUP', 'SIGHUP');
    expect(reloads).toEqual([null]);

    const after = await h2Connect(port, second.cert);
    expect(peerFingerprint(after)).toBe(second.fingerprint);
    expect(
      (await httpsRequest(`https://localhost:${port}/`, { ca: second.cert })).fingerprint,
    ).toBe(second.fingerprint);
    // The connection made before the swap was not dropped.
    expect(await h2Get(before, '/still-here')).toEqual({ status: 200, body: '2.0 /still-here' });
    before.close();
    after.close();
  });

  it('keeps the certificate in use when the files read on SIGHUP are unusable', async () => {
    const files = ownFiles(first, 'broken');
    const reloads: Array<TlsFileError | null> = [];
    const { port } = await start(files, (err) => reloads.push(err));
    copyFileSync(second.certFile, files.certFile); // the key no longer matches
    process.emit('SIGHUP', 'SIGHUP');
    expect(reloads).toHaveLength(1);
    expect(reloads[0]).toBeInstanceOf(TlsFileError);
    expect(reloads[0]?.variable).toBe('TLS_KEY_FILE');
    const res = await httpsRequest(`https://localhost:${port}/`, { ca: first.cert });
    expect(res.fingerprint).toBe(first.fingerprint);
  });

  it('ends open connections on close and lets go of SIGHUP', async () => {
    const listeners = process.listenerCount('SIGHUP');
    const listener = createListener(hello, { tls: first });
    expect(process.listenerCount('SIGHUP')).toBe(listeners + 1);
    const { port } = await listener.listen(0, '127.0.0.1');
    const session = await h2Connect(port, first.cert);
    const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
    await listener.close(0);
    await closed;
    expect(process.listenerCount('SIGHUP')).toBe(listeners);
  });
});

describe('unusable TLS files stop the start, naming the variable', () => {
  const missing = () => join(dir, 'no-such-file.pem');

  it.each([
    [
      'a missing certificate file',
      () => ({ certFile: missing(), keyFile: first.keyFile }),
      'TLS_CERT_FILE',
    ],
    [
      'a missing key file',
      () => ({ certFile: first.certFile, keyFile: missing() }),
      'TLS_KEY_FILE',
    ],
    [
      'the key given as certificate',
      () => ({ certFile: first.keyFile, keyFile: first.keyFile }),
      'TLS_CERT_FILE',
    ],
    [
      'the certificate given as key',
      () => ({ certFile: first.certFile, keyFile: first.certFile }),
      'TLS_KEY_FILE',
    ],
    [
      'a key of another certificate',
      () => ({ certFile: first.certFile, keyFile: second.keyFile }),
      'TLS_KEY_FILE',
    ],
    [
      'an empty certificate file',
      () => ({ certFile: writeEmpty('empty.pem'), keyFile: first.keyFile }),
      'TLS_CERT_FILE',
    ],
  ])('%s', (_label, files, variable) => {
    let error: unknown;
    try {
      open.push(createListener(hello, { tls: files() }));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TlsFileError);
    expect((error as TlsFileError).variable).toBe(variable);
    expect((error as TlsFileError).message).toMatch(new RegExp(`^${variable}: `));
  });
});

function writeEmpty(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, '');
  return path;
}

describe('closing while requests are in flight', () => {
  /** Answers after `ms`, as a push waiting for RabbitMQ's confirm would. */
  const slow =
    (ms: number): RequestListener =>
    (_req, res) => {
      setTimeout(() => res.end('stored'), ms);
    };

  async function startSlow(tls: { certFile: string; keyFile: string } | null) {
    const listener = createListener(slow(300), { tls });
    const { port } = await listener.listen(0, '127.0.0.1');
    return { listener, port };
  }

  it('plain HTTP: lets a request in flight finish before ending its connection', async () => {
    const { listener, port } = await startSlow(null);
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      get(`http://127.0.0.1:${port}/`, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });
    await new Promise((r) => setTimeout(r, 50)); // the request is being handled now
    const closing = listener.close(5000);
    expect(await answer).toEqual({ status: 200, body: 'stored' });
    await closing;
  });

  it('HTTPS/HTTP/2: lets a stream in flight finish, and does not wait past the bound', async () => {
    const { listener, port } = await startSlow(first);
    const session = await h2Connect(port, first.cert);
    const stream = session.request({ ':path': '/' });
    let body = '';
    stream.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    const ended = new Promise<void>((resolve) => stream.on('end', () => resolve()));
    await new Promise((r) => setTimeout(r, 50));
    await listener.close(5000);
    await ended;
    expect(body).toBe('stored');

    // A handler that never answers holds close() for the bound only.
    const stuck = createListener(() => {}, { tls: null });
    const { port: stuckPort } = await stuck.listen(0, '127.0.0.1');
    get(`http://127.0.0.1:${stuckPort}/`).on('error', () => {}); // cut off by close, as meant
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await stuck.close(300);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
