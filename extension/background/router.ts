// Who may ask the background what. The add-on's own pages (popup, options, prompt) get the UI
// calls; content scripts get the page calls, for the origin of the top frame the browser says
// they run in. Anything else gets no answer.
import type { Runtime } from 'webextension-polyfill';
import { webOriginOf } from '../messaging/origin.js';
import { type PageResponse, parsePageRequest } from '../messaging/page-protocol.js';
import { isPageMessage, parseUiMessage } from '../messaging/runtime-messages.js';
import type { UiMessage } from '../messaging/ui-api.js';

export interface RouterDeps {
  extensionId: string;
  /** e.g. `moz-extension://<uuid>/` */
  extensionBaseUrl: string;
  ui: (message: UiMessage) => Promise<unknown>;
  page: (
    origin: string,
    tabId: number,
    request: NonNullable<ReturnType<typeof parsePageRequest>>,
  ) => Promise<PageResponse>;
}

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
      const request = parsePageRequest(message.request);
      if (!request) {
        return Promise.resolve({
          ok: false,
          error: { name: 'NotSupportedError', message: 'Malformed request.' },
        } satisfies PageResponse);
      }
      return deps.page(origin, tabId, request);
    }
    return undefined;
  };
}
