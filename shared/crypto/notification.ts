// The `data` of a notification frame (docs/protocol.md §3) read with a subscription's keys,
// whichever encoding the sender chose: aes128gcm carries everything in the body, aesgcm needs
// the Encryption and Crypto-Key headers the server passed along beside it.
import type { NotificationFrame } from '../protocol.js';
import { decryptPushPayload, PushDecryptError } from './aes128gcm.js';
import { decryptAesgcm } from './aesgcm.js';
import { decodeBase64Url } from './base64url.js';
import type { SubscriptionKeys } from './subscription-keys.js';

export type EncryptedNotification = Pick<
  NotificationFrame,
  'data' | 'encoding' | 'encryption' | 'cryptoKey'
>;

/** The plaintext; null for an empty push. Throws PushDecryptError when it cannot be read. */
export function decryptNotification(
  frame: EncryptedNotification,
  keys: SubscriptionKeys,
): Uint8Array | null {
  if (frame.data === undefined || frame.data === '') return null;
  let body: Uint8Array;
  try {
    body = decodeBase64Url(frame.data);
  } catch {
    throw new PushDecryptError('data is not base64url');
  }
  const receiver = {
    uaPrivateKey: keys.privateKey,
    uaPublicKey: keys.publicKey,
    authSecret: keys.auth,
  };
  if (frame.encoding === 'aesgcm') {
    if (frame.encryption === undefined || frame.cryptoKey === undefined) {
      throw new PushDecryptError('an aesgcm message needs its Encryption and Crypto-Key');
    }
    return decryptAesgcm({
      body,
      encryption: frame.encryption,
      cryptoKey: frame.cryptoKey,
      ...receiver,
    });
  }
  // A body without an encoding can only be aes128gcm: the server refuses anything else.
  return decryptPushPayload({ body, ...receiver });
}
