// The pairing payload cipher: XChaCha20-Poly1305 under the J-PAKE payload key, a fresh 24-byte
// random nonce in front of the ciphertext, and associated data binding channel and sender.
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { normalizeChannel } from './code';
import { lengthPrefixed } from './encoding';
import { JpakeError } from './errors';
import { type JpakeRole, partyIdFor } from './messages';

export const PAYLOAD_KEY_BYTES = 32;
export const PAYLOAD_NONCE_BYTES = 24;
export const PAYLOAD_TAG_BYTES = 16;
export const PAYLOAD_AAD_LABEL = 'push pairing v1 payload';
/** The AAD label of the `done` step: its own label, so a sealed payload can never pass as one. */
export const DONE_AAD_LABEL = 'push pairing v1 done';

export interface PayloadContext {
  /** The relay channel of this run. */
  channel: string;
  /** The role that seals (in the transcript always 'b', the signed-in device). */
  sender: JpakeRole;
  /** The AAD label: PAYLOAD_AAD_LABEL (the default) or DONE_AAD_LABEL for the `done` step. */
  label?: string;
}

/** AAD = len‖label ‖ len‖channel ‖ len‖senderId (4-byte big-endian lengths). */
export function payloadAssociatedData(context: PayloadContext): Uint8Array {
  const channel = normalizeChannel(context.channel);
  return lengthPrefixed(
    context.label ?? PAYLOAD_AAD_LABEL,
    channel,
    partyIdFor(context.sender, channel),
  );
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== PAYLOAD_KEY_BYTES) {
    throw new JpakeError('bad_state', `the payload key must be ${PAYLOAD_KEY_BYTES} bytes`);
  }
}

/** nonce (24 bytes) ‖ XChaCha20-Poly1305(key, nonce, aad, plaintext) (ciphertext ‖ 16-byte tag). */
export function sealPayload(
  key: Uint8Array,
  plaintext: Uint8Array,
  context: PayloadContext,
  random: (length: number) => Uint8Array = randomBytes,
): Uint8Array {
  checkKey(key);
  const nonce = random(PAYLOAD_NONCE_BYTES);
  if (nonce.length !== PAYLOAD_NONCE_BYTES) {
    throw new JpakeError('bad_state', 'the random source returned the wrong number of bytes');
  }
  const sealed = xchacha20poly1305(key, nonce, payloadAssociatedData(context)).encrypt(plaintext);
  const out = new Uint8Array(PAYLOAD_NONCE_BYTES + sealed.length);
  out.set(nonce, 0);
  out.set(sealed, PAYLOAD_NONCE_BYTES);
  return out;
}

/** Inverse of sealPayload; throws JpakeError('decrypt_failed') if anything was changed. */
export function openPayload(
  key: Uint8Array,
  sealed: Uint8Array,
  context: PayloadContext,
): Uint8Array {
  checkKey(key);
  if (!(sealed instanceof Uint8Array) || sealed.length < PAYLOAD_NONCE_BYTES + PAYLOAD_TAG_BYTES) {
    throw new JpakeError('decrypt_failed', 'the sealed payload is too short');
  }
  const nonce = sealed.subarray(0, PAYLOAD_NONCE_BYTES);
  try {
    return xchacha20poly1305(key, nonce, payloadAssociatedData(context)).decrypt(
      sealed.subarray(PAYLOAD_NONCE_BYTES),
    );
  } catch {
    throw new JpakeError('decrypt_failed', 'the sealed payload does not authenticate');
  }
}
