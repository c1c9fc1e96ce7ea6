// Endpoint tokens — the secret in `PUBLIC_URL/push/{token}` that lets a sender push to a
// subscription — are never stored: not in the database, not as RabbitMQ binding keys, not in
// logs. A copy of the database or of the broker's definitions then hands out no way to push.
//
//   - The database and the broker know a token only by its SHA-256 (hashToken): the POST
//     Office hashes the token it is sent (once per token: endpoint-cache.ts) to look the
//     subscription up and to route the push.
//   - The token itself is derived when it must be shown again (creating a subscription,
//     GET /v1/subscriptions): HMAC-SHA256 under the server's endpoint key of the subscription
//     id, 256 bits. Only the key — kept outside the database (endpoint-key.ts) — and the id
//     together give it back.
//   - Subscriptions made before tokens were derived have random tokens that cannot be derived;
//     theirs is kept sealed (AES-256-GCM under a key derived from the endpoint key) so that
//     GET /v1/subscriptions can still show it, and their endpoints keep working.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { Subscription } from '../store/store.js';

export const ENDPOINT_KEY_BYTES = 32;
const TOKEN_LABEL = 'push endpoint token v1\0';
const SEAL_LABEL = 'push legacy endpoint token seal v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class EndpointTokens {
  private readonly sealKey: Buffer;

  constructor(private readonly key: Buffer) {
    if (key.length !== ENDPOINT_KEY_BYTES) {
      throw new Error(`the endpoint key must be ${ENDPOINT_KEY_BYTES} bytes`);
    }
    // A key of its own for sealing, so the two uses of the endpoint key never meet.
    this.sealKey = createHmac('sha256', key).update(SEAL_LABEL).digest();
  }

  /** The token of a subscription made with derived tokens. */
  derive(subscriptionId: string): string {
    return createHmac('sha256', this.key)
      .update(TOKEN_LABEL + subscriptionId)
      .digest('base64url');
  }

  /** The endpoint token of any subscription: derived, or unsealed for one made before. */
  tokenOf(subscription: Pick<Subscription, 'subscriptionId' | 'legacyTokenSealed'>): string {
    return subscription.legacyTokenSealed === null
      ? this.derive(subscription.subscriptionId)
      : this.unseal(subscription.legacyTokenSealed);
  }

  /** base64url(nonce ‖ AES-256-GCM(token) ‖ tag). */
  seal(token: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, nonce);
    const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return Buffer.concat([nonce, sealed, cipher.getAuthTag()]).toString('base64url');
  }

  /** Throws when `sealed` was not sealed under this key (a wrong ENDPOINT_KEY). */
  unseal(sealed: string): string {
    const bytes = Buffer.from(sealed, 'base64url');
    const nonce = bytes.subarray(0, NONCE_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.sealKey, nonce);
    decipher.setAuthTag(tag);
    return Buffer.concat([
      decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  }
}
