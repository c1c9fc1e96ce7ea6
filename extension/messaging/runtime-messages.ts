// Messages over browser.runtime / browser.tabs between the add-on's own parts. The sender of
// a runtime message is told by the browser (sender.url, sender.tab), never by the message.
import { isBase64Url, isRecord, isString } from './guards.js';
import type { UiMessage, UiMethod } from './ui-api.js';

/** Content script → background: a navigator.push call of the page (parsed by the background). */
export interface PageMessage {
  kind: 'page';
  request: unknown;
  /**
   * Whether the page had transient user activation (a click or key press in the last few
   * seconds) when the content script received the call. The browser keeps that state; the
   * page cannot set it. Only then may subscribe ask the user.
   */
  userActivation: boolean;
}

/** Background → content script: a push message for pages of `origin`. */
export interface PushMessage {
  kind: 'push';
  origin: string;
  /** The decrypted payload, base64url; null for a push without data. */
  data: string | null;
}

export function isPageMessage(value: unknown): value is PageMessage {
  return (
    isRecord(value) &&
    value.kind === 'page' &&
    'request' in value &&
    typeof value.userActivation === 'boolean'
  );
}

export function parsePushMessage(value: unknown): PushMessage | null {
  if (!isRecord(value) || value.kind !== 'push' || !isString(value.origin)) return null;
  if (value.data !== null && !isBase64Url(value.data)) return null;
  return { kind: 'push', origin: value.origin, data: value.data };
}

// A record, not a list, so the compiler insists that every method is here.
const UI_METHODS: Record<UiMethod, true> = {
  getState: true,
  setEnabled: true,
  setServerUrl: true,
  testConnection: true,
  signUp: true,
  signIn: true,
  oidcProviders: true,
  oidcNonce: true,
  signInWithOidc: true,
  registerDevice: true,
  showRecoveryKey: true,
  confirmRecoveryKeySaved: true,
  signOut: true,
  dismissNotice: true,
  listSubscriptions: true,
  unsubscribe: true,
  listSites: true,
  setSiteDecision: true,
  listDevices: true,
  removeDevice: true,
  listNotifications: true,
  markNotificationsRead: true,
  clearNotifications: true,
  getPrompt: true,
  answerPrompt: true,
  getPairing: true,
  startNewDevicePairing: true,
  startAddDevicePairing: true,
  cancelPairing: true,
};

/** Only the envelope; each handler checks its own parameters. */
export function parseUiMessage(value: unknown): UiMessage | null {
  if (!isRecord(value) || value.kind !== 'ui' || !isString(value.method)) return null;
  if (!Object.hasOwn(UI_METHODS, value.method)) return null;
  if (value.params !== undefined && !isRecord(value.params)) return null;
  return value as unknown as UiMessage;
}
