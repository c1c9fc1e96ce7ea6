// Content script (isolated world) on every http(s) page: the bridge between the page's
// navigator.push (page script, MAIN world) and the background. It passes every request on:
// the background decides (secure contexts only, router.ts), since a page can post bridge
// messages of its own and so reach this script whatever the page script checks.
import browser from 'webextension-polyfill';
import type { PageMessage } from '../messaging/runtime-messages.js';
import { parsePushMessage } from '../messaging/runtime-messages.js';
import { startBridgeHost } from './bridge-host.js';

// Pages with an opaque origin (sandboxed) cannot be told apart, so they get no API.
if (window.location.origin !== 'null') {
  const host = startBridgeHost(window, (request) =>
    browser.runtime.sendMessage({
      kind: 'page',
      request,
      // Read as the request arrives, a few milliseconds after the page's call. The browser
      // keeps this state (for about 5 s after a click or key press) and the page cannot set
      // it; in an isolated world the page's own overrides of navigator do not apply either.
      userActivation: navigator.userActivation?.isActive === true,
    } satisfies PageMessage),
  );
  browser.runtime.onMessage.addListener((message: unknown) => {
    const push = parsePushMessage(message);
    // The background picks tabs by origin; the tab may have moved on since it registered.
    if (push && push.origin === window.location.origin) host.push(push.data);
  });
}
