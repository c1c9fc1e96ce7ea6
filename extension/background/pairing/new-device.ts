// Pairing, on the new device (role `a` of docs/pairing-transcript.md): get a channel from the
// relay, make the password, show the code, run EC-J-PAKE, sign in with the client the
// signed-in device registered for us, and tell it so with the sealed `done` step (it reports
// success only then). The user's password never reaches this device.
import {
  formatPairingCode,
  generatePairingPassword,
  JpakeError,
  JpakeParty,
  PayloadMessage,
} from '../../../shared/crypto/jpake/index.js';
import type { PairingPayload } from '../../../shared/protocol.js';
import { needsHostPermission } from '../../messaging/server-url.js';
import { type AccountStore, isSignedIn, type StoredAccount } from '../account-store.js';
import { ApiError, type ServerApi } from '../api-client.js';
import { UserError } from '../errors.js';
import type { SettingsStore } from '../settings.js';
import { explainPairingFailure, type PairingPhase } from './pairing-errors.js';
import { decodePairingPayload } from './pairing-payload.js';
import { abortMessage, isChannelGone, type PairingProgress } from './progress.js';
import type { PairingRelay } from './relay-client.js';

export interface NewDeviceDeps {
  relay: (serverUrl: string) => PairingRelay;
  api: (serverUrl: string) => ServerApi;
  settings: SettingsStore;
  accounts: AccountStore;
  /** Whether the add-on may talk to a server outside the loopback hosts of the manifest. */
  hasHostPermission: (serverUrl: string) => Promise<boolean>;
  /** Starts receiving with the account just stored. */
  onSignedIn: () => Promise<void>;
  /** The 8-character password; random unless a test fixes it. */
  generatePassword?: () => string;
}

export interface NewDeviceResult {
  username: string;
  deviceName: string;
}

/** When the device list cannot tell the name the other device gave us. */
export const FALLBACK_DEVICE_NAME = 'Paired device';

export async function pairAsNewDevice(
  deps: NewDeviceDeps,
  signal: AbortSignal,
  progress: (update: PairingProgress) => void,
): Promise<NewDeviceResult> {
  await requireSignedOut(deps.accounts);
  const { serverUrl } = await deps.settings.get();
  const relay = deps.relay(serverUrl);
  let channel: string | null = null;
  let phase: PairingPhase = 'connect';
  try {
    const created = await relay.createChannel(signal);
    channel = created.channel;
    const deadline = Date.parse(created.expiresAt);
    const wait = (step: string) => relay.waitFor(created.channel, step, { deadline, signal });
    const password = (deps.generatePassword ?? generatePairingPassword)();
    const party = new JpakeParty({ role: 'a', channel, password });

    await relay.put(channel, 'a1', party.round1(), signal);
    progress({
      status: 'waiting',
      code: formatPairingCode(channel, password),
      expiresAt: created.expiresAt,
    });
    const b1 = await wait('b1');
    phase = 'exchange';
    progress({ status: 'verifying' });
    await relay.put(channel, 'a2', party.round2(b1), signal);
    await relay.put(channel, 'a3', party.finish(await wait('b2')), signal);
    phase = 'confirm';
    party.confirm(await wait('b3'));
    phase = 'deliver';
    progress({ status: 'registering' });
    const message = PayloadMessage.safeParse(await wait('payload'));
    if (!message.success) throw new JpakeError('invalid_message', 'the payload step is malformed');
    const payload = decodePairingPayload(party.openPayload(message.data.sealed));
    return await signInWith(deps, payload, async () => {
      phase = 'finish';
      await relay.put(created.channel, 'done', party.sealDone(), signal);
    });
  } catch (err) {
    // Closing the channel tells the other device at once instead of at its next timeout.
    if (channel !== null && !isChannelGone(err)) await relay.abort(channel, abortMessage(err));
    throw explainPairingFailure(err, 'a', phase);
  }
}

/**
 * Stores the received client exactly as a sign-in by hand would, then writes `done`. If this
 * device cannot use it after all, or `done` cannot be written (the other device gave up, which
 * deletes the client), the account is forgotten again and the client removed (with its own
 * token), so neither device keeps a half-added one.
 *
 * `done` goes out after GET /v1/clients with the new token (nameGivenTo) and after storing,
 * not after the first hello of the WebSocket: the GET already shows the server accepts the
 * token, while the connection retries with back-off and could outlast the other side's wait.
 */
async function signInWith(
  deps: NewDeviceDeps,
  payload: PairingPayload,
  sendDone: () => Promise<void>,
): Promise<NewDeviceResult> {
  const api = deps.api(payload.serverUrl);
  // Best effort while reporting another error: a device left behind shows in the device list,
  // where the user can delete it.
  const discard = () => api.deleteClient(payload.clientToken, payload.clientId).catch(() => {});
  let stored = false;
  let deviceName: string;
  try {
    if (
      needsHostPermission(payload.serverUrl) &&
      !(await deps.hasHostPermission(payload.serverUrl))
    ) {
      throw new UserError(
        'permission_needed',
        `Your other device uses the push server ${new URL(payload.serverUrl).host}. Choose that server in the settings first (the add-on asks your permission), then try again.`,
      );
    }
    deviceName = await nameGivenTo(api, payload);
    // The user may have signed in by hand in the meantime; that account stays.
    await requireSignedOut(deps.accounts);
    const account: StoredAccount = {
      serverUrl: payload.serverUrl,
      username: payload.username,
      secretKey: payload.secretKey,
      deviceName,
      // The key was saved when the account was made; this device never shows it as new.
      recoveryKeyConfirmed: true,
      clientId: payload.clientId,
      clientToken: payload.clientToken,
    };
    await deps.accounts.set(account);
    stored = true;
    await deps.settings.update({ notice: null });
    await sendDone();
  } catch (err) {
    // Nothing has started with the stored account yet (onSignedIn comes after `done`); the
    // pairing's own error is the one to report.
    if (stored) await deps.accounts.clear().catch(() => {});
    await discard();
    throw err;
  }
  await deps.onSignedIn();
  return { username: payload.username, deviceName };
}

/** The name the signed-in device registered us under; also proves the token works. */
async function nameGivenTo(api: ServerApi, payload: PairingPayload): Promise<string> {
  try {
    const clients = await api.listClients(payload.clientToken);
    return clients.find((c) => c.clientId === payload.clientId)?.name ?? FALLBACK_DEVICE_NAME;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      throw new UserError(
        'invalid_payload',
        'The push server did not accept the sign-in details from your other device. Please try again.',
      );
    }
    // Offline for a moment: the name is cosmetic, and the connection retries by itself.
    return FALLBACK_DEVICE_NAME;
  }
}

async function requireSignedOut(accounts: AccountStore): Promise<void> {
  const account = await accounts.get();
  if (isSignedIn(account)) {
    throw new UserError(
      'already_signed_in',
      `This device is already signed in as ${account.username}. To add another device, use “Add a device” here instead.`,
    );
  }
}
