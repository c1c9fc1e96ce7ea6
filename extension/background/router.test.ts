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
    page: async (origin, tabId, request) => {
      calls.push(`page:${origin}:${tabId}:${request.type}`);
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
      { kind: 'page', request: { type: 'getSubscription', origin: 'https://bank.example' } },
      tab,
    );
    expect(calls).toEqual(['page:https://shop.example:7:getSubscription']);
  });

  it('ignores other extensions, sub-frames and non-web pages', () => {
    const { route, calls } = setup();
    const message = { kind: 'page', request: { type: 'getSubscription' } };
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
        { kind: 'page', request: { type: 'subscribe', applicationServerKey: 'short' } },
        tab,
      ),
    ).toEqual({
      ok: false,
      error: { name: 'NotSupportedError', message: 'Malformed request.' },
    });
    expect(calls).toEqual([]);
  });
});
