// Where the server spends its scrypt time, in two lanes so that one kind of request cannot
// starve the other. Each hash costs ~0.5 s of a core and 128 MiB; Node runs them on libuv's
// four threads, first come first served, so a flood of 24 sign-ups used to queue every
// sign-in behind it for seconds. Here:
//   - sign-ups (and re-hashing after a sign-in) take turns in their own lane, at most
//     `signUpConcurrency` at once, with at most `queueLimit` waiting;
//   - sign-ins (checking a password, or the dummy check for an unknown name) have a lane of
//     their own, `signInConcurrency` at once.
// Their sum stays below libuv's four threads, so a sign-in always finds a thread, and with
// one sign-up lane on a two-core machine it finds a core too. A full lane refuses at once
// (HashingBusy → 503 with Retry-After) rather than growing a queue without end.
import { Admission, type Release } from '../client-agent/admission.js';
import { hashPassword, needsRehash, type ScryptCost, verifyPassword } from './passwords.js';

export class HashingBusy extends Error {
  constructor(readonly lane: 'sign-up' | 'sign-in') {
    super(`too many ${lane}s are being checked right now`);
    this.name = 'HashingBusy';
  }
}

export interface PasswordHasherOptions {
  cost: ScryptCost;
  signUpConcurrency: number;
  signInConcurrency: number;
  /** Requests allowed to wait in each lane. */
  queueLimit: number;
}

export interface Verified {
  ok: boolean;
  /** The stored hash was made at another cost: hash the password again now that we have it. */
  outdated: boolean;
}

export class PasswordHasher {
  private readonly signUps: Admission;
  private readonly signIns: Admission;
  private dummy: Promise<string> | null = null;

  constructor(readonly options: PasswordHasherOptions) {
    this.signUps = new Admission(options.signUpConcurrency, options.queueLimit);
    this.signIns = new Admission(options.signInConcurrency, options.queueLimit);
  }

  /** Hashes being computed and waiting, per lane. */
  get lanes(): Record<'signUp' | 'signIn', { running: number; waiting: number }> {
    return {
      signUp: { running: this.signUps.inProgress, waiting: this.signUps.queued },
      signIn: { running: this.signIns.inProgress, waiting: this.signIns.queued },
    };
  }

  private async inLane<T>(lane: 'sign-up' | 'sign-in', work: () => Promise<T>): Promise<T> {
    const turn = (lane === 'sign-up' ? this.signUps : this.signIns).acquire();
    if (!turn) throw new HashingBusy(lane);
    const release: Release = await turn;
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** A new account's hash, at the current cost. */
  hashForSignUp(password: string): Promise<string> {
    return this.inLane('sign-up', () => hashPassword(password, this.options.cost));
  }

  /** Checks a sign-in. */
  verify(password: string, stored: string): Promise<Verified> {
    return this.inLane('sign-in', async () => ({
      ok: await verifyPassword(password, stored),
      outdated: needsRehash(stored, this.options.cost),
    }));
  }

  /**
   * Spends the time of a real check on a name that has no account, so the answer's timing
   * does not tell which names exist.
   */
  verifyUnknown(password: string): Promise<false> {
    this.dummy ??= hashPassword('dummy password for timing', this.options.cost);
    return this.inLane('sign-in', async () => {
      await verifyPassword(password, await this.dummy!);
      return false as const;
    });
  }

  /**
   * Hashes a password again at the current cost, in the sign-up lane (it is not what the
   * signing-in user waits for); null when that lane is full: the next sign-in tries again.
   */
  async rehash(password: string): Promise<string | null> {
    try {
      return await this.hashForSignUp(password);
    } catch (err) {
      if (err instanceof HashingBusy) return null;
      throw err;
    }
  }
}
