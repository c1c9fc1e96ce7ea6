// The push server address as users type it; used by the options page and the background.

export type ServerUrlResult = { ok: true; url: string } | { ok: false; message: string };

/**
 * Checks a server address typed by the user and brings it to one form (no trailing slash), so
 * that endpoints and the WebSocket URL can be built by appending paths.
 */
export function normalizeServerUrl(input: string): ServerUrlResult {
  const text = input.trim();
  if (!/^https?:\/\//i.test(text)) {
    return { ok: false, message: 'The server address must start with http:// or https://.' };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: 'That is not a valid web address.' };
  }
  if (url.username || url.password) {
    return { ok: false, message: 'The server address must not contain a user name or password.' };
  }
  if (url.search || url.hash) {
    return { ok: false, message: 'The server address must not contain "?" or "#" parts.' };
  }
  return { ok: true, url: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
}

/** Hosts the manifest grants up front; any other server needs an optional host permission. */
export function needsHostPermission(serverUrl: string): boolean {
  const { hostname } = new URL(serverUrl);
  return hostname !== 'localhost' && hostname !== '127.0.0.1';
}

/**
 * A warning for plain http to another machine: messages stay end-to-end encrypted, but the
 * password and the device's token would cross the network readable.
 */
export function insecureServerWarning(serverUrl: string): string | null {
  const { protocol, hostname } = new URL(serverUrl);
  if (
    protocol !== 'http:' ||
    hostname === 'localhost' ||
    hostname === '127.0.0.1' ||
    hostname === '[::1]'
  ) {
    return null;
  }
  return 'This address is not encrypted (http://): your password and this device’s access token would travel readable over the network. Use https:// for a server on another machine.';
}
