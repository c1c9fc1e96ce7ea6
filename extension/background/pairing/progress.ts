// What the two pairing flows (new-device.ts, signed-in-device.ts) share: how they report
// progress, and what they write to the `abort` step when they give up.
import { type AbortMessage, abortMessageFor } from '../../../shared/crypto/jpake/index.js';
import { UserError } from '../errors.js';
import { RelayError } from './relay-client.js';

/** A step forward, for the page that shows the pairing. */
export interface PairingProgress {
  status: 'waiting' | 'verifying' | 'registering' | 'finishing';
  /** The new device's code `cccc-pppp-pppp`, once it has one. */
  code?: string;
  expiresAt?: string;
}

/** The channel is gone already: writing `abort` to it would only earn a 404. */
export function isChannelGone(err: unknown): boolean {
  return err instanceof RelayError && (err.code === 'channel_closed' || err.code === 'expired');
}

/** The `abort` message for a failure: the J-PAKE error code, or why the add-on stopped. */
export function abortMessage(err: unknown): AbortMessage {
  if (err instanceof RelayError && err.code === 'cancelled') {
    return { error: 'cancelled', message: 'the user cancelled the pairing' };
  }
  if (err instanceof RelayError && err.code === 'expired') {
    // The signed-in device gave up waiting for `done` while the channel may still be open.
    return { error: 'expired', message: 'gave up waiting for the other device' };
  }
  if (err instanceof UserError) return { error: err.code.slice(0, 64) };
  return abortMessageFor(err);
}

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new RelayError('cancelled', 'pairing was cancelled');
}
