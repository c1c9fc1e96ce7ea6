// Built-in TLS as an operator runs it (docs/protocol.md §1, docs/operations.md): the real entry
// point started with TLS_CERT_FILE and TLS_KEY_FILE serves HTTPS and wss:// on PORT; after the
// files are replaced and the process gets a real SIGHUP (what a certbot deploy hook sends), new
// connections see the new certificate while a WebSocket and an HTTP/2 session opened before
// carry on. And a half-given TLS setting stops the start with one line naming the variable.
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { type ClientHttp2Session, connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Heartbeat } from '../../shared/protocol.js';
import { eventually } from '../testing/eventually.js';
import { freePort } from '../testing/ports.js';
import { httpsRequest, makeTestCertificate, type TestCertificate } from '../testing/tls.js';
import { TestSocket } from '../testing/ws-client.js';

const ROOT = resolve(import.meta.dirname, '../..');

let dir: string;
let first: TestCertificate;
let second: TestCertificate;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'push-tls-'));
  first = makeTestCertificate(dir, 'first');
  second = makeTestCertificate(dir, 'second');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; stderr: string }>;
}

/** `npm run server`, i.e. server/main.ts, with the test defaults and `env` on top. */
function startMain(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${join(dir, `push-${Date.now()}.db`)}`,
      LOG_LEVEL: 'info',
      // Bad requests from loopback must not box it for the other tests (see test-server.ts).
      DOS_ALLOW_LIST: '127.0.0.1,::1',
      ...env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; stderr: string }>((ok) => {
    child.on('close', (code) => ok({ code, stderr }));
  });
  return { child, output: () => stdout, exited };
}

describe('the server with TLS_CERT_FILE and TLS_KEY_FILE', () => {
  let server: Started;
  let url: string;
  const files = () => ({ certFile: join(dir, 'live.crt'), keyFile: join(dir, 'live.key') });

  beforeAll(async () => {
    copyFileSync(first.certFile, files().certFile);
    copyFileSync(first.keyFile, files().keyFile);
    const port = await freePort();
    server = startMain({
      PORT: String(port),
      TLS_CERT_FILE: files().certFile,
      TLS_KEY_FILE: files().keyFile,
      // The WebSocket kept open across the reload never says hello; give it time.
      HELLO_TIMEOUT_MS: '60000',
    });
    await eventually(() => server.output().includes('push server: listening on'), {
      timeoutMs: 30_000,
    });
    url = `https://localhost:${port}`;
  });
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
  });

  it('says it listens on https:// and hands out https:// endpoints', () => {
    expect(server.output()).toMatch(
      /push server: listening on https:\/\/127\.0\.0\.1:\d+ \(endpoints under https:\/\/localhost:\d+\/push\/\)/,
    );
  });

  it('re-reads the certificate files on SIGHUP without dropping open connections', async () => {
    const before = await httpsRequest(`${url}/__heartbeat__`, { ca: first.cert });
    expect(before.status).toBe(200);
    expect(before.fingerprint).toBe(first.fingerprint);

    // Connections opened with the old certificate: a WebSocket (before its hello) and HTTP/2.
    const socket = await TestSocket.open(url, { ca: first.cert });
    const session = await new Promise<ClientHttp2Session>((ok, fail) => {
      const s = connect(url, { ca: first.cert });
      s.once('connect', () => ok(s));
      s.once('error', fail);
    });

    copyFileSync(second.keyFile, files().keyFile);
    copyFileSync(second.certFile, files().certFile);
    server.child.kill('SIGHUP');
    await eventually(() => server.output().includes('"event":"tls.reloaded"'), {
      timeoutMs: 10_000,
    });

    const after = await httpsRequest(`${url}/__heartbeat__`, { ca: second.cert });
    expect(after.status).toBe(200);
    expect(after.fingerprint).toBe(second.fingerprint);
    expect(Heartbeat.parse(JSON.parse(after.body)).status).toBe('ok');

    // The HTTP/2 session still serves requests...
    const status = await new Promise<number>((ok, fail) => {
      const stream = session.request({ ':path': '/__heartbeat__' });
      stream.on('response', (headers) => ok(Number(headers[':status'])));
      stream.on('error', fail);
      stream.resume();
      stream.end();
    });
    expect(status).toBe(200);
    session.close();
    // ...and the server still reads the WebSocket: a bad hello on it is answered with 4401.
    socket.send({ type: 'hello', clientToken: 'not-a-token' });
    expect((await socket.closed).code).toBe(4401);
    expect(server.child.exitCode).toBeNull();
  });

  it('keeps serving the old certificate when the new files do not go together', async () => {
    copyFileSync(first.certFile, files().certFile); // the key is still the second one
    server.child.kill('SIGHUP');
    await eventually(() => server.output().includes('"event":"tls.reload_failed"'), {
      timeoutMs: 10_000,
    });
    const res = await httpsRequest(`${url}/__heartbeat__`, { ca: second.cert });
    expect(res.fingerprint).toBe(second.fingerprint);
  });
});

describe('a TLS setting the server cannot use', () => {
  it.each([
    [
      { TLS_CERT_FILE: '/etc/push/cert.pem' },
      'push server: cannot start: TLS_KEY_FILE: must be set too when TLS_CERT_FILE is (both or neither)',
    ],
    [
      { TLS_KEY_FILE: '/etc/push/key.pem' },
      'push server: cannot start: TLS_CERT_FILE: must be set too when TLS_KEY_FILE is (both or neither)',
    ],
  ])('%j stops the start with one line naming the variable', async (env, line) => {
    const { exited } = startMain({ PORT: String(await freePort()), ...env });
    const { code, stderr } = await exited;
    expect(code).toBe(1);
    expect(stderr).toBe(`${line}\n`);
  });

  it('a certificate file that cannot be read stops the start, naming TLS_CERT_FILE', async () => {
    const missing = join(dir, 'missing.pem');
    const { exited } = startMain({
      PORT: String(await freePort()),
      TLS_CERT_FILE: missing,
      TLS_KEY_FILE: first.keyFile,
    });
    const { code, stderr } = await exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(
      new RegExp(`^push server: cannot start: TLS_CERT_FILE: cannot read ${missing} \\(.*\\)\\n$`),
    );
  });
});
