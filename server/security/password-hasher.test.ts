// The two hashing lanes: a flood of sign-ups waits in its own lane and cannot hold up a
// sign-in, and a full lane refuses at once instead of queueing without end. Ordering, not
// timing, so the test says the same on a busy machine.
import { describe, expect, it } from 'vitest';
import { HashingBusy, PasswordHasher } from './password-hasher.js';
import { hashPassword } from './passwords.js';

const CHEAP = { N: 2 ** 14, r: 8, p: 1 };

describe('PasswordHasher', () => {
  it('lets a sign-in through while sign-ups queue in their own lane', async () => {
    const hasher = new PasswordHasher({
      cost: CHEAP,
      signUpConcurrency: 1,
      signInConcurrency: 1,
      queueLimit: 10,
    });
    const stored = await hashPassword('sign-in password', CHEAP);
    const signUps = Array.from({ length: 6 }, (_, i) => hasher.hashForSignUp(`password ${i}`));
    const signIn = hasher.verify('sign-in password', stored);
    await Promise.resolve();
    // The sign-in is being hashed now, beside one sign-up; the other five wait their turn.
    expect(hasher.lanes).toEqual({
      signUp: { running: 1, waiting: 5 },
      signIn: { running: 1, waiting: 0 },
    });
    expect(await signIn).toEqual({ ok: true, outdated: false });
    await Promise.all(signUps);
    expect(hasher.lanes.signUp).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses at once when a lane’s line is full', async () => {
    const hasher = new PasswordHasher({
      cost: CHEAP,
      signUpConcurrency: 1,
      signInConcurrency: 1,
      queueLimit: 2,
    });
    const accepted = [0, 1, 2].map((i) => hasher.hashForSignUp(`p${i}`));
    await expect(hasher.hashForSignUp('one too many')).rejects.toBeInstanceOf(HashingBusy);
    // A re-hash is not worth a refusal: it is skipped, the next sign-in tries again.
    expect(await hasher.rehash('later')).toBeNull();
    await Promise.all(accepted);
  });

  it('says a hash made at another cost is outdated, and checks unknown names as long', async () => {
    const hasher = new PasswordHasher({
      cost: { N: 2 ** 15, r: 8, p: 1 },
      signUpConcurrency: 1,
      signInConcurrency: 1,
      queueLimit: 4,
    });
    const old = await hashPassword('pw', CHEAP);
    expect(await hasher.verify('pw', old)).toEqual({ ok: true, outdated: true });
    expect(await hasher.verifyUnknown('pw')).toBe(false);
    expect(await hasher.rehash('pw')).toMatch(/^scrypt\$32768\$8\$1\$/);
  });
});
