// The one error type of the J-PAKE library. `code` is stable and meant for programs (the add-on
// maps it to a screen); `message` is plain words for logs and, for pairing codes, for the user.

export type JpakeErrorCode =
  /** A relay message (or a pairing code, a channel, a password) has the wrong shape or encoding. */
  | 'invalid_message'
  /** A Schnorr proof does not verify, or is bound to the wrong party (reflection). */
  | 'invalid_proof'
  /** A point is not on P-256, not canonically encoded, or is the identity. */
  | 'invalid_point'
  /** The peer's key-confirmation tag is wrong: almost always a mistyped code. */
  | 'key_confirmation_failed'
  /** A method was called out of order, twice, or after a failure. */
  | 'bad_state'
  /** The sealed payload does not authenticate under the session key. */
  | 'decrypt_failed';

export class JpakeError extends Error {
  readonly code: JpakeErrorCode;

  constructor(code: JpakeErrorCode, message: string = code) {
    super(message);
    this.name = 'JpakeError';
    this.code = code;
  }
}

export function isJpakeError(e: unknown, code?: JpakeErrorCode): e is JpakeError {
  return e instanceof JpakeError && (code === undefined || e.code === code);
}
