import { describe, expect, it } from 'vitest';
import { createRouter } from './router.js';

function setup() {
  const calls: string[] = [];
  const route = createRouter({
    extensionId: 'ext@id',
    extensionBaseUrl: 'moz-extension://uuid/',
    ui: async (m) => {
      calls.push(`ui:${m.method}`);
      return 'ui-answer';
    },
    page: async (origin, { tabId, userActivation }, request) => {
      calls.push(`page:${origin}:${tabId}:${request.type}${userActivation ? ':activated' : ''}`);
      return { ok: true, value: null };
    },
  });
  return { route, calls };
}

const popup = { id: 'ext@id', url: 'moz-extension://uuid/ui/popup.html' };
const tab = {
  id: 'ext@id',
  url: 'https://shop.example/item?x=1',
  frameId: 0,
  tab: { id: 7, index: 0, highlighted: false, active: true, pinned: false, incognito: false },
};

describe('router', () => {
  it('answers UI calls from extension pages only', async () => {
    const { route, calls } = setup();
    expect(await route({ kind: 'ui', method: 'getState' }, popup)).toBe('ui-answer');
    expect(route({ kind: 'ui', method: 'getState' }, tab)).toBeUndefined();
    expect(calls).toEqual(['ui:getState']);
  });

  it('takes the origin from the sender, not from the message', async () => {
    const { route, calls } = setup();
    await route(
      {
        kind: 'page',
        request: { type: 'getSubscription', origin: 'https://bank.example' },
        userActivation: false,
      },
      tab,
    );
    expect(calls).toEqual(['page:https://shop.example:7:getSubscription']);
  });

  it('passes on whether the page had user activation', async () => {
    const { route, calls } = setup();
    await route({ kind: 'page', request: { type: 'permissionState' }, userActivation: true }, tab);
    expect(calls).toEqual(['page:https://shop.example:7:permissionState:activated']);
  });

  it('refuses every call from a page that is not a secure context, before looking at it', async () => {
    const { route, calls } = setup();
    for (const url of [
      'http://shop.example/item',
      'http://insecure.test:8080/forge',
      'http://192.168.1.10/',
    ]) {
      for (const request of [
        { type: 'subscribe', applicationServerKey: null },
        { type: 'getSubscription' },
        { type: 'unsubscribe', endpoint: null },
        { type: 'permissionState' },
        { type: 'listen' },
        { type: 'nonsense' },
      ]) {
        expect(
          await route({ kind: 'page', request, userActivation: true }, { ...tab, url }),
        ).toEqual({
          ok: false,
          error: { name: 'SecurityError', message: expect.stringMatching(/secure contexts/) },
        });
      }
    }
    expect(calls).toEqual([]);
  });

  it('serves loopback http pages, which are secure contexts', async () => {
    const { route, calls } = setup();
    const message = { kind: 'page', request: { type: 'permissionState' }, userActivation: false };
    await route(message, { ...tab, url: 'http://localhost:3000/' });
    await route(message, { ...tab, url: 'http://127.0.0.1:3000/' });
    expect(calls).toEqual([
      'page:http://localhost:3000:7:permissionState',
      'page:http://127.0.0.1:3000:7:permissionState',
    ]);
  });

  it('ignores other extensions, sub-frames and non-web pages', () => {
    const { route, calls } = setup();
    const message = { kind: 'page', request: { type: 'getSubscription' }, userActivation: false };
    expect(route(message, { ...tab, id: 'other@id' })).toBeUndefined();
    expect(route(message, { ...tab, frameId: 3 })).toBeUndefined();
    expect(route(message, { ...tab, url: 'file:///tmp/x.html' })).toBeUndefined();
    expect(route(message, popup)).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('answers a malformed page request without passing it on', async () => {
    const { route, calls } = setup();
    expect(
      await route(
        {
          kind: 'page',
          request: { type: 'subscribe', applicationServerKey: 'short' },
          userActivation: false,
        },
        tab,
      ),
    ).toEqual({
      ok: false,
      error: { name: 'NotSupportedError', message: 'Malformed request.' },
    });
    expect(calls).toEqual([]);
  });
});
