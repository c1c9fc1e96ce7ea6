// The account on this device, in storage.local: who, on which server, the user's secret key
// (docs/protocol.md §5) and this device's client token. Never the password.
import { isRecord, isString } from '../messaging/guards.js';
import type { KeyValueArea } from './storage-area.js';

export interface StoredAccount {
  serverUrl: string;
  username: string;
  /** base64url of the 32-byte secret key. */
  secretKey: string;
  deviceName: string;
  recoveryKeyConfirmed: boolean;
  /** Both null while the account exists but this device is not registered yet. */
  clientId: string | null;
  clientToken: string | null;
}

/** An account whose device is registered, so it can call the Bearer API and connect. */
export type SignedInAccount = StoredAccount & { clientId: string; clientToken: string };

export function isSignedIn(account: StoredAccount | null): account is SignedInAccount {
  return account !== null && account.clientId !== null && account.clientToken !== null;
}

const KEY = 'account';

export class AccountStore {
  constructor(private readonly area: KeyValueArea) {}

  async get(): Promise<StoredAccount | null> {
    return parseAccount(await this.area.get(KEY));
  }

  async set(account: StoredAccount): Promise<void> {
    await this.area.set(KEY, account);
  }

  async clear(): Promise<void> {
    await this.area.remove(KEY);
  }
}

function parseAccount(value: unknown): StoredAccount | null {
  if (!isRecord(value)) return null;
  const {
    serverUrl,
    username,
    secretKey,
    deviceName,
    recoveryKeyConfirmed,
    clientId,
    clientToken,
  } = value;
  if (
    !isString(serverUrl) ||
    !isString(username) ||
    !isString(secretKey) ||
    !isString(deviceName)
  ) {
    return null;
  }
  const registered = isString(clientId) && isString(clientToken);
  return {
    serverUrl,
    username,
    secretKey,
    deviceName,
    recoveryKeyConfirmed: recoveryKeyConfirmed === true,
    clientId: registered ? clientId : null,
    clientToken: registered ? clientToken : null,
  };
}
