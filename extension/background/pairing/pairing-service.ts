// What the pages can ask about pairing: start it on either device, follow it, cancel it.
// Input mistakes (a code of the wrong length, not signed in) are answered at once as errors;
// everything after that is the run's progress, read with view().
import type { PairingView } from '../../shared/ui-api.js';
import { type NewDeviceDeps, pairAsNewDevice } from './new-device.js';
import type { PairingManager } from './pairing-manager.js';
import {
  pairAsSignedInDevice,
  readDeviceName,
  readPairingCode,
  type SignedInDeviceDeps,
  signedInAccount,
} from './signed-in-device.js';

export interface PairingServiceDeps {
  manager: PairingManager;
  newDevice: NewDeviceDeps;
  signedInDevice: SignedInDeviceDeps;
}

export class PairingService {
  constructor(private readonly deps: PairingServiceDeps) {}

  view(): Promise<PairingView> {
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
    return this.deps.manager.start('add-device', (signal, progress) =>
      pairAsSignedInDevice(this.deps.signedInDevice, { code, deviceName }, signal, progress),
    );
  }

  cancel(): PairingView {
    return this.deps.manager.cancel();
  }
}
