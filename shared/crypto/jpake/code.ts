// The 12-character pairing code `cccc-pppp-pppp`: the 4-character relay channel (chosen by the
// server) followed by the 8-character password (chosen by the new device, 40 random bits).
import { randomBytes } from '@noble/hashes/utils.js';
import { PAIRING_ALPHABET, PAIRING_CHANNEL_LENGTH, PAIRING_PASSWORD_LENGTH } from '../../protocol';
import { JpakeError } from './errors';

const CODE_LENGTH = PAIRING_CHANNEL_LENGTH + PAIRING_PASSWORD_LENGTH;

/**
 * 8 characters from the 32-letter PAIRING_ALPHABET. 32 = 2^5, so 5 random bytes are cut into
 * eight 5-bit groups: every character is exactly uniform, no rejection sampling needed.
 */
export function generatePairingPassword(
  random: (length: number) => Uint8Array = randomBytes,
): string {
  const bytes = random((PAIRING_PASSWORD_LENGTH * 5) / 8);
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let out = '';
  for (let i = PAIRING_PASSWORD_LENGTH - 1; i >= 0; i--) {
    out += PAIRING_ALPHABET[Number((bits >> BigInt(5 * i)) & 31n)]!;
  }
  return out;
}

function isAlphabetString(text: string, length: number): boolean {
  if (text.length !== length) return false;
  for (const ch of text) if (!PAIRING_ALPHABET.includes(ch)) return false;
  return true;
}

/** The channel, lower-cased, if it is 4 alphabet characters; otherwise throws invalid_message. */
export function normalizeChannel(channel: string): string {
  const c = typeof channel === 'string' ? channel.toLowerCase() : '';
  if (!isAlphabetString(c, PAIRING_CHANNEL_LENGTH)) {
    throw new JpakeError('invalid_message', 'the pairing channel must be 4 code characters');
  }
  return c;
}

/** The password, lower-cased, if it is 8 alphabet characters; otherwise throws invalid_message. */
export function normalizePassword(password: string): string {
  const p = typeof password === 'string' ? password.toLowerCase() : '';
  if (!isAlphabetString(p, PAIRING_PASSWORD_LENGTH)) {
    throw new JpakeError('invalid_message', 'the pairing password must be 8 code characters');
  }
  return p;
}

/** `cccc-pppp-pppp`, lower case, as the new device shows it. */
export function formatPairingCode(channel: string, password: string): string {
  const c = normalizeChannel(channel);
  const p = normalizePassword(password);
  return `${c}-${p.slice(0, 4)}-${p.slice(4)}`;
}

/**
 * Reads a code as the user typed it: case, spaces and dashes do not matter. Throws
 * JpakeError('invalid_message') with a message meant for the user when it cannot be a code.
 */
export function parsePairingCode(input: string): { channel: string; password: string } {
  const cleaned = (typeof input === 'string' ? input : '')
    .toLowerCase()
    .replace(/[\s\-\u2010-\u2015\u2212]+/g, '');
  const wrong = [...new Set([...cleaned].filter((ch) => !PAIRING_ALPHABET.includes(ch)))];
  if (wrong.length > 0) {
    const shown = wrong.map((ch) => `“${ch}”`).join(', ');
    throw new JpakeError(
      'invalid_message',
      `The code cannot contain ${shown}. Codes use only the letters a–z without l and o, and the digits 2–9.`,
    );
  }
  const count = [...cleaned].length;
  if (count !== CODE_LENGTH) {
    throw new JpakeError(
      'invalid_message',
      count < CODE_LENGTH
        ? `The code is too short: it has ${count} characters, it should have ${CODE_LENGTH} (like abcd-efgh-ijkm).`
        : `The code is too long: it has ${count} characters, it should have ${CODE_LENGTH} (like abcd-efgh-ijkm).`,
    );
  }
  return {
    channel: cleaned.slice(0, PAIRING_CHANNEL_LENGTH),
    password: cleaned.slice(PAIRING_CHANNEL_LENGTH),
  };
}
