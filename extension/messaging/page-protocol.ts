// What a page may ask of the add-on through navigator.push, and what it gets back. The page is
// untrusted: the background parses every request with parsePageRequest and takes the origin
// from the browser (the message sender), never from the message.
import { isBase64Url, isRecord, isString, isStringOrNull } from './guards.js';

export type PageRequest =
  | { type: 'subscribe'; applicationServerKey: string | null }
  | { type: 'getSubscription' }
  /** `endpoint` null: whatever subscription this origin has. */
  | { type: 'unsubscribe'; endpoint: string | null }
  | { type: 'permissionState' }
  /** The page listens for `push` events: deliver them to this tab. */
  | { type: 'listen' };

export type PageRequestType = PageRequest['type'];

/** What the page needs to build its PushSubscription; keys per docs/protocol.md §5. */
export interface PageSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  /** The key given at subscribe time, when this device knows it. */
  applicationServerKey: string | null;
}

export type PagePermissionState = 'granted' | 'denied' | 'prompt';

export interface PageResults {
  subscribe: PageSubscription;
  getSubscription: PageSubscription | null;
  unsubscribe: boolean;
  permissionState: PagePermissionState;
  listen: true;
}

/** DOMException names the W3C Push API uses; the page rethrows them as DOMExceptions. */
export type PageErrorName =
  | 'SecurityError'
  | 'NotAllowedError'
  | 'AbortError'
  | 'InvalidStateError'
  | 'InvalidAccessError'
  | 'NotSupportedError';

export interface PageError {
  name: PageErrorName;
  message: string;
}

export type PageResponse = { ok: true; value: unknown } | { ok: false; error: PageError };

const ERROR_NAMES: ReadonlySet<string> = new Set<PageErrorName>([
  'SecurityError',
  'NotAllowedError',
  'AbortError',
  'InvalidStateError',
  'InvalidAccessError',
  'NotSupportedError',
]);

/** The 87 base64url characters of a 65-byte uncompressed P-256 point. */
const APPLICATION_SERVER_KEY = /^B[A-Za-z0-9_-]{86}$/;
const MAX_ENDPOINT_LENGTH = 2048;

export function parsePageRequest(value: unknown): PageRequest | null {
  if (!isRecord(value)) return null;
  switch (value.type) {
    case 'subscribe': {
      const key = value.applicationServerKey;
      if (key === null) return { type: 'subscribe', applicationServerKey: null };
      if (isString(key) && APPLICATION_SERVER_KEY.test(key)) {
        return { type: 'subscribe', applicationServerKey: key };
      }
      return null;
    }
    case 'unsubscribe': {
      const endpoint = value.endpoint;
      if (!isStringOrNull(endpoint) || (endpoint && endpoint.length > MAX_ENDPOINT_LENGTH)) {
        return null;
      }
      return { type: 'unsubscribe', endpoint };
    }
    case 'getSubscription':
    case 'permissionState':
    case 'listen':
      return { type: value.type };
    default:
      return null;
  }
}

export function parsePageResponse(value: unknown): PageResponse | null {
  if (!isRecord(value)) return null;
  if (value.ok === true) return { ok: true, value: value.value };
  if (value.ok !== false || !isRecord(value.error)) return null;
  const { name, message } = value.error;
  if (!isString(name) || !ERROR_NAMES.has(name) || !isString(message)) return null;
  return { ok: false, error: { name: name as PageErrorName, message } };
}

export function isPageSubscription(value: unknown): value is PageSubscription {
  return (
    isRecord(value) &&
    isString(value.endpoint) &&
    isRecord(value.keys) &&
    isBase64Url(value.keys.p256dh) &&
    isBase64Url(value.keys.auth) &&
    (value.applicationServerKey === null || isBase64Url(value.applicationServerKey))
  );
}

/** Checks a successful response's value against what the request promised. */
export function isResultFor<T extends PageRequestType>(
  type: T,
  value: unknown,
): value is PageResults[T] {
  switch (type) {
    case 'subscribe':
      return isPageSubscription(value);
    case 'getSubscription':
      return value === null || isPageSubscription(value);
    case 'unsubscribe':
      return typeof value === 'boolean';
    case 'permissionState':
      return value === 'granted' || value === 'denied' || value === 'prompt';
    case 'listen':
      return value === true;
    default:
      return false;
  }
}
