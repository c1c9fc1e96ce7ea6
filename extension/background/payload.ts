// docs/protocol.md §7: a decrypted payload that is JSON with a `title` is also shown as a system
// notification; anything else only reaches open pages of the site.
import { utf8Decode } from '../../shared/crypto/index.js';
import { isRecord } from '../messaging/guards.js';

export interface DisplayNotification {
  title: string;
  body: string;
  /** http(s) only; resolved against the site's origin. */
  icon: string | null;
  /** Where a click goes: the payload's `url`, else the site's origin. */
  url: string | null;
}

// System notifications cut long text anyway; these keep storage and the popup tidy.
const MAX_TITLE = 200;
const MAX_BODY = 1000;

export function notificationOf(
  plaintext: Uint8Array | null,
  origin: string | null,
): DisplayNotification | null {
  if (plaintext === null || plaintext.length === 0) return null;
  let json: unknown;
  try {
    json = JSON.parse(utf8Decode(plaintext));
  } catch {
    return null;
  }
  if (!isRecord(json) || typeof json.title !== 'string' || json.title.trim() === '') return null;
  return {
    title: json.title.slice(0, MAX_TITLE),
    body: typeof json.body === 'string' ? json.body.slice(0, MAX_BODY) : '',
    icon: webUrl(json.icon, origin),
    url: webUrl(json.url, origin) ?? origin,
  };
}

/**
 * Only http(s) targets: a pushed `javascript:` or `moz-extension:` URL must not be opened by a
 * click. Relative URLs are resolved against the site, as a service worker's would be.
 */
function webUrl(value: unknown, origin: string | null): string | null {
  if (typeof value !== 'string' || value === '') return null;
  try {
    const url = origin ? new URL(value, origin) : new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}
