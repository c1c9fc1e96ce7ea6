// What went wrong in a pairing, in plain words for the person holding the two devices. The
// same failure reads differently on the new device (which shows the code) and on the signed-in
// device (where the code is typed), and a closed channel means different things at each phase.
import { isJpakeError } from '../../../shared/crypto/jpake/index.js';
import { UserError } from '../errors.js';
import { RelayError } from './relay-client.js';

/** Which device: `a` shows the code (new device), `b` types it (signed-in device). */
export type PairingSide = 'a' | 'b';

/**
 * Where the flow was when it failed:
 * - `connect`: before the other device showed up (a: waiting for b1; b: PUT b1, waiting for a1);
 * - `exchange`: the J-PAKE rounds;
 * - `confirm`: own key-confirmation tag written, waiting for the peer's;
 * - `deliver`: after key confirmation (registering, sending or receiving the payload);
 * - `finish`: the `done` step (a: writing it after storing the credentials; b: waiting for it).
 */
export type PairingPhase = 'connect' | 'exchange' | 'confirm' | 'deliver' | 'finish';

const AGAIN_A = 'Press “Try again” for a new code.';
const AGAIN_B = 'Press “Try again” on the new device for a new code, and type that one here.';

/**
 * The failure as a UserError with a pairing code (`key_confirmation_failed`, `channel_not_found`,
 * `expired`, `offline`, `tampered`, `peer_stopped`, `cancelled`…). Errors that are not about the
 * pairing itself (the account API's, or a bug) come back unchanged for errors.ts to word.
 */
export function explainPairingFailure(
  err: unknown,
  side: PairingSide,
  phase: PairingPhase,
): unknown {
  if (err instanceof UserError) return err;
  const again = side === 'a' ? AGAIN_A : AGAIN_B;
  if (err instanceof RelayError) return fromRelay(err, side, phase, again);
  if (isJpakeError(err, 'key_confirmation_failed')) return codesDiffer(side);
  // A proof, point, sealed payload or `done` that does not check out: altered on the way.
  if (isJpakeError(err)) return tampered(again);
  return err;
}

function tampered(again: string): UserError {
  return new UserError(
    'tampered',
    `A pairing message was damaged or changed on the way, so pairing stopped to keep your account safe. ${again}`,
  );
}

function fromRelay(
  err: RelayError,
  side: PairingSide,
  phase: PairingPhase,
  again: string,
): UserError {
  switch (err.code) {
    case 'cancelled':
      return new UserError('cancelled', 'Pairing was cancelled.');
    case 'unreachable':
      return new UserError(
        'offline',
        'The push server cannot be reached. Check your connection and the server address, then try again.',
      );
    case 'expired':
      // b waits for `done` a bounded time only (DONE_TIMEOUT_MS), often well before the code's end.
      if (side === 'b' && phase === 'finish') {
        return new UserError(
          'not_finished',
          `The new device did not finish signing in, so it was not added. ${again}`,
        );
      }
      return new UserError(
        'expired',
        `The code expired before pairing finished (a code lasts 5 minutes). ${again}`,
      );
    case 'step_taken':
      // Only this device writes `done`: someone else's is a forgery (the relay, or a guess).
      if (phase === 'finish') return tampered(again);
      return new UserError(
        'step_taken',
        `Another device answered this code at the same time, so it cannot be used any more. ${again}`,
      );
    case 'rate_limited':
      return new UserError(
        'rate_limited',
        'Too many attempts. Please wait a minute and try again.',
      );
    case 'server_error':
      return new UserError(
        'server_error',
        'The push server could not pass the pairing on right now. Please try again in a moment.',
      );
    case 'channel_closed':
      // Nobody answered the code, and the relay forgot the channel: its five minutes are over.
      if (side === 'a' && phase === 'connect') {
        return fromRelay(new RelayError('expired', err.message), side, phase, again);
      }
      if (side === 'b' && phase === 'connect') {
        return new UserError(
          'channel_not_found',
          'No new device is waiting with this code: it may be mistyped, expired (a code lasts 5 minutes), or used already. Check it, or press “Try again” on the new device for a new code.',
        );
      }
      // The peer closes the channel right after it rejects our confirmation tag.
      if (phase === 'confirm') return codesDiffer(side);
      if (side === 'b' && phase === 'finish') {
        return new UserError(
          'peer_stopped',
          `The new device could not finish signing in and stopped the pairing, so it was not added. ${again}`,
        );
      }
      return new UserError('peer_stopped', `The other device stopped the pairing. ${again}`);
  }
}

function codesDiffer(side: PairingSide): UserError {
  return new UserError(
    'key_confirmation_failed',
    side === 'a'
      ? `The code typed on your other device did not match this one. ${AGAIN_A}`
      : `This code does not match the one on the new device. Check it and try again; after a wrong code the new device needs a new one (“Try again” there).`,
  );
}
