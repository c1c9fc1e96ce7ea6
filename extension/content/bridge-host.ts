// The content script's end of the page bridge: accepts the page script's channel, forwards
// its requests to the background and pushes to it, all on that one channel.
import {
  BRIDGE_TAG,
  type ContentToPage,
  isFromSameWindow,
  parsePageToContent,
} from '../messaging/bridge.js';
import { type PageResponse, parsePageResponse } from '../messaging/page-protocol.js';
import type { WindowLike } from '../messaging/window-like.js';

export interface BridgeHost {
  /** Passes a push message's payload (base64url, or null) to the page. */
  push(data: string | null): void;
}

/** `send` forwards a page request to the background and resolves to its raw answer. */
export function startBridgeHost(
  win: WindowLike,
  send: (request: unknown) => Promise<unknown>,
): BridgeHost {
  // The first hello wins: later ones (a second copy of the page script, or a page script
  // pretending) cannot move the bridge to another channel.
  let channel: string | null = null;
  const post = (message: ContentToPage) => win.postMessage(message, win.location.origin);

  win.addEventListener('message', (event) => {
    if (!isFromSameWindow(event, win)) return;
    const message = parsePageToContent(event.data);
    if (!message) return;
    if (message.type === 'hello') {
      channel ??= message.channel;
      if (message.channel === channel)
        post({ tag: BRIDGE_TAG, from: 'content', type: 'ready', channel });
      return;
    }
    if (message.channel !== channel) return;
    const { id } = message;
    const ownChannel = channel;
    void answer(send, message.request).then((response) =>
      post({
        tag: BRIDGE_TAG,
        from: 'content',
        type: 'response',
        channel: ownChannel,
        id,
        response,
      }),
    );
  });
  // In case the page script said hello before this listener existed.
  post({ tag: BRIDGE_TAG, from: 'content', type: 'probe' });

  return {
    push(data) {
      if (channel !== null) post({ tag: BRIDGE_TAG, from: 'content', type: 'push', channel, data });
    },
  };
}

async function answer(
  send: (request: unknown) => Promise<unknown>,
  request: unknown,
): Promise<PageResponse> {
  try {
    return (
      parsePageResponse(await send(request)) ?? {
        ok: false,
        error: { name: 'AbortError', message: 'The Push Service add-on gave no answer.' },
      }
    );
  } catch {
    // The background is gone: the add-on was updated, disabled or removed since the page loaded.
    return {
      ok: false,
      error: {
        name: 'AbortError',
        message: 'The Push Service add-on is not available; reload the page.',
      },
    };
  }
}
