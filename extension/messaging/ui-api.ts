// The calls the add-on's own pages (popup, options, prompt) make to the background, which
// owns the account, the keys and the server connection. One typed table so both sides agree.

export type Decision = 'allow' | 'block';
/** What the settings list per site: an answer, or `ask` (the site must ask again). */
export type SiteDecision = Decision | 'ask';

/** What the popup shows about the WebSocket: the background's PushClient, simplified. */
export type ConnectionState = 'off' | 'connecting' | 'connected' | 'offline' | 'unauthorized';

export interface AccountView {
  username: string;
  serverUrl: string;
  deviceName: string;
  /** null while the account exists but this device is not registered yet. */
  clientId: string | null;
  recoveryKeyConfirmed: boolean;
}

/** A provider a user may sign in with, as the server announces it. */
export interface OidcProviderView {
  issuer: string;
  clientId: string;
  name: string;
}

export interface ExtensionState {
  enabled: boolean;
  serverUrl: string;
  account: AccountView | null;
  connection: ConnectionState;
  unread: number;
  /** Something the user should know that happened in the background, in plain words. */
  notice: string | null;
}

export interface SubscriptionView {
  subscriptionId: string;
  /** null when the meta could not be read (made with another secret key, or damaged). */
  origin: string | null;
  createdAt: string;
  endpoint: string;
}

export interface SiteView {
  origin: string;
  decision: SiteDecision;
  /**
   * After three dismissed questions the site may not ask until then (ISO 8601); null when it
   * may. Choosing anything for the site in the settings lifts it.
   */
  quietUntil: string | null;
}

export interface UnsubscribeResult {
  /** How many subscriptions were ended. */
  count: number;
  /** The sites among them (those whose meta could be read): they now have to ask again. */
  origins: string[];
}

export interface DeviceView {
  clientId: string;
  name: string;
  createdAt: string;
  lastSeenAt: string | null;
  connected: boolean;
  /** This browser. */
  current: boolean;
}

export interface NotificationView {
  id: string;
  origin: string | null;
  title: string;
  body: string;
  url: string | null;
  receivedAt: string;
  read: boolean;
}

export interface ConnectionTest {
  ok: boolean;
  message: string;
}

export interface PromptView {
  origin: string;
}

/** Which side of a pairing this browser is on (docs/pairing-transcript.md roles a and b). */
export type PairingRole = 'new-device' | 'add-device';

/**
 * - `starting`: asking the relay for a channel (new device) / about to contact it;
 * - `waiting`: the new device shows its code and waits; the other one waits for it to answer;
 * - `verifying`: the two devices run J-PAKE and confirm the key;
 * - `registering`: the signed-in device registers the new one and sends its credentials;
 * - `finishing`: the signed-in device waits for the new one's sealed `done` (it has stored the
 *   credentials); success is reported only after that, so a failure there can still be undone;
 * - `done`, `failed`, `cancelled`: the end; `error` says why it failed.
 */
export type PairingStatus =
  | 'idle'
  | 'starting'
  | 'waiting'
  | 'verifying'
  | 'registering'
  | 'finishing'
  | 'done'
  | 'failed'
  | 'cancelled';

export interface PairingView {
  role: PairingRole | null;
  status: PairingStatus;
  /** The new device's code `cccc-pppp-pppp` while it waits; null everywhere else. */
  code: string | null;
  /** When the code stops working (ISO 8601), on the new device. */
  expiresAt: string | null;
  /** The name the new device has in the device list (known on both sides once done). */
  deviceName: string | null;
  /** The account the new device signed in to, once done. */
  username: string | null;
  error: UiError | null;
}

/** What `getPairing` answers while no pairing has run (or after the browser restarted). */
export const IDLE_PAIRING: PairingView = {
  role: null,
  status: 'idle',
  code: null,
  expiresAt: null,
  deviceName: null,
  username: null,
  error: null,
};

export interface UiMethods {
  getState: { params: undefined; result: ExtensionState };
  setEnabled: { params: { enabled: boolean }; result: ExtensionState };
  setServerUrl: { params: { serverUrl: string }; result: ExtensionState };
  testConnection: { params: { serverUrl: string }; result: ConnectionTest };
  signUp: {
    params: { username: string; password: string; deviceName: string };
    result: { recoveryKey: string };
  };
  signIn: {
    params: { username: string; password: string; recoveryKey: string; deviceName: string };
    result: ExtensionState;
  };
  /**
   * The OpenID Connect providers the chosen server offers (docs/protocol.md §9); an empty
   * list when it offers none, or cannot be asked.
   */
  oidcProviders: { params: undefined; result: OidcProviderView[] };
  /** A fresh nonce from the server for one provider sign-in. */
  oidcNonce: { params: undefined; result: { nonce: string } };
  /**
   * Hands the server the provider's ID token. `recoveryKey` is needed (or pairing) when the
   * account already exists; the answer has the new account's recovery key, or null.
   */
  signInWithOidc: {
    params: { issuer: string; idToken: string; recoveryKey: string; deviceName: string };
    result: { state: ExtensionState; recoveryKey: string | null };
  };
  /** For an account whose device registration failed after sign up. */
  registerDevice: { params: { password: string }; result: ExtensionState };
  showRecoveryKey: { params: undefined; result: { recoveryKey: string } };
  confirmRecoveryKeySaved: { params: undefined; result: ExtensionState };
  signOut: { params: undefined; result: ExtensionState };
  dismissNotice: { params: undefined; result: ExtensionState };
  listSubscriptions: { params: undefined; result: SubscriptionView[] };
  /** Ends the chosen subscriptions; their sites go back to "ask" on this device. */
  unsubscribe: { params: { subscriptionIds: string[] }; result: UnsubscribeResult };
  listSites: { params: undefined; result: SiteView[] };
  /** `null` removes the site from the list (it asks again, like `ask`). */
  setSiteDecision: {
    params: { origin: string; decision: SiteDecision | null };
    result: SiteView[];
  };
  listDevices: { params: undefined; result: DeviceView[] };
  removeDevice: { params: { clientId: string }; result: null };
  listNotifications: { params: undefined; result: NotificationView[] };
  markNotificationsRead: { params: undefined; result: null };
  clearNotifications: { params: undefined; result: null };
  getPrompt: { params: { promptId: string }; result: PromptView | null };
  answerPrompt: { params: { promptId: string; decision: Decision }; result: null };
  /** The pairing of this browser: running, or how the last one ended. */
  getPairing: { params: undefined; result: PairingView };
  /** On a device that is not signed in: get a code and wait for the other device. */
  startNewDevicePairing: { params: undefined; result: PairingView };
  /** On a signed-in device: pair with the new device showing `code`. */
  startAddDevicePairing: { params: { code: string; deviceName: string }; result: PairingView };
  cancelPairing: { params: undefined; result: PairingView };
}

export type UiMethod = keyof UiMethods;

/** Plain-words error for the UI; `code` lets a page react (e.g. focus the username field). */
export interface UiError {
  code: string;
  message: string;
}

export type UiResponse<M extends UiMethod> =
  | { ok: true; value: UiMethods[M]['result'] }
  | { ok: false; error: UiError };

export interface UiMessage<M extends UiMethod = UiMethod> {
  kind: 'ui';
  method: M;
  params: UiMethods[M]['params'];
}
