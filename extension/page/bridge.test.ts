// The page script and the content script talk through window messages; here both ends run
// against fake windows that deliver messages the way a browser would.
import { describe, expect, it, vi } from 'vitest';
import { startBridgeHost } from '../content/bridge-host.js';
import { BRIDGE_TAG } from '../messaging/bridge.js';
import type { MessageEventLike, WindowLike } from '../messaging/window-like.js';
import { startBridgeClient } from './bridge-client.js';
import { type ExtensionPushEvent, PushApi } from './push-api.js';

class FakeWindow implements WindowLike {
  readonly location = { origin: 'https://shop.example' };
  readonly listeners: Array<(event: MessageEventLike) => void> = [];
  readonly posted: unknown[] = [];

  postMessage(message: unknown, targetOrigin: string): void {
    expect(targetOrigin).toBe(this.location.origin);
    this.posted.push(message);
    // Asynchronous and structured-cloned, like the real thing.
    const data = structuredClone(message);
    setTimeout(() => this.deliver({ data, source: this, origin: this.location.origin }), 0);
  }

  addEventListener(_type: 'message', listener: (event: MessageEventLike) => void): void {
    this.listeners.push(listener);
  }

  deliver(event: MessageEventLike): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}

const tick = () => new Promise((r) => setTimeout(r, 5));
const subscription = {
  endpoint: 'http://push.test/push/tok',
  keys: { p256dh: `B${'A'.repeat(86)}`, auth: 'AAAAAAAAAAAAAAAAAAAAAA' },
  applicationServerKey: null,
};

describe('page ↔ content bridge', () => {
  it('connects whichever side starts first, and carries requests and answers', async () => {
    for (const pageFirst of [true, false]) {
      const win = new FakeWindow();
      const seen: unknown[] = [];
      const send = async (request: unknown) => {
        seen.push(request);
        return { ok: true, value: subscription };
      };
      let client: ReturnType<typeof startBridgeClient>;
      if (pageFirst) {
        client = startBridgeClient(win);
        await tick(); // the hello is lost: nobody listens yet
        startBridgeHost(win, send);
      } else {
        startBridgeHost(win, send);
        client = startBridgeClient(win);
      }
      await expect(client.request({ type: 'getSubscription' })).resolves.toEqual(subscription);
      expect(seen).toEqual([{ type: 'getSubscription' }]);
    }
  });

  it('turns error answers into DOMExceptions with the W3C names', async () => {
    const win = new FakeWindow();
    startBridgeHost(win, async () => ({
      ok: false,
      error: { name: 'NotAllowedError', message: 'blocked' },
    }));
    const api = new PushApi(startBridgeClient(win));
    const error = await api.subscribe().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DOMException);
    expect(error).toMatchObject({ name: 'NotAllowedError', message: 'blocked' });
  });

  it('reports an add-on that went away as AbortError, and a missing one after a timeout', async () => {
    const win = new FakeWindow();
    startBridgeHost(win, () => Promise.reject(new Error('Extension context invalidated')));
    await expect(startBridgeClient(win).request({ type: 'getSubscription' })).rejects.toMatchObject(
      { name: 'AbortError' },
    );
    const lonely = new FakeWindow();
    await expect(
      startBridgeClient(lonely, 20).request({ type: 'getSubscription' }),
    ).rejects.toMatchObject({
      name: 'AbortError',
      message: expect.stringContaining('not responding'),
    });
  });

  it('rejects answers that do not fit the request', async () => {
    const win = new FakeWindow();
    startBridgeHost(win, async () => ({ ok: true, value: 'granted' }));
    await expect(startBridgeClient(win).request({ type: 'getSubscription' })).rejects.toMatchObject(
      { name: 'AbortError' },
    );
  });

  it('ignores messages from other windows and other channels', async () => {
    const win = new FakeWindow();
    const seen: unknown[] = [];
    startBridgeHost(win, async (request) => {
      seen.push(request);
      return { ok: true, value: null };
    });
    const client = startBridgeClient(win);
    await client.request({ type: 'getSubscription' });
    const channel = (
      win.posted.find((m) => (m as { type?: string }).type === 'hello') as { channel: string }
    ).channel;
    const forged = {
      tag: BRIDGE_TAG,
      from: 'page',
      type: 'request',
      channel,
      id: 99,
      request: { type: 'unsubscribe', endpoint: null },
    };
    // From a frame: another source.
    win.deliver({ data: forged, source: {}, origin: 'https://evil.example' });
    // A second hello with another channel cannot take the bridge over.
    const other = 'f'.repeat(32);
    win.deliver({
      data: { tag: BRIDGE_TAG, from: 'page', type: 'hello', channel: other },
      source: win,
      origin: win.location.origin,
    });
    win.deliver({ data: { ...forged, channel: other }, source: win, origin: win.location.origin });
    await tick();
    expect(seen).toEqual([{ type: 'getSubscription' }]);
  });

  it('delivers pushes as push events, and registers the page when it starts listening', async () => {
    const win = new FakeWindow();
    const seen: unknown[] = [];
    const host = startBridgeHost(win, async (request) => {
      seen.push(request);
      return { ok: true, value: true };
    });
    const api = new PushApi(startBridgeClient(win));
    const received: unknown[] = [];
    api.addEventListener('push', (event) => {
      const { data } = event as ExtensionPushEvent;
      received.push(data === null ? null : data.json());
    });
    api.onpush = (event) => received.push(event.data === null ? 'empty' : 'onpush');
    await vi.waitFor(() => expect(seen).toEqual([{ type: 'listen' }]));
    host.push('eyJ0aXRsZSI6ImhpIn0'); // {"title":"hi"}
    host.push(null);
    await vi.waitFor(() => expect(received).toEqual([{ title: 'hi' }, 'onpush', null, 'empty']));
  });
});

describe('PushSubscription from navigator.push', () => {
  it('has the W3C shape and unsubscribes its own endpoint', async () => {
    const win = new FakeWindow();
    const seen: unknown[] = [];
    startBridgeHost(win, async (request) => {
      seen.push(request);
      return {
        ok: true,
        value: (request as { type: string }).type === 'unsubscribe' ? true : subscription,
      };
    });
    const api = new PushApi(startBridgeClient(win));
    const sub = await api.subscribe();
    expect(JSON.parse(JSON.stringify(sub))).toEqual({
      endpoint: subscription.endpoint,
      expirationTime: null,
      keys: subscription.keys,
    });
    expect(new Uint8Array(sub.getKey('p256dh')!)).toHaveLength(65);
    expect(new Uint8Array(sub.getKey('auth')!)).toHaveLength(16);
    expect(sub.options.applicationServerKey).toBeNull();
    await expect(sub.unsubscribe()).resolves.toBe(true);
    expect(seen.at(-1)).toEqual({ type: 'unsubscribe', endpoint: subscription.endpoint });
  });

  it('rejects a malformed key before asking anyone', async () => {
    const win = new FakeWindow();
    const seen: unknown[] = [];
    startBridgeHost(win, async (request) => {
      seen.push(request);
      return { ok: true, value: subscription };
    });
    const api = new PushApi(startBridgeClient(win));
    await expect(api.subscribe({ applicationServerKey: new Uint8Array(10) })).rejects.toMatchObject(
      { name: 'InvalidAccessError' },
    );
    expect(seen).toEqual([]);
  });
});
