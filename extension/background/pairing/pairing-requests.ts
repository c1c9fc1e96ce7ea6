// What the pages can ask about pairing: start it on either device, follow it, cancel it.
// Input mistakes (a code of the wrong length, not signed in) are answered at once as errors;
// everything after that is the run's progress, read with view(). A background that starts
// again after it was stopped mid-pairing first removes the device it had added half-way.
import type { PairingView } from '../../messaging/ui-api.js';
import type { CurrentPairing } from './current-pairing.js';
import type { LeftoverClient } from './leftover-clients.js';
import { type NewDeviceDeps, pairAsNewDevice } from './new-device.js';
import {
  type LeftoverOutcome,
  pairAsSignedInDevice,
  readDeviceName,
  readPairingCode,
  removeLeftoverClients,
  type SignedInDeviceDeps,
  signedInAccount,
} from './signed-in-device.js';

export interface PairingRequestsDeps {
  manager: CurrentPairing;
  newDevice: NewDeviceDeps;
  signedInDevice: SignedInDeviceDeps;
}

export class PairingRequests {
  #recovery: Promise<void> | null = null;

  constructor(private readonly deps: PairingRequestsDeps) {}

  /**
   * Once per background start: deletes the clients a stopped background registered for a
   * pairing it did not finish, and says so in that pairing's "interrupted" message.
   */
  recover(): Promise<void> {
    this.#recovery ??= (async () => {
      const outcome = await removeLeftoverClients(this.deps.signedInDevice);
      const detail = describeLeftovers(outcome);
      if (detail) await this.deps.manager.explainInterrupted(detail);
    })().catch(() => {
      // Storage failed: whatever is still recorded is tried again at the next start.
    });
    return this.#recovery;
  }

  async view(): Promise<PairingView> {
    // The page that finds an interrupted pairing (its question is what wakes a stopped
    // background) is answered only once the half-added device is dealt with, so it says which.
    await this.recover();
    return this.deps.manager.view();
  }

  startNewDevice(): PairingView {
    return this.deps.manager.start('new-device', (signal, progress) =>
      pairAsNewDevice(this.deps.newDevice, signal, progress),
    );
  }

  async startAddDevice(input: { code: string; deviceName: string }): Promise<PairingView> {
    const code = readPairingCode(input.code);
    const deviceName = readDeviceName(input.deviceName);
    await signedInAccount(this.deps.signedInDevice.accounts);
    // Never while the start's clean-up runs: it would treat the new run's client as a leftover.
    await this.recover();
    return this.deps.manager.start('add-device', (signal, progress) =>
      pairAsSignedInDevice(this.deps.signedInDevice, { code, deviceName }, signal, progress),
    );
  }

  cancel(): PairingView {
    return this.deps.manager.cancel();
  }
}

function names(clients: LeftoverClient[]): string {
  return clients.map((c) => `“${c.deviceName}”`).join(', ');
}

/** What became of the half-added devices, for the "interrupted" message; null if none. */
function describeLeftovers(outcome: LeftoverOutcome): string | null {
  const parts: string[] = [];
  if (outcome.removed.length) {
    parts.push(`The device it had added half-way, ${names(outcome.removed)}, was removed again.`);
  }
  if (outcome.notRemoved.length) {
    parts.push(
      `The push server could not be told to forget the device it had added half-way: remove ${names(outcome.notRemoved)} from the device list.`,
    );
  }
  return parts.length ? parts.join(' ') : null;
}
