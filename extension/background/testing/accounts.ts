// Alice, signed in already: for tests of what happens after sign-in, without going through it.
import { encodeBase64Url } from '../../../shared/crypto/index.js';
import type { SignedInAccount } from '../account-store.js';
import { FAKE_SERVER_URL, type FakeServer } from './fake-server.js';

export type TestDevice = Pick<SignedInAccount, 'deviceName' | 'clientId' | 'clientToken'>;

/** The account as the account store keeps it, on the fake server's URL. */
export function testAccount(
  secretKey: Uint8Array,
  device: TestDevice = { deviceName: 'd', clientId: 'c1', clientToken: 't1' },
): SignedInAccount {
  return {
    serverUrl: FAKE_SERVER_URL,
    username: 'alice',
    secretKey: encodeBase64Url(secretKey),
    recoveryKeyConfirmed: true,
    ...device,
  };
}

/** Gives the account's device a client on the fake server, so that its token is accepted. */
export function registerClient(server: FakeServer, account: SignedInAccount): void {
  server.clients.set(account.clientToken, {
    clientId: account.clientId,
    userId: 'u1',
    name: account.deviceName,
    createdAt: 'x',
  });
}
