// Sign up, sign in on another device (docs/protocol.md §6 option B) and sign out. The secret key is
// made here, on the device, and leaves it only as the recovery key the user writes down.
import {
  decodeBase64Url,
  deriveMetaKey,
  encodeBase64Url,
  formatRecoveryKey,
  generateSecretKey,
  parseRecoveryKey,
  RecoveryKeyError,
} from '../../shared/crypto/index.js';
import { normalizeUsername, passwordLength, USERNAME_PATTERN } from '../../shared/protocol.js';
import type { AccountStore, SignedInAccount, StoredAccount } from './account-store.js';
import { isSignedIn } from './account-store.js';
import { ApiError, NetworkError, type ServerApi } from './api-client.js';
import { toUiError, UserError } from './errors.js';
import type { SettingsStore } from './settings.js';
import { opensWith } from './subscription-meta.js';

export interface AccountDeps {
  accounts: AccountStore;
  settings: SettingsStore;
  api: (serverUrl: string) => ServerApi;
  /** Forget everything tied to the account (caches, notifications) after it leaves. */
  onSignedOut: () => Promise<void>;
}

const MAX_DEVICE_NAME = 100;

export class AccountService {
  constructor(private readonly deps: AccountDeps) {}

  async signUp(input: {
    username: string;
    password: string;
    deviceName: string;
  }): Promise<{ recoveryKey: string }> {
    await this.#requireSignedOut();
    const username = checkUsername(input.username);
    checkPassword(input.password);
    const deviceName = checkDeviceName(input.deviceName);
    const { serverUrl } = await this.deps.settings.get();
    const api = this.deps.api(serverUrl);
    const secretKey = generateSecretKey();

    try {
      await api.createAccount(username, input.password);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        throw new UserError(
          'username_taken',
          `The username "${username}" is taken. Please choose another one.`,
        );
      }
      throw err;
    }
    // Stored before the device is registered: if that fails, the user can retry with the
    // password and still gets to see the recovery key of this very account.
    const account: StoredAccount = {
      serverUrl,
      username,
      secretKey: encodeBase64Url(secretKey),
      deviceName,
      recoveryKeyConfirmed: false,
      clientId: null,
      clientToken: null,
    };
    await this.deps.accounts.set(account);
    try {
      await this.#register(account, input.password);
    } catch (err) {
      throw new UserError(
        'device_not_registered',
        `Your account was created, but this device could not be registered: ${toUiError(err).message} Enter your password to try again.`,
      );
    }
    return { recoveryKey: formatRecoveryKey(secretKey) };
  }

  async signIn(input: {
    username: string;
    password: string;
    recoveryKey: string;
    deviceName: string;
  }): Promise<void> {
    await this.#requireSignedOut();
    const username = checkUsername(input.username);
    if (!input.password) throw new UserError('wrong_password', 'Please enter your password.');
    const deviceName = checkDeviceName(input.deviceName);
    let secretKey: Uint8Array;
    try {
      secretKey = parseRecoveryKey(input.recoveryKey);
    } catch (err) {
      if (err instanceof RecoveryKeyError) throw new UserError('invalid_recovery_key', err.message);
      throw err;
    }
    const { serverUrl } = await this.deps.settings.get();
    const account: StoredAccount = {
      serverUrl,
      username,
      secretKey: encodeBase64Url(secretKey),
      deviceName,
      recoveryKeyConfirmed: true,
      clientId: null,
      clientToken: null,
    };
    const registered = await this.#createClient(account, input.password);
    await this.#checkRecoveryKey(registered, secretKey);
    await this.deps.accounts.set(registered);
  }

  /**
   * Signs in with an ID token of one of the server's OpenID Connect providers (docs/protocol.md
   * §9). The provider says who the user is, not what their secret key is: the device that
   * makes the account makes the key and shows its recovery key, as sign-up does; any later
   * device needs the recovery key typed in (or pairing, which brings the key along). Without
   * it, the device just registered is removed again, so it does not linger on the account.
   */
  async signInWithOidc(input: {
    issuer: string;
    idToken: string;
    recoveryKey: string;
    deviceName: string;
  }): Promise<{ recoveryKey: string | null }> {
    await this.#requireSignedOut();
    const deviceName = checkDeviceName(input.deviceName);
    let typedKey: Uint8Array | null = null;
    if (input.recoveryKey.trim() !== '') {
      try {
        typedKey = parseRecoveryKey(input.recoveryKey);
      } catch (err) {
        if (err instanceof RecoveryKeyError) {
          throw new UserError('invalid_recovery_key', err.message);
        }
        throw err;
      }
    }
    const { serverUrl } = await this.deps.settings.get();
    const api = this.deps.api(serverUrl);
    const provider = (await api.info()).oidcProviders.find((p) => p.issuer === input.issuer);
    if (!provider) {
      throw new UserError(
        'oidc_unknown_provider',
        'This push server no longer offers that sign-in provider. Reload this page.',
      );
    }
    let created: Awaited<ReturnType<ServerApi['createOidcClient']>>;
    try {
      created = await api.createOidcClient(input.idToken, deviceName);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        throw new UserError(
          'oidc_refused',
          `The push server did not accept the sign-in with ${provider.name} (${err.message}). Please try again.`,
        );
      }
      throw err;
    }
    const username = oidcAccountLabel(input.idToken, provider.name);
    if (created.accountCreated) {
      const secretKey = generateSecretKey();
      await this.deps.accounts.set({
        serverUrl,
        username,
        secretKey: encodeBase64Url(secretKey),
        deviceName,
        recoveryKeyConfirmed: false,
        clientId: created.clientId,
        clientToken: created.clientToken,
      });
      return { recoveryKey: formatRecoveryKey(secretKey) };
    }
    if (typedKey === null) {
      await api.deleteClient(created.clientToken, created.clientId).catch(() => undefined);
      throw new UserError(
        'secret_key_needed',
        `You already use Push with this ${provider.name} account on another device. Your notifications are encrypted with a key that only your devices hold, and ${provider.name} does not have it: pair this browser with a code from a device that is signed in, or type your recovery key below and sign in with ${provider.name} again.`,
      );
    }
    const account: SignedInAccount = {
      serverUrl,
      username,
      secretKey: encodeBase64Url(typedKey),
      deviceName,
      recoveryKeyConfirmed: true,
      clientId: created.clientId,
      clientToken: created.clientToken,
    };
    await this.#checkRecoveryKey(account, typedKey);
    await this.deps.accounts.set(account);
    return { recoveryKey: null };
  }

  /** Finishes a sign-up whose device registration failed. */
  async registerDevice(password: string): Promise<void> {
    const account = await this.deps.accounts.get();
    if (!account) throw new UserError('not_signed_in', 'There is no account on this device yet.');
    if (isSignedIn(account)) return;
    await this.#register(account, password);
  }

  async recoveryKey(): Promise<string> {
    const account = await this.deps.accounts.get();
    if (!account) throw new UserError('not_signed_in', 'There is no account on this device.');
    return formatRecoveryKey(decodeBase64Url(account.secretKey));
  }

  async confirmRecoveryKeySaved(): Promise<void> {
    const account = await this.deps.accounts.get();
    if (account) await this.deps.accounts.set({ ...account, recoveryKeyConfirmed: true });
  }

  /**
   * Removes this device from the account on the server, then forgets it here. Signs out
   * locally even when the server cannot be told, and says so.
   */
  async signOut(): Promise<void> {
    const account = await this.deps.accounts.get();
    let notice: string | null = null;
    if (isSignedIn(account)) {
      try {
        await this.deps.api(account.serverUrl).deleteClient(account.clientToken, account.clientId);
      } catch (err) {
        // 401/404: the device was removed already, which is what we wanted.
        if (!(err instanceof ApiError && (err.status === 401 || err.status === 404))) {
          notice =
            'You are signed out on this device, but the server could not be told. Remove this device from the Devices list on another device.';
        }
      }
    }
    await this.#forget(notice);
  }

  /** The server no longer accepts this device's token: it was removed from another device. */
  async deviceRemoved(): Promise<void> {
    if (!(await this.deps.accounts.get())) return;
    await this.#forget(
      'This device was removed from your account (or the server forgot it). Sign in again to receive notifications.',
    );
  }

  async #forget(notice: string | null): Promise<void> {
    await this.deps.accounts.clear();
    await this.deps.settings.update({ notice });
    await this.deps.onSignedOut();
  }

  async #register(account: StoredAccount, password: string): Promise<void> {
    await this.deps.accounts.set(await this.#createClient(account, password));
  }

  async #createClient(account: StoredAccount, password: string): Promise<SignedInAccount> {
    try {
      const { clientId, clientToken } = await this.deps
        .api(account.serverUrl)
        .createClient({ basic: { username: account.username, password } }, account.deviceName);
      return { ...account, clientId, clientToken };
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        throw new UserError('wrong_password', 'Wrong username or password.');
      }
      throw err;
    }
  }

  /**
   * The server cannot tell a wrong recovery key (it never sees it), but the user's existing
   * subscriptions can: their meta only opens with the right key. A key that opens none of
   * several is wrong; the new client is removed again so it does not linger on the account.
   */
  async #checkRecoveryKey(account: SignedInAccount, secretKey: Uint8Array): Promise<void> {
    const api = this.deps.api(account.serverUrl);
    let sealed: string[];
    try {
      sealed = (await api.listSubscriptions(account.clientToken))
        .map((s) => s.meta)
        .filter((m): m is string => m !== null);
    } catch (err) {
      if (err instanceof NetworkError) return;
      throw err;
    }
    if (sealed.length === 0) return;
    const metaKey = deriveMetaKey(secretKey);
    // Binding records (subscription-meta.ts) are sealed under the same key.
    const opens = sealed.some((meta) => opensWith(metaKey, meta));
    if (opens) return;
    // Best effort: the wrong key is what the user must hear about; a device left behind shows
    // in the device list.
    await api.deleteClient(account.clientToken, account.clientId).catch(() => undefined);
    throw new UserError(
      'recovery_key_mismatch',
      'This recovery key does not belong to this account. Please check it and try again.',
    );
  }

  async #requireSignedOut(): Promise<void> {
    const account = await this.deps.accounts.get();
    if (isSignedIn(account)) {
      throw new UserError(
        'already_signed_in',
        `This device is already signed in as ${account.username}.`,
      );
    }
    // A sign-up that never registered its device is abandoned by starting over.
    if (account) await this.deps.accounts.clear();
  }
}

/**
 * What the add-on calls an account made with a provider: who the ID token says it is, and
 * where. Shown to the user only; the server knows the account by (issuer, sub) and has
 * already checked the token, so nothing here is trusted.
 */
export function oidcAccountLabel(idToken: string, providerName: string): string {
  let who = 'account';
  try {
    const payload: unknown = JSON.parse(
      new TextDecoder().decode(decodeBase64Url(idToken.split('.')[1] ?? '')),
    );
    if (typeof payload === 'object' && payload !== null) {
      const claims = payload as Record<string, unknown>;
      const found = [claims.email, claims.preferred_username, claims.sub].find(
        (v): v is string => typeof v === 'string' && v.length > 0,
      );
      if (found) who = found;
    }
  } catch {
    // Not readable: the generic label will do.
  }
  return `${clean(who).slice(0, 200)} (${clean(providerName).slice(0, 64)})`;
}

/** Control characters have no place in a label shown on the page or sent in a pairing. */
function clean(text: string): string {
  return text.replace(/\p{Cc}/gu, '');
}

function checkUsername(input: string): string {
  const username = normalizeUsername(input.trim());
  if (!USERNAME_PATTERN.test(username)) {
    throw new UserError(
      'invalid_username',
      'A username has 3 to 64 characters: letters a–z, digits, ".", "_" or "-".',
    );
  }
  return username;
}

function checkPassword(password: string): void {
  if (passwordLength(password) < 8) {
    throw new UserError('weak_password', 'The password needs at least 8 characters.');
  }
}

function checkDeviceName(input: string): string {
  const name = input.trim();
  if (!name) throw new UserError('invalid_device_name', 'Please give this device a name.');
  return name.slice(0, MAX_DEVICE_NAME);
}
