// EC-J-PAKE pairing (RFC 8236 over P-256 with RFC 8235 Schnorr proofs), the pairing code and the
// payload cipher. Transcript: docs/pairing-transcript.md.
export {
  formatPairingCode,
  generatePairingPassword,
  normalizeChannel,
  normalizePassword,
  parsePairingCode,
} from './code';
export { isJpakeError, JpakeError, type JpakeErrorCode } from './errors';
export {
  AbortMessage,
  DONE_SEALED_LENGTH,
  DONE_TEXT,
  DoneMessage,
  type JpakeRole,
  KeyConfirmationMessage,
  MAX_SEALED_LENGTH,
  PAIRING_READS,
  PAIRING_STEP_INFO,
  PAIRING_STEPS,
  PAIRING_WRITES,
  type PairingStep,
  type PairingStepInfo,
  PayloadMessage,
  partyIdFor,
  Round1Message,
  Round2Message,
  SchnorrProofMessage,
} from './messages';
export {
  abortMessageFor,
  JpakeParty,
  type JpakePartyOptions,
  type JpakeState,
  passwordScalar,
} from './party';
export { openPayload, type PayloadContext, sealPayload } from './payload';
