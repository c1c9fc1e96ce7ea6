// Page script, injected into the MAIN world of every http(s) page at document_start:
// defines navigator.push. It holds no secrets; the content script and background decide.
import { startBridgeClient } from './bridge-client.js';
import { PushApi } from './push-api.js';

// Secure contexts only, as the W3C Push API; opaque origins cannot be told apart.
if (window.isSecureContext && window.location.origin !== 'null' && !('push' in navigator)) {
  Object.defineProperty(navigator, 'push', {
    value: new PushApi(startBridgeClient(window)),
    enumerable: true,
    configurable: true,
    writable: false,
  });
}
