// Nonces for OpenID Connect sign-ins (docs/protocol.md §9): issued by the server, kept in
// memcached (shared by every node) for a few minutes, and consumed by the one sign-in whose
// ID token carries it. A token caught on its way (or used twice) is refused the second time.
import { randomBytes } from 'node:crypto';
import type { SharedState } from '../../shared-state/memcached.js';

/** Long enough to sign in at the provider (a password, a second factor), short enough to forget. */
export const NONCE_TTL_SECONDS = 600;

/** 32 random bytes in base64url: what `issue` makes, and all that `consume` will look up. */
const NONCE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const key = (nonce: string) => `push:oidc-nonce:${nonce}`;

export class Nonces {
  constructor(private readonly cache: Pick<SharedState, 'set' | 'take'>) {}

  /** A fresh nonce; throws SharedStateUnavailable when memcached cannot keep it. */
  async issue(): Promise<{ nonce: string; expiresIn: number }> {
    const nonce = randomBytes(32).toString('base64url');
    await this.cache.set(key(nonce), '1', NONCE_TTL_SECONDS);
    return { nonce, expiresIn: NONCE_TTL_SECONDS };
  }

  /**
   * True once for a nonce issued here and not expired: memcached's delete answers "deleted"
   * to one caller only, however many nodes try at once.
   */
  async consume(nonce: string): Promise<boolean> {
    if (!NONCE_PATTERN.test(nonce)) return false;
    return this.cache.take(key(nonce));
  }
}
