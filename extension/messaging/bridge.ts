// The window.postMessage envelopes between the page script (MAIN world) and the content script
// (isolated world) of one page. Both run at document_start in an order neither browser
// promises, so the page announces a random channel id ("hello") and repeats it when the
// content script asks ("probe"); after that, messages on any other channel are ignored.
// Receivers also check that a message came from this very window (not a frame or opener).
import { isBase64Url, isRecord, isString } from './guards.js';

/** Marks our messages among everything else a page posts to itself. */
export const BRIDGE_TAG = 'push-service-bridge/1';

export type PageToContent =
  | { tag: typeof BRIDGE_TAG; from: 'page'; type: 'hello'; channel: string }
  | {
      tag: typeof BRIDGE_TAG;
      from: 'page';
      type: 'request';
      channel: string;
      id: number;
      request: unknown;
    };

export type ContentToPage =
  | { tag: typeof BRIDGE_TAG; from: 'content'; type: 'probe' }
  | { tag: typeof BRIDGE_TAG; from: 'content'; type: 'ready'; channel: string }
  | {
      tag: typeof BRIDGE_TAG;
      from: 'content';
      type: 'response';
      channel: string;
      id: number;
      response: unknown;
    }
  /** `data`: the decrypted payload, base64url, or null for a push without one. */
  | { tag: typeof BRIDGE_TAG; from: 'content'; type: 'push'; channel: string; data: string | null };

const CHANNEL = /^[0-9a-f]{32}$/;

export function newChannelId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function isChannel(value: unknown): value is string {
  return isString(value) && CHANNEL.test(value);
}

function isRequestId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** What a content script accepts; `request` is still unparsed (the background parses it). */
export function parsePageToContent(data: unknown): PageToContent | null {
  if (!isRecord(data) || data.tag !== BRIDGE_TAG || data.from !== 'page') return null;
  if (!isChannel(data.channel)) return null;
  if (data.type === 'hello')
    return { tag: BRIDGE_TAG, from: 'page', type: 'hello', channel: data.channel };
  if (data.type === 'request' && isRequestId(data.id) && 'request' in data) {
    return {
      tag: BRIDGE_TAG,
      from: 'page',
      type: 'request',
      channel: data.channel,
      id: data.id,
      request: data.request,
    };
  }
  return null;
}

export function parseContentToPage(data: unknown): ContentToPage | null {
  if (!isRecord(data) || data.tag !== BRIDGE_TAG || data.from !== 'content') return null;
  if (data.type === 'probe') return { tag: BRIDGE_TAG, from: 'content', type: 'probe' };
  if (!isChannel(data.channel)) return null;
  const channel = data.channel;
  switch (data.type) {
    case 'ready':
      return { tag: BRIDGE_TAG, from: 'content', type: 'ready', channel };
    case 'response':
      if (!isRequestId(data.id) || !('response' in data)) return null;
      return {
        tag: BRIDGE_TAG,
        from: 'content',
        type: 'response',
        channel,
        id: data.id,
        response: data.response,
      };
    case 'push':
      if (data.data !== null && !isBase64Url(data.data)) return null;
      return { tag: BRIDGE_TAG, from: 'content', type: 'push', channel, data: data.data };
    default:
      return null;
  }
}

/**
 * Whether a message event was posted by this window to itself: other frames and windows
 * (which could otherwise inject requests or forge answers) have another source or origin.
 */
export function isFromSameWindow(
  event: { source: unknown; origin: string },
  self: { location: { origin: string } },
): boolean {
  return event.source === self && event.origin === self.location.origin;
}
