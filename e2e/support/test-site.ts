// A small web site for the e2e tests, and a Web Push sender for it. One server answers for
// three origins: http://127.0.0.1:<port> and http://localhost:<port> (secure contexts:
// loopback) and http://insecure.test:<port> (not a secure context; ui-page.ts). Its pages
// record what navigator.push answered in data attributes, for the tests to read.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import webpush from 'web-push';
import type { PushSubscriptionJSON } from '../../shared/protocol.js';
import { INSECURE_HOST } from './ui-page.js';

export interface VapidKeys {
  subject: string;
  publicKey: string;
  privateKey: string;
}

/** What an on-load page reported about its subscribe(). */
export interface SiteReport {
  origin: string;
  state: 'done' | 'failed';
  error: string | null;
  message: string | null;
}

export interface TestSite {
  /** http://127.0.0.1:<port> */
  url: string;
  /** http://localhost:<port>: the same pages, another origin. */
  otherOriginUrl: string;
  /** http://insecure.test:<port>: the same pages in a context that is not secure. */
  insecureUrl: string;
  vapid: VapidKeys;
  /** Resolves with the next report an on-load page sends (call before opening it). */
  nextReport(): Promise<SiteReport>;
  close(): Promise<void>;
}

/** Records a navigator.push result on the body: data-state and data-result or data-error. */
const RECORD = `
  function record(promise) {
    document.body.dataset.state = 'working';
    return promise.then(
      (value) => {
        document.body.dataset.result = JSON.stringify(value && value.toJSON ? value.toJSON() : value);
        document.body.dataset.state = 'done';
      },
      (err) => {
        document.body.dataset.error = err.name;
        document.body.dataset.message = err.message;
        document.body.dataset.state = 'failed';
      },
    );
  }
  const subscribe = () =>
    record(navigator.push.subscribe({ applicationServerKey: document.body.dataset.key }));`;

/** A page with a Subscribe button: subscribing in a click, with the user's gesture. */
function subscribePage(key: string): string {
  return `<!doctype html><meta charset="utf-8"><title>Test site</title>
<body data-key="${key}">
<button id="subscribe" type="button">Subscribe</button>
<ul id="pushes"></ul>
<script>${RECORD}
  document.getElementById('subscribe').addEventListener('click', subscribe);
  if (navigator.push) {
    navigator.push.addEventListener('push', (event) => {
      const li = document.createElement('li');
      li.textContent = event.data ? event.data.text() : '(empty)';
      document.getElementById('pushes').append(li);
    });
  }
</script>`;
}

/**
 * A page that subscribes as soon as it loads, without any gesture of the user, and reports the
 * outcome to its server (TestSite.reports): the test never evaluates anything in it.
 */
function onLoadPage(key: string): string {
  return `<!doctype html><meta charset="utf-8"><title>Subscribes on load</title>
<body data-key="${key}">
<script>${RECORD}
  subscribe().then(() => fetch('/report', {
    method: 'POST',
    body: JSON.stringify({
      origin: location.origin,
      state: document.body.dataset.state,
      error: document.body.dataset.error ?? null,
      message: document.body.dataset.message ?? null,
    }),
  }));
</script>`;
}

/**
 * A page that talks to the add-on's content script itself, as a hostile page could: it
 * announces its own bridge channel and posts requests on it (window.forge(id, request)).
 * The content script's answers are collected in data-responses.
 */
function forgePage(): string {
  return `<!doctype html><meta charset="utf-8"><title>Forged bridge messages</title>
<body>
<script>
  const TAG = 'push-service-bridge/1';
  const channel = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, '0')).join('');
  const responses = {};
  const post = (message) => window.postMessage({ tag: TAG, from: 'page', channel, ...message }, location.origin);
  window.addEventListener('message', (event) => {
    const m = event.data;
    if (!m || m.tag !== TAG || m.from !== 'content') return;
    if (m.type === 'probe') post({ type: 'hello' });
    if (m.type === 'ready' && m.channel === channel) document.body.dataset.ready = 'true';
    if (m.type === 'response' && m.channel === channel) {
      responses[m.id] = m.response;
      document.body.dataset.responses = JSON.stringify(responses);
    }
  });
  post({ type: 'hello' });
  window.forge = (id, request) => post({ type: 'request', id, request });
</script>`;
}

export async function startTestSite(): Promise<TestSite> {
  const vapid: VapidKeys = { subject: 'mailto:e2e@localhost', ...webpush.generateVAPIDKeys() };
  const pages: Record<string, () => string> = {
    '/': () => subscribePage(vapid.publicKey),
    '/on-load': () => onLoadPage(vapid.publicKey),
    '/forge': forgePage,
  };
  const waiting: Array<(report: SiteReport) => void> = [];
  const server: Server = createServer((request, response) => {
    if (request.method === 'POST' && request.url === '/report') {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      request.on('end', () => {
        waiting.shift()?.(JSON.parse(body) as SiteReport);
        response.writeHead(204).end();
      });
      return;
    }
    const page = pages[new URL(request.url ?? '/', 'http://x').pathname];
    if (!page) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    otherOriginUrl: `http://localhost:${port}`,
    insecureUrl: `http://${INSECURE_HOST}:${port}`,
    vapid,
    nextReport: () => new Promise<SiteReport>((resolve) => waiting.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface PushSent {
  status: number;
  /** performance.now() just before the POST, after web-push encrypted and signed. */
  postedAt: number;
  /** From the Location header of a 201 (docs/protocol.md §4); null otherwise. */
  messageId: string | null;
}

/** Sends one Web Push (RFC 8291 aes128gcm, VAPID) as a site's server would, with npm web-push. */
export async function sendPush(
  subscription: PushSubscriptionJSON,
  payload: string,
  vapid: VapidKeys,
): Promise<PushSent> {
  const request = webpush.generateRequestDetails(
    { endpoint: subscription.endpoint, keys: subscription.keys },
    payload,
    { vapidDetails: vapid, contentEncoding: 'aes128gcm', TTL: 600 },
  );
  // fetch computes Content-Length itself (web-push only describes the request for http:).
  const headers = Object.fromEntries(
    Object.entries(request.headers).filter(([name]) => name.toLowerCase() !== 'content-length'),
  );
  const postedAt = performance.now();
  const response = await fetch(request.endpoint, {
    method: request.method,
    headers,
    body: request.body ? new Uint8Array(request.body) : null,
  });
  await response.arrayBuffer();
  const location = response.headers.get('location');
  return {
    status: response.status,
    postedAt,
    messageId: response.status === 201 && location ? (location.split('/m/')[1] ?? null) : null,
  };
}
