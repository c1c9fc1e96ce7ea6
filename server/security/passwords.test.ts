import { describe, expect, it } from 'vitest';
import {
  costOf,
  DEFAULT_SCRYPT_COST,
  hashPassword,
  needsRehash,
  verifyPassword,
} from './passwords.js';

describe('password hashes', () => {
  it('are made at OWASP’s scrypt cost by default: N = 2^17, r = 8, p = 1', async () => {
    expect(DEFAULT_SCRYPT_COST).toEqual({ N: 131072, r: 8, p: 1 });
    const stored = await hashPassword('correct horse');
    expect(stored).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('wrong horse', stored)).toBe(false);
    expect(needsRehash(stored, DEFAULT_SCRYPT_COST)).toBe(false);
  });

  it('made at an older cost still verify, and say they need hashing again', async () => {
    const old = await hashPassword('correct horse', { N: 2 ** 14, r: 8, p: 1 });
    expect(costOf(old)).toEqual({ N: 16384, r: 8, p: 1 });
    expect(await verifyPassword('correct horse', old)).toBe(true);
    expect(needsRehash(old, DEFAULT_SCRYPT_COST)).toBe(true);
  });

  it('that are not ours never verify', async () => {
    for (const stored of ['', 'bcrypt$x', 'scrypt$abc$8$1$salt$key', 'scrypt$16384$8$1$$']) {
      expect(await verifyPassword('x', stored)).toBe(false);
      expect(needsRehash(stored, DEFAULT_SCRYPT_COST)).toBe(true);
    }
  });
});
