// Pairing a new device with a signed-in one (docs/protocol.md §6) as a user does it, on the add-on's
// pages: "I already use Push on another device" on the new one, "Add a device" on the other.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { js } from './addon-steps.js';

import type { UiPage } from './ui-page.js';

/** The pairing page has finished loading (the options page sets the same flag, so check both). */
const PAIRING_PAGE_READY =
  "location.pathname.endsWith('/ui/pairing.html') && document.documentElement.dataset.ready === 'true'";

export const PAIRING_SUCCEEDED = "!document.getElementById('pairing-success').hidden";
export const PAIRING_FAILED = "!document.getElementById('pairing-error').hidden";
export const PAIRING_ENDED = `${PAIRING_SUCCEEDED} || ${PAIRING_FAILED}`;

export const CODE_PATTERN = /^[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}$/;

/**
 * On the options page of a device that is not signed in: chooses "I already use Push on another
 * device" and returns the code the pairing page shows (the page stays open, waiting).
 */
export async function showPairingCode(options: UiPage): Promise<string> {
  await options.click('#pair-new');
  await options.waitFor(PAIRING_PAGE_READY);
  await options.waitFor("document.getElementById('pairing-code').value !== ''");
  const code = await options.evaluate<string>("document.getElementById('pairing-code').value");
  expect(code).toMatch(CODE_PATTERN);
  return code;
}

/** On the options page of a signed-in device: "Add a device", then type the code. */
export async function typePairingCode(
  options: UiPage,
  code: string,
  deviceName: string,
  beforeSubmit: (page: UiPage) => Promise<void> = async () => {},
): Promise<void> {
  await options.click('#add-device');
  await options.waitFor(PAIRING_PAGE_READY);
  await options.fill('#code-input', code);
  await options.fill('#device-name', deviceName);
  await beforeSubmit(options);
  await options.click('#add-submit');
}

/** The text of an element of the page. */
export function textOf(page: UiPage, id: string): Promise<string> {
  return page.evaluate<string>(`document.getElementById(${js(id)}).textContent`);
}

/** The rows of the popup's device list, as an expression. */
export const DEVICE_ROWS = "[...document.querySelectorAll('#devices li.device')]";
/** The names in the popup's device list ("… (this device)" for the popup's own). */
export const DEVICE_NAMES = `${DEVICE_ROWS}.map((li) => li.querySelector('.title').textContent)`;
/** The popup's notice that this device was removed from the account (and signed out). */
export const REMOVED_NOTICE =
  "!document.getElementById('notice').hidden && document.getElementById('notice-text').textContent.includes('removed')";

/** In the popup: removes the device of that name (the second click confirms). */
export async function removeDevice(popup: UiPage, name: string): Promise<void> {
  const row = `${DEVICE_ROWS}.find((li) => li.querySelector('.title').textContent === ${js(name)})`;
  await popup.waitFor(`${row} !== undefined`);
  const count = await popup.evaluate<number>(`${DEVICE_ROWS}.length`);
  const id = await popup.evaluate<string>(`${row}.dataset.id`);
  const button = `#devices li.device[data-id="${id}"] button`;
  await popup.click(button);
  await popup.click(button);
  await popup.waitFor(`${DEVICE_ROWS}.length === ${count - 1}`);
}

/** The same code with its last password character changed: the right channel, a wrong code. */
export function mistyped(code: string): string {
  const last = code.at(-1);
  return `${code.slice(0, -1)}${last === 'a' ? 'b' : 'a'}`;
}

export interface DoneHoldingProxy {
  /** The proxy's address, on the same loopback host as the server (the manifest allows it). */
  url: string;
  /** Resolves when a `done` step arrives; the proxy holds it until releaseDone(). */
  doneArrived: Promise<void>;
  releaseDone(): void;
  close(): Promise<void>;
}

/** Request headers that describe the body or the connection rather than the request. */
const HOP_HEADERS = new Set([
  'connection',
  'content-encoding',
  'content-length',
  'host',
  'keep-alive',
  'transfer-encoding',
]);

/**
 * A plain HTTP proxy in front of the push server that holds back the new device's `done` step.
 * A new device using it makes the signed-in one wait in "finishing" for as long as a test needs
 * (a new device's request gives up after 15 s, so release it well before).
 */
export async function holdDoneProxy(target: string): Promise<DoneHoldingProxy> {
  let arrived = () => {};
  const doneArrived = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  let releaseDone = () => {};
  const released = new Promise<void>((resolve) => {
    releaseDone = resolve;
  });
  const proxy = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      if (request.method === 'PUT' && /^\/v1\/pairings\/[^/]+\/done$/.test(request.url ?? '')) {
        arrived();
        await released;
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === 'string' && !HOP_HEADERS.has(name)) headers.set(name, value);
      }
      const upstream = await fetch(new URL(request.url ?? '/', target), {
        method: request.method,
        headers,
        // The relay's and the API's bodies are JSON text.
        body: body.length ? body.toString('utf8') : undefined,
      });
      const answer = Buffer.from(await upstream.arrayBuffer());
      const out: Record<string, string> = {};
      // fetch() has decoded the body already, so its encoding and length headers no longer fit.
      upstream.headers.forEach((value, name) => {
        if (!HOP_HEADERS.has(name)) out[name] = value;
      });
      response.writeHead(upstream.status, out).end(answer);
    })().catch(() => response.destroy());
  });
  const host = new URL(target).hostname;
  await new Promise<void>((resolve) => proxy.listen(0, host, resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    doneArrived,
    releaseDone,
    close: () =>
      new Promise<void>((resolve) => {
        releaseDone();
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
