// docs/protocol.md §1 and §4 as a new user meets them: a server started with TLS_CERT_FILE and
// TLS_KEY_FILE (a certificate made for this run) answers 201 to five Web Push senders this
// project did not write, each used unchanged over HTTPS, and a device connected over wss://
// decrypts every message. Then the same POST Office over HTTP/2 (node:http2).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type ClientHttp2Session, connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { encryptPushPayload } from '../../shared/crypto/aes128gcm.js';
import { encryptAesgcm } from '../../shared/crypto/aesgcm.js';
import { encodeBase64Url, utf8Decode, utf8Encode } from '../../shared/crypto/base64url.js';
import { decryptNotification } from '../../shared/crypto/notification.js';
import {
  deriveSubscriptionKeys,
  generateSecretKey,
  type SubscriptionKeys,
  toPushSubscriptionJSON,
} from '../../shared/crypto/subscription-keys.js';
import {
  CreateAccountResponse,
  CreateClientResponse,
  CreateSubscriptionResponse,
  ErrorBody,
  Heartbeat,
  type PushSubscriptionJSON,
} from '../../shared/protocol.js';
import { basic, bearer, uniqueUsername } from '../testing/api.js';
import { SENDERS, type SenderJob, type SenderName } from '../testing/real-senders.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { httpsRequest, makeTestCertificate, type TestCertificate } from '../testing/tls.js';
import { TestSocket } from '../testing/ws-client.js';

const ROOT = resolve(import.meta.dirname, '../..');
const vapid = { subject: 'mailto:ops@example.com', ...webpush.generateVAPIDKeys() };
const secretKey = generateSecretKey();

let dir: string;
let cert: TestCertificate;
let server: TestServer;
let clientToken: string;
let device: TestSocket;

/** A JSON call to the Client Agent over HTTPS, trusting only the test certificate. */
async function api(path: string, authorization: string | null, body: unknown): Promise<unknown> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization) headers.authorization = authorization;
  const res = await httpsRequest(`${server.url}${path}`, {
    ca: cert.cert,
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`${path}: ${res.status} ${res.body}`);
  return JSON.parse(res.body);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'push-senders-'));
  cert = makeTestCertificate(dir);
  server = await startTestServer({
    env: { TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: cert.keyFile },
  });
  const username = uniqueUsername('senders');
  const password = 'a password for senders';
  CreateAccountResponse.parse(await api('/v1/accounts', null, { username, password }));
  clientToken = CreateClientResponse.parse(
    await api('/v1/clients', basic(username, password), { name: 'phone' }),
  ).clientToken;
  device = await TestSocket.connect(server.url, clientToken, { ca: cert.cert });
});

afterAll(async () => {
  await device?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A subscription that only pushes signed by our VAPID key may use, as a site would get it. */
async function subscribe(): Promise<{ json: PushSubscriptionJSON; keys: SubscriptionKeys }> {
  const { subscriptionId, endpoint } = CreateSubscriptionResponse.parse(
    await api('/v1/subscriptions', bearer(clientToken), { applicationServerKey: vapid.publicKey }),
  );
  const keys = deriveSubscriptionKeys(secretKey, subscriptionId);
  return { json: toPushSubscriptionJSON(endpoint, keys), keys };
}

/** Runs a program with the test certificate trusted as an operator would: NODE_EXTRA_CA_CERTS. */
function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: cert.certFile },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** The next notification the device gets, decrypted with the subscription's keys, then acked. */
async function received(keys: SubscriptionKeys) {
  const frame = await device.nextNotification(20_000);
  device.ack(frame.id);
  const plain = decryptNotification(frame, keys);
  return { frame, text: plain === null ? null : utf8Decode(plain) };
}

describe('five Web Push senders, unchanged, over HTTPS', () => {
  it('serves HTTPS on PORT and hands out https:// endpoints', () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(server.config.publicUrl).toMatch(/^https:\/\/localhost:\d+$/);
  });

  const encodingOf: Record<SenderName, 'aes128gcm' | 'aesgcm'> = {
    'web-push': 'aes128gcm',
    'web-push-aesgcm': 'aesgcm',
    pushforge: 'aesgcm',
    block65: 'aes128gcm',
  };

  it.each(SENDERS)('%s: 201, and the device decrypts the message', async (sender) => {
    const { json, keys } = await subscribe();
    const payload = { title: `from ${sender}`, body: 'over https' };
    const job: SenderJob = { sender, subscription: json, payload, vapid };
    const result = await run([
      '--import',
      'tsx',
      'server/testing/real-senders.ts',
      JSON.stringify(job),
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 201 });
    const { frame, text } = await received(keys);
    expect(frame.encoding).toBe(encodingOf[sender]);
    expect(JSON.parse(text!)).toEqual(payload);
  });

  it('the web-push CLI: sends, and the device decrypts the message', async () => {
    const { json, keys } = await subscribe();
    const result = await run([
      join(ROOT, 'node_modules/web-push/src/cli.js'),
      'send-notification',
      `--endpoint=${json.endpoint}`,
      `--key=${json.keys.p256dh}`,
      `--auth=${json.keys.auth}`,
      '--payload=hello from the CLI',
      '--ttl=60',
      `--vapid-subject=${vapid.subject}`,
      `--vapid-pubkey=${vapid.publicKey}`,
      `--vapid-pvtkey=${vapid.privateKey}`,
    ]);
    // The CLI exits 0 either way and says which it was.
    expect(result.stdout).toContain('Push message sent.');
    const { frame, text } = await received(keys);
    expect(frame.encoding).toBe('aes128gcm');
    expect(text).toBe('hello from the CLI');
  });
});

describe('HTTP/2', () => {
  let session: ClientHttp2Session;

  beforeAll(async () => {
    session = await new Promise<ClientHttp2Session>((ok, fail) => {
      const s = connect(server.url, { ca: cert.cert });
      s.once('connect', () => ok(s));
      s.once('error', fail);
    });
  });
  afterAll(() => {
    session?.close();
  });

  function request(
    headers: Record<string, string>,
    body?: Uint8Array,
  ): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    return new Promise((ok, fail) => {
      const stream = session.request(headers);
      let status = 0;
      let responseHeaders: Record<string, unknown> = {};
      let text = '';
      stream.on('response', (h) => {
        status = Number(h[':status']);
        responseHeaders = h;
      });
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        text += chunk;
      });
      stream.on('end', () => ok({ status, headers: responseHeaders, body: text }));
      stream.on('error', fail);
      stream.end(body);
    });
  }

  const pathOf = (endpoint: string) => new URL(endpoint).pathname;

  it('is what ALPN chooses for a client offering h2', () => {
    expect(session.alpnProtocol).toBe('h2');
  });

  it('accepts aes128gcm and aesgcm pushes, which the device decrypts', async () => {
    const { json, keys } = await subscribe();
    const authorization = String(
      webpush.getVapidHeaders(
        new URL(json.endpoint).origin,
        vapid.subject,
        vapid.publicKey,
        vapid.privateKey,
        'aes128gcm',
      ).Authorization,
    );
    const modern = await request(
      {
        ':method': 'POST',
        ':path': pathOf(json.endpoint),
        ttl: '60',
        urgency: 'high',
        'content-encoding': 'aes128gcm',
        authorization,
      },
      encryptPushPayload({
        plaintext: utf8Encode('h2 modern'),
        uaPublicKey: keys.publicKey,
        authSecret: keys.auth,
      }),
    );
    expect(modern.status).toBe(201);
    expect(String(modern.headers.location)).toMatch(new RegExp(`^${server.config.publicUrl}/m/`));
    expect(modern.headers.ttl).toBe('60');
    const first = await received(keys);
    expect(first.text).toBe('h2 modern');
    expect(first.frame.urgency).toBe('high');

    const legacy = encryptAesgcm({
      plaintext: utf8Encode('h2 legacy'),
      uaPublicKey: keys.publicKey,
      authSecret: keys.auth,
    });
    const old = await request(
      {
        ':method': 'POST',
        ':path': pathOf(json.endpoint),
        ttl: '60',
        'content-encoding': 'aesgcm',
        encryption: legacy.encryption,
        'crypto-key': legacy.cryptoKey,
        authorization,
      },
      legacy.body,
    );
    expect(old.status).toBe(201);
    const second = await received(keys);
    expect(second.frame.encryption).toBe(legacy.encryption);
    expect(second.text).toBe('h2 legacy');
  });

  it('answers errors in the JSON shape: 400 for aesgcm without Encryption, 401, 404', async () => {
    const { json } = await subscribe();
    const cases: Array<[Record<string, string>, number, string]> = [
      [
        { 'content-encoding': 'aesgcm', 'crypto-key': `dh=${encodeBase64Url(new Uint8Array(65))}` },
        400,
        'invalid_encryption',
      ],
      [{ 'content-encoding': 'aes128gcm' }, 401, 'invalid_vapid'],
    ];
    for (const [headers, status, code] of cases) {
      const res = await request(
        { ':method': 'POST', ':path': pathOf(json.endpoint), ttl: '60', ...headers },
        new Uint8Array(20),
      );
      expect(res.status).toBe(status);
      expect(String(res.headers['content-type'])).toMatch(/application\/json/);
      expect(ErrorBody.parse(JSON.parse(res.body)).error).toBe(code);
    }
    const unknown = await request({ ':method': 'POST', ':path': '/push/no-such-token', ttl: '60' });
    expect(unknown.status).toBe(404);
    expect(ErrorBody.parse(JSON.parse(unknown.body)).error).toBe('not_found');
  });

  it('serves the rest of the API too (the heartbeat)', async () => {
    const res = await request({ ':method': 'GET', ':path': '/__heartbeat__' });
    expect(res.status).toBe(200);
    expect(Heartbeat.parse(JSON.parse(res.body)).status).toBe('ok');
  });
});
