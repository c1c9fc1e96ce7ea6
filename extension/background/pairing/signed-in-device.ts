// Pairing, on the device that is signed in already (role `b` of docs/pairing-transcript.md):
// the user types the new device's code; after EC-J-PAKE and key confirmation this device
// registers a client for the new one (Bearer of its own client, docs/protocol.md §2) and sends it the
// credentials sealed under the agreed key, then waits for the new device's sealed `done` before
// it reports success. A pairing that fails after the client was registered (also: no `done`, an
// `abort`, or a `done` that does not open) deletes it again: the account keeps no half-added
// device. Until the outcome is known the client's id waits in LeftoverClients, so a background
// stopped in the middle deletes it when it starts again (removeLeftoverClients).
import { isJpakeError, JpakeParty, parsePairingCode } from '../../../shared/crypto/jpake/index.js';
import { PAIRING_TTL_SECONDS } from '../../../shared/protocol.js';
import { type AccountStore, isSignedIn, type SignedInAccount } from '../account-store.js';
import { ApiError, type ServerApi } from '../api-client.js';
import { toUiError, UserError } from '../errors.js';
import type { LeftoverClient, LeftoverClients } from './leftover-clients.js';
import { explainPairingFailure, type PairingPhase } from './pairing-errors.js';
import { encodePairingPayload } from './pairing-payload.js';
import { abortMessage, isChannelGone, type PairingProgress, throwIfCancelled } from './progress.js';
import { type PairingRelay, RelayError } from './relay-client.js';

export interface SignedInDeviceDeps {
  relay: (serverUrl: string) => PairingRelay;
  api: (serverUrl: string) => ServerApi;
  accounts: AccountStore;
  /** Where a registered client waits until its pairing is confirmed or undone. */
  leftovers: LeftoverClients;
  /** The server refused this device's own token: it was removed from another device. */
  onUnauthorized: () => Promise<void>;
  now?: () => number;
  /** How long to wait for the new device's `done` after the payload (default DONE_TIMEOUT_MS). */
  doneTimeoutMs?: number;
}

/**
 * The new device needs a few requests after the payload arrives (open it, GET /v1/clients with
 * its token, store, PUT done), seconds even on a slow line; a minute is generous, and the user
 * is not left watching "waiting…" for the rest of the code's five minutes when it went away.
 */
export const DONE_TIMEOUT_MS = 60_000;

export interface PairingCode {
  channel: string;
  password: string;
}

const MAX_DEVICE_NAME = 100;

/** The code as typed (case, spaces and dashes do not matter), or a plain-words UserError. */
export function readPairingCode(input: string): PairingCode {
  if (input.trim() === '') {
    throw new UserError('invalid_code', 'Please type the code shown on the new device.');
  }
  try {
    return parsePairingCode(input);
  } catch (err) {
    if (isJpakeError(err)) throw new UserError('invalid_code', err.message);
    throw err;
  }
}

/** The name the new device gets in the device list. */
export function readDeviceName(input: string): string {
  const name = input.trim();
  if (!name) throw new UserError('invalid_device_name', 'Please give the new device a name.');
  return name.slice(0, MAX_DEVICE_NAME);
}

export async function signedInAccount(accounts: AccountStore): Promise<SignedInAccount> {
  const account = await accounts.get();
  if (!isSignedIn(account)) {
    throw new UserError(
      'not_signed_in',
      'Sign in on this device first: only a signed-in device can add another one.',
    );
  }
  return account;
}

export async function pairAsSignedInDevice(
  deps: SignedInDeviceDeps,
  input: { code: PairingCode; deviceName: string },
  signal: AbortSignal,
  progress: (update: PairingProgress) => void,
): Promise<{ deviceName: string }> {
  const account = await signedInAccount(deps.accounts);
  const { channel, password } = input.code;
  const relay = deps.relay(account.serverUrl);
  const api = deps.api(account.serverUrl);
  const now = deps.now ?? Date.now;
  // This side never learns expiresAt; the relay's 404 for a dead channel usually ends it sooner.
  const deadline = now() + PAIRING_TTL_SECONDS * 1000;
  const wait = (step: string) => relay.waitFor(channel, step, { deadline, signal });
  let phase: PairingPhase = 'connect';
  let registered: string | null = null;
  try {
    const party = new JpakeParty({ role: 'b', channel, password });
    await relay.put(channel, 'b1', party.round1(), signal);
    progress({ status: 'waiting' });
    const a1 = await wait('a1');
    phase = 'exchange';
    progress({ status: 'verifying' });
    await relay.put(channel, 'b2', party.round2(a1), signal);
    await relay.put(channel, 'b3', party.finish(await wait('a2')), signal);
    phase = 'confirm';
    // Key confirmation first: nothing is registered or sent for a device that has not proved
    // it knows the code.
    party.confirm(await wait('a3'));
    phase = 'deliver';
    progress({ status: 'registering' });
    throwIfCancelled(signal);
    const client = await api.createClient({ bearer: account.clientToken }, input.deviceName);
    registered = client.clientId;
    // Written down before the new device can get it: a background stopped from here on (its
    // catch below never runs) leaves this for the next start to delete.
    await deps.leftovers.add({
      serverUrl: account.serverUrl,
      username: account.username,
      clientId: client.clientId,
      deviceName: input.deviceName,
      registeredAt: new Date(now()).toISOString(),
    });
    throwIfCancelled(signal);
    const sealed = party.sealPayload(
      encodePairingPayload({
        serverUrl: account.serverUrl,
        username: account.username,
        clientId: client.clientId,
        clientToken: client.clientToken,
        secretKey: account.secretKey,
      }),
    );
    await relay.put(channel, 'payload', { sealed }, signal);
    // Not done yet: the new device may still fail to open or use the payload (the relay may
    // have altered it). Only its sealed `done` says it holds working credentials; the relay
    // cannot forge it, so openDone() throws for anything else and the catch below undoes it.
    phase = 'finish';
    progress({ status: 'finishing' });
    const doneDeadline = Math.min(deadline, now() + (deps.doneTimeoutMs ?? DONE_TIMEOUT_MS));
    party.openDone(await relay.waitFor(channel, 'done', { deadline: doneDeadline, signal }));
    // The new device holds it now: no longer a leftover. (Inside the try, so a failure to
    // write this undoes the pairing instead of leaving a working device to be deleted later.)
    await deps.leftovers.remove(client.clientId);
    return { deviceName: input.deviceName };
  } catch (err) {
    // Abort first, so a new device still at work gets a 404 for its `done` and signs out again
    // instead of reporting a success this side is about to undo. A `done` that timed out
    // (`expired` here) leaves the channel open, so it needs the abort too.
    const timedOut = phase === 'finish' && err instanceof RelayError && err.code === 'expired';
    if (!isChannelGone(err) || timedOut) await relay.abort(channel, abortMessage(err));
    let removed = true;
    if (registered !== null) {
      const outcome = await removeClient(api, account, registered);
      removed = outcome === 'removed';
      // A refused token will not delete it at any later start either; only a server that could
      // not be reached leaves the record for the next start to try again.
      // (Should the record stay anyway, the next start's delete gets a 404, which counts as done.)
      // Storage failing here leaves the record, which the next start retries as described.
      if (outcome !== 'failed') await deps.leftovers.remove(registered).catch(() => {});
    }
    if (err instanceof ApiError && err.status === 401) await deps.onUnauthorized();
    const explained = explainPairingFailure(err, 'b', phase);
    if (removed) throw explained;
    const { code, message } = toUiError(explained);
    throw new UserError(
      code,
      `${message} The push server could not be told to forget the new device: remove “${input.deviceName}” from the device list.`,
    );
  }
}

/**
 * Deletes the client registered for a pairing that failed: `removed` (also when it was gone
 * already), `unauthorized` (our own token is refused), or `failed` (no answer, or 5xx).
 */
async function removeClient(
  api: ServerApi,
  account: SignedInAccount,
  clientId: string,
): Promise<'removed' | 'unauthorized' | 'failed'> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await api.deleteClient(account.clientToken, clientId);
      return 'removed';
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return 'removed'; // gone already
      // Our own token is refused: no retry can help.
      if (err instanceof ApiError && err.status === 401) return 'unauthorized';
    }
  }
  return 'failed';
}

export interface LeftoverOutcome {
  removed: LeftoverClient[];
  /** Still on the account as far as this device knows: the user is asked to remove them. */
  notRemoved: LeftoverClient[];
}

/**
 * On background start: deletes the clients a stopped background registered for pairings it
 * never finished. Such a pairing never saw the new device's `done`, so deleting is the safe
 * choice even if the new device did sign in just before the stop: its token is then refused
 * and it signs out with a notice (docs/pairing-transcript.md §10). A client whose deletion
 * fails for want of an answer stays recorded, for the next start to try again.
 */
export async function removeLeftoverClients(
  deps: Pick<SignedInDeviceDeps, 'api' | 'accounts' | 'leftovers' | 'onUnauthorized'>,
): Promise<LeftoverOutcome> {
  const outcome: LeftoverOutcome = { removed: [], notRemoved: [] };
  for (const leftover of await deps.leftovers.all()) {
    const account = await deps.accounts.get();
    if (
      !isSignedIn(account) ||
      account.serverUrl !== leftover.serverUrl ||
      account.username !== leftover.username
    ) {
      // Signed out, or into another account, since: no token of ours may delete it any more.
      await deps.leftovers.remove(leftover.clientId);
      outcome.notRemoved.push(leftover);
      continue;
    }
    const result = await removeClient(deps.api(account.serverUrl), account, leftover.clientId);
    if (result !== 'failed') await deps.leftovers.remove(leftover.clientId);
    (result === 'removed' ? outcome.removed : outcome.notRemoved).push(leftover);
    // This device was removed from the account meanwhile: sign out, as on any refused token.
    if (result === 'unauthorized') await deps.onUnauthorized();
  }
  return outcome;
}
