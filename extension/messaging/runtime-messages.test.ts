import { describe, expect, it } from 'vitest';
import { isPageMessage, parsePushMessage, parseUiMessage } from './runtime-messages.js';

describe('runtime messages', () => {
  it('accepts known UI calls only', () => {
    expect(parseUiMessage({ kind: 'ui', method: 'getState' })).toEqual({
      kind: 'ui',
      method: 'getState',
    });
    expect(
      parseUiMessage({ kind: 'ui', method: 'signUp', params: { username: 'a' } }),
    ).not.toBeNull();
    expect(parseUiMessage({ kind: 'ui', method: 'toString' })).toBeNull();
    expect(parseUiMessage({ kind: 'ui', method: 'getState', params: 'x' })).toBeNull();
    expect(parseUiMessage({ kind: 'page', method: 'getState' })).toBeNull();
  });

  it('checks push deliveries and page envelopes', () => {
    expect(
      parsePushMessage({ kind: 'push', origin: 'https://a.example', data: 'eyJ0In0' }),
    ).not.toBeNull();
    expect(
      parsePushMessage({ kind: 'push', origin: 'https://a.example', data: null }),
    ).not.toBeNull();
    expect(
      parsePushMessage({ kind: 'push', origin: 'https://a.example', data: 'not base64!' }),
    ).toBeNull();
    expect(
      isPageMessage({
        kind: 'page',
        request: { type: 'getSubscription' },
        userActivation: false,
      }),
    ).toBe(true);
    expect(isPageMessage({ kind: 'page', request: {}, userActivation: 'yes' })).toBe(false);
    expect(isPageMessage({ kind: 'page', request: { type: 'getSubscription' } })).toBe(false);
    expect(isPageMessage({ kind: 'page' })).toBe(false);
  });
});
