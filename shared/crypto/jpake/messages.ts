// The relay messages of the pairing transcript (docs/pairing-transcript.md) as zod schemas, so
// the add-on can validate what it reads from `GET /v1/pairings/{channel}/{step}` before handing
// it to JpakeParty (which validates again: it never trusts its caller's typing).
import { z } from 'zod';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** base64url (no padding) of a 65-byte uncompressed P-256 point: 87 characters. */
export const PointString = z
  .string()
  .length(87, 'a point must be 87 base64url characters (65 bytes)')
  .regex(BASE64URL, 'a point must be base64url without padding');

/** base64url (no padding) of a 32-byte big-endian scalar: 43 characters. */
export const ScalarString = z
  .string()
  .length(43, 'a scalar must be 43 base64url characters (32 bytes)')
  .regex(BASE64URL, 'a scalar must be base64url without padding');

/** base64url (no padding) of a 32-byte HMAC-SHA256 tag: 43 characters. */
export const MacString = z
  .string()
  .length(43, 'a MAC must be 43 base64url characters (32 bytes)')
  .regex(BASE64URL, 'a MAC must be base64url without padding');

/** A Schnorr NIZK proof (RFC 8235): the commitment V and the response r. */
export const SchnorrProofMessage = z.object({ V: PointString, r: ScalarString });
export type SchnorrProofMessage = z.infer<typeof SchnorrProofMessage>;

/** Steps a1 / b1: G1 = x1·G and G2 = x2·G with proofs of knowledge of x1 and x2. */
export const Round1Message = z.object({
  G1: PointString,
  G2: PointString,
  zkp1: SchnorrProofMessage,
  zkp2: SchnorrProofMessage,
});
export type Round1Message = z.infer<typeof Round1Message>;

/** Steps a2 / b2: A = (own G1 + peer G1 + peer G2)·(x2·s) with a proof of knowledge of x2·s. */
export const Round2Message = z.object({ A: PointString, zkpA: SchnorrProofMessage });
export type Round2Message = z.infer<typeof Round2Message>;

/** Steps a3 / b3: the explicit key-confirmation tag. */
export const KeyConfirmationMessage = z.object({ mac: MacString });
export type KeyConfirmationMessage = z.infer<typeof KeyConfirmationMessage>;

/** 24-byte nonce + 16-byte tag, base64url; 8192 bytes of JSON leave room for ~6 KB of payload. */
export const MAX_SEALED_LENGTH = 8000;

/** Step payload: the sealed PairingPayload (see sealPayload), written by b only. */
export const PayloadMessage = z.object({
  sealed: z
    .string()
    .min(54, 'the sealed payload is too short')
    .max(MAX_SEALED_LENGTH, 'the sealed payload is too long')
    .regex(BASE64URL, 'the sealed payload must be base64url without padding'),
});
export type PayloadMessage = z.infer<typeof PayloadMessage>;

/**
 * The fixed text a seals into the `done` step (DoneMessage). Changing it is a protocol change:
 * a peer with another text rejects every `done`.
 */
export const DONE_TEXT = 'push pairing v1 done';

/** base64url length of nonce (24) ‖ XChaCha20-Poly1305(DONE_TEXT) (20 + 16-byte tag) = 60 bytes. */
export const DONE_SEALED_LENGTH = 80;

/**
 * Step done: the new device's proof that it opened the payload and stored the credentials,
 * sealed under the session key (see JpakeParty.sealDone). Not a plain `{ok: true}`: the relay is
 * unauthenticated and could write that itself.
 */
export const DoneMessage = z.object({
  sealed: z
    .string()
    .length(DONE_SEALED_LENGTH, `the sealed done text must be ${DONE_SEALED_LENGTH} characters`)
    .regex(BASE64URL, 'the sealed done text must be base64url without padding'),
});
export type DoneMessage = z.infer<typeof DoneMessage>;

/** Step abort: either side gives up; the relay kills the channel when this step is written. */
export const AbortMessage = z.object({
  error: z.string().max(64),
  message: z.string().max(500).optional(),
});
export type AbortMessage = z.infer<typeof AbortMessage>;

// ---------------------------------------------------------------------------------------
// Relay step names (the `{step}` of PUT/GET /v1/pairings/{channel}/{step})

export const PAIRING_STEPS = {
  a1: 'a1',
  b1: 'b1',
  a2: 'a2',
  b2: 'b2',
  a3: 'a3',
  b3: 'b3',
  payload: 'payload',
  done: 'done',
  abort: 'abort',
} as const;
export type PairingStep = (typeof PAIRING_STEPS)[keyof typeof PAIRING_STEPS];

export type JpakeRole = 'a' | 'b';

/**
 * The identity of a party, bound into each of its Schnorr proofs and into the key confirmation:
 * `push-pairing-a:<channel>` or `push-pairing-b:<channel>` (channel in lower case).
 */
export function partyIdFor(role: JpakeRole, channel: string): string {
  return `push-pairing-${role}:${channel}`;
}

export interface PairingStepInfo {
  /** Who PUTs the step (exactly once: the relay answers 409 to a second write). */
  writer: JpakeRole | 'either';
  /** Who polls it with GET (about once a second; 404 means "not there yet"). */
  reader: JpakeRole | 'relay';
  /** The message schema name. */
  message: string;
  description: string;
}

/** Who writes and who reads each step, in the order a run uses them. */
export const PAIRING_STEP_INFO: Readonly<Record<PairingStep, PairingStepInfo>> = {
  a1: {
    writer: 'a',
    reader: 'b',
    message: 'Round1Message',
    description: 'a (the new device) writes its round 1 right after creating the channel',
  },
  b1: {
    writer: 'b',
    reader: 'a',
    message: 'Round1Message',
    description: 'b (the signed-in device) writes its round 1 as soon as the code is typed',
  },
  a2: {
    writer: 'a',
    reader: 'b',
    message: 'Round2Message',
    description: 'a writes round 2 after reading and verifying b1',
  },
  b2: {
    writer: 'b',
    reader: 'a',
    message: 'Round2Message',
    description: 'b writes round 2 after reading and verifying a1',
  },
  a3: {
    writer: 'a',
    reader: 'b',
    message: 'KeyConfirmationMessage',
    description: 'a writes its key-confirmation tag after reading and verifying b2',
  },
  b3: {
    writer: 'b',
    reader: 'a',
    message: 'KeyConfirmationMessage',
    description: 'b writes its key-confirmation tag after reading and verifying a2',
  },
  payload: {
    writer: 'b',
    reader: 'a',
    message: 'PayloadMessage',
    description:
      'b writes the sealed credentials only after verifying a3; a opens them only after verifying b3',
  },
  done: {
    writer: 'a',
    reader: 'b',
    message: 'DoneMessage',
    description:
      'a writes the sealed done text once it opened the payload and stored the credentials; b reports success only after opening it',
  },
  abort: {
    writer: 'either',
    reader: 'relay',
    message: 'AbortMessage',
    description:
      'written by a side that fails key confirmation (or any check); the relay then kills the channel',
  },
};

/** The order in which each role writes its steps. */
export const PAIRING_WRITES: Readonly<Record<JpakeRole, readonly PairingStep[]>> = {
  a: ['a1', 'a2', 'a3', 'done'],
  b: ['b1', 'b2', 'b3', 'payload'],
};
/** The order in which each role polls for the peer's steps. */
export const PAIRING_READS: Readonly<Record<JpakeRole, readonly PairingStep[]>> = {
  a: ['b1', 'b2', 'b3', 'payload'],
  b: ['a1', 'a2', 'a3', 'done'],
};
