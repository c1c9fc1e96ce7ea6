// The page script's end of the bridge: says hello on a fresh random channel, waits for the
// content script's "ready", then sends requests and matches answers by id.
import {
  BRIDGE_TAG,
  isFromSameWindow,
  newChannelId,
  type PageToContent,
  parseContentToPage,
} from '../messaging/bridge.js';
import {
  isResultFor,
  type PageRequest,
  type PageResults,
  parsePageResponse,
} from '../messaging/page-protocol.js';
import type { WindowLike } from '../messaging/window-like.js';

export interface Transport {
  request<R extends PageRequest>(request: R): Promise<PageResults[R['type']]>;
  onPush(listener: (data: string | null) => void): void;
}

/** How long to wait for the content script before calling the add-on unavailable. */
const READY_TIMEOUT_MS = 10_000;

export function startBridgeClient(win: WindowLike, readyTimeoutMs = READY_TIMEOUT_MS): Transport {
  const channel = newChannelId();
  const pending = new Map<number, (response: unknown) => void>();
  const pushListeners: Array<(data: string | null) => void> = [];
  let nextId = 1;
  let markReady: () => void = () => {};
  const ready = new Promise<boolean>((resolve) => {
    markReady = () => resolve(true);
    setTimeout(() => resolve(false), readyTimeoutMs);
  });

  const post = (message: PageToContent) => win.postMessage(message, win.location.origin);
  const hello = () => post({ tag: BRIDGE_TAG, from: 'page', type: 'hello', channel });

  win.addEventListener('message', (event) => {
    if (!isFromSameWindow(event, win)) return;
    const message = parseContentToPage(event.data);
    if (!message) return;
    if (message.type === 'probe') {
      hello();
      return;
    }
    if (message.channel !== channel) return;
    if (message.type === 'ready') markReady();
    else if (message.type === 'response') {
      pending.get(message.id)?.(message.response);
      pending.delete(message.id);
    } else if (message.type === 'push') {
      for (const listener of pushListeners) listener(message.data);
    }
  });
  hello();

  return {
    async request<R extends PageRequest>(request: R): Promise<PageResults[R['type']]> {
      if (!(await ready)) {
        throw new DOMException('The Push Service add-on is not responding.', 'AbortError');
      }
      const id = nextId++;
      const raw = await new Promise<unknown>((resolve) => {
        pending.set(id, resolve);
        post({ tag: BRIDGE_TAG, from: 'page', type: 'request', channel, id, request });
      });
      const response = parsePageResponse(raw);
      if (!response)
        throw new DOMException('The Push Service add-on gave a malformed answer.', 'AbortError');
      if (!response.ok) throw new DOMException(response.error.message, response.error.name);
      if (!isResultFor(request.type, response.value)) {
        throw new DOMException('The Push Service add-on gave a malformed answer.', 'AbortError');
      }
      return response.value as PageResults[R['type']];
    },
    onPush(listener) {
      pushListeners.push(listener);
    },
  };
}
