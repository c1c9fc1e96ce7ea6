// Who may ask the background what. The add-on's own pages (popup, options, prompt) get the UI
// calls; content scripts get the page calls, for the origin of the top frame the browser says
// they run in, and only when that origin is a secure context. Anything else gets no answer.
// This is the trust boundary: the page script and the content script run where the page can
// reach them (a page can post bridge messages of its own), so their checks are conveniences.
import type { Runtime } from 'webextension-polyfill';
import { isPotentiallyTrustworthy, webOriginOf } from '../messaging/origin.js';
import { type PageResponse, parsePageRequest } from '../messaging/page-protocol.js';
import { isPageMessage, parseUiMessage } from '../messaging/runtime-messages.js';
import type { UiMessage } from '../messaging/ui-api.js';

/** What the browser tells about a page's call besides its origin. */
export interface PageCallContext {
  tabId: number;
  /** Transient user activation when the call was made (runtime-messages.ts). */
  userActivation: boolean;
}

export interface RouterDeps {
  extensionId: string;
  /** e.g. `moz-extension://<uuid>/` */
  extensionBaseUrl: string;
  ui: (message: UiMessage) => Promise<unknown>;
  page: (
    origin: string,
    context: PageCallContext,
    request: NonNullable<ReturnType<typeof parsePageRequest>>,
  ) => Promise<PageResponse>;
}

const INSECURE: PageResponse = {
  ok: false,
  error: {
    name: 'SecurityError',
    message:
      'navigator.push works only in secure contexts: https: pages, and http: pages of localhost or 127.0.0.1.',
  },
};

export function createRouter(deps: RouterDeps) {
  return (message: unknown, sender: Runtime.MessageSender): Promise<unknown> | undefined => {
    if (sender.id !== deps.extensionId) return undefined;
    const fromExtensionPage = sender.url?.startsWith(deps.extensionBaseUrl) === true;

    const ui = parseUiMessage(message);
    if (ui) return fromExtensionPage ? deps.ui(ui) : undefined;

    if (isPageMessage(message) && !fromExtensionPage) {
      const origin = webOriginOf(sender.url);
      const tabId = sender.tab?.id;
      if (!origin || tabId === undefined || sender.frameId !== 0) return undefined;
      // Answered, not ignored: a site that reached the add-on from plain http learns why not.
      if (!isPotentiallyTrustworthy(origin)) return Promise.resolve(INSECURE);
      const request = parsePageRequest(message.request);
      if (!request) {
        return Promise.resolve({
          ok: false,
          error: { name: 'NotSupportedError', message: 'Malformed request.' },
        } satisfies PageResponse);
      }
      return deps.page(origin, { tabId, userActivation: message.userActivation }, request);
    }
    return undefined;
  };
}
