// Passwords are kept only as salted scrypt hashes, in a self-describing format
// (`scrypt$N$r$p$salt$key`) so the cost can be raised without invalidating stored hashes: a
// hash made at a lower cost still verifies, and is made again at the current cost on the
// next successful sign-in (PasswordHasher).
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/** OWASP's scrypt minimum today: N = 2^17, r = 8, p = 1 (128 MiB and ~0.5 s per hash). */
export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 2 ** 17, r: 8, p: 1 };
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, { N, r, p }: ScryptCost): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFC'),
      salt,
      KEY_LENGTH,
      // scrypt needs 128·N·r bytes; Node refuses anything over 32 MiB unless told.
      { N, r, p, maxmem: 256 * N * r },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

export async function hashPassword(
  password: string,
  cost: ScryptCost = DEFAULT_SCRYPT_COST,
): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** The cost a stored hash was made with; null when it is not one of ours. */
export function costOf(stored: string): ScryptCost | null {
  const [scheme, n, r, p] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p) return null;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  return Object.values(cost).every((v) => Number.isSafeInteger(v) && v > 0) ? cost : null;
}

/** True when `stored` was made at another cost than `cost`: it is made again on sign-in. */
export function needsRehash(stored: string, cost: ScryptCost): boolean {
  const made = costOf(stored);
  return made === null || made.N !== cost.N || made.r !== cost.r || made.p !== cost.p;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const cost = costOf(stored);
  const [, , , , salt, key] = stored.split('$');
  if (!cost || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), cost);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
