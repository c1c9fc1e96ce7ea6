import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Random bytes are drawn from the CSPRNG in blocks: one call per id showed up in the POST
// Office's CPU profile (every push gets a message id).
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolOffset = 0;

function randomSlice(size: number): Buffer {
  if (poolOffset + size > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  const slice = pool.subarray(poolOffset, poolOffset + size);
  poolOffset += size;
  return slice;
}

/** 128 random bits as base64url: ids that must not be guessable (users, clients, subscriptions, messages). */
export function newId(): string {
  return randomSlice(16).toString('base64url');
}

/** 256 random bits as base64url: bearer secrets (client tokens, endpoint tokens). */
export function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Client tokens are high-entropy, so a fast hash is enough to make a stolen database
 * useless for connecting, while still allowing lookup by hash.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** Constant-time string comparison for secrets of possibly different lengths. */
export function secretsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
