// What the pairing page says for each state of a pairing, on either device. Pure, so the words
// are tested without a browser; pairing.ts puts them on the page.
import type { PairingView } from '../../messaging/ui-api.js';

export interface PairingText {
  /** The progress line ("Waiting for your other device…"); empty when nothing runs. */
  progress: string;
  success: string | null;
  error: string | null;
  /** The new device shows its code while it waits and verifies. */
  showCode: boolean;
  canCancel: boolean;
  canRetry: boolean;
}

const NEW_DEVICE_PROGRESS: Partial<Record<PairingView['status'], string>> = {
  starting: 'Getting a code…',
  waiting: 'Waiting for your other device…',
  verifying: 'Verifying…',
  registering: 'Verified. Signing in…',
  finishing: 'Finishing…',
};

const ADD_DEVICE_PROGRESS: Partial<Record<PairingView['status'], string>> = {
  starting: 'Connecting to the new device…',
  waiting: 'Connecting to the new device…',
  verifying: 'Verifying…',
  registering: 'Adding the device…',
  finishing: 'Waiting for the new device to finish…',
};

export function describePairing(
  view: PairingView,
  options: { notificationsOn: boolean } = { notificationsOn: true },
): PairingText {
  const running = ['starting', 'waiting', 'verifying', 'registering', 'finishing'].includes(
    view.status,
  );
  const table = view.role === 'add-device' ? ADD_DEVICE_PROGRESS : NEW_DEVICE_PROGRESS;
  const text: PairingText = {
    progress: table[view.status] ?? '',
    success: null,
    error: null,
    showCode: view.role === 'new-device' && view.code !== null && running,
    canCancel: running,
    canRetry: view.status === 'failed' || view.status === 'cancelled',
  };
  if (view.status === 'done') {
    text.success =
      view.role === 'add-device'
        ? `Done: “${view.deviceName ?? 'The new device'}” added. It receives your notifications from now on.`
        : `Done: this device is signed in as “${view.username ?? ''}”${options.notificationsOn ? ' and receives your notifications.' : '. Turn on notifications in the settings to receive them.'}`;
  }
  if (view.status === 'failed') {
    text.error = view.error?.message ?? 'Pairing failed. Please try again.';
  }
  if (view.status === 'cancelled') text.progress = 'Pairing cancelled.';
  return text;
}
