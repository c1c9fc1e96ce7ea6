// docs/protocol.md §5: the user's secret key, written down as a recovery key. Base32 because it has
// no look-alike punctuation and survives being read aloud or typed in either case.
import { SECRET_KEY_BYTES } from './subscription-keys.js';

/** Thrown by parseRecoveryKey; the message is meant to be shown to the user as is. */
export class RecoveryKeyError extends Error {
  override name = 'RecoveryKeyError';
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const GROUP_SIZE = 4;

/** RFC 4648 §6 base32, lower case, without `=` padding. */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let bitCount = 0;
  for (const byte of bytes) {
    bits = ((bits << 8) | byte) & 0xffff;
    bitCount += 8;
    while (bitCount >= 5) {
      bitCount -= 5;
      out += ALPHABET[(bits >> bitCount) & 31];
    }
  }
  if (bitCount > 0) out += ALPHABET[(bits << (5 - bitCount)) & 31];
  return out;
}

/**
 * Decodes unpadded RFC 4648 base32 in either case. Strict about the length and the unused
 * low bits of the last character, so a mistyped final character is caught rather than
 * silently decoding to a different key.
 */
export function base32Decode(text: string): Uint8Array {
  const lower = text.toLowerCase();
  // Lengths whose last group cannot end on a byte boundary (RFC 4648 §6).
  if ([1, 3, 6].includes(lower.length % 8)) throw new Error('invalid base32: impossible length');
  const out = new Uint8Array(Math.floor((lower.length * 5) / 8));
  let bits = 0;
  let bitCount = 0;
  let o = 0;
  for (let i = 0; i < lower.length; i++) {
    const value = ALPHABET.indexOf(lower[i]!);
    if (value < 0) throw new Error(`invalid base32: unexpected character at position ${i}`);
    bits = ((bits << 5) | value) & 0xffff;
    bitCount += 5;
    if (bitCount >= 8) {
      bitCount -= 8;
      out[o++] = (bits >> bitCount) & 0xff;
    }
  }
  if ((bits & ((1 << bitCount) - 1)) !== 0)
    throw new Error('invalid base32: non-zero trailing bits');
  return out;
}

/** e.g. `abcd-efgh-…-q` : 52 characters in groups of four. */
export function formatRecoveryKey(secret: Uint8Array): string {
  if (secret.length !== SECRET_KEY_BYTES) {
    throw new RangeError(`secret key must be ${SECRET_KEY_BYTES} bytes, got ${secret.length}`);
  }
  const encoded = base32Encode(secret);
  const groups: string[] = [];
  for (let i = 0; i < encoded.length; i += GROUP_SIZE)
    groups.push(encoded.slice(i, i + GROUP_SIZE));
  return groups.join('-');
}

const EXPECTED_CHARACTERS = Math.ceil((SECRET_KEY_BYTES * 8) / 5);

export function parseRecoveryKey(input: string): Uint8Array {
  const compact = input.replace(/[\s-]/g, '').toLowerCase();
  const bad = [...compact].find((c) => !ALPHABET.includes(c));
  if (bad !== undefined) {
    throw new RecoveryKeyError(
      `The recovery key cannot contain "${bad}": it uses only the letters a to z and the digits 2 to 7.`,
    );
  }
  if (compact.length !== EXPECTED_CHARACTERS) {
    throw new RecoveryKeyError(
      `The recovery key has ${EXPECTED_CHARACTERS} letters and digits, but ${compact.length} were entered.`,
    );
  }
  try {
    return base32Decode(compact);
  } catch {
    throw new RecoveryKeyError(
      'This is not a valid recovery key: please check the last group for a typing mistake.',
    );
  }
}
