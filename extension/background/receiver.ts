// One pushed message, from the frame PushClient hands over to what the user sees. PushClient
// acks only after this resolves; it throws only for trouble worth a redelivery (storage
// failing). A message that can never be read is dropped (and acked): retrying cannot help.
import {
  decodeBase64Url,
  decryptNotification,
  deriveSubscriptionKeys,
} from '../../shared/crypto/index.js';
import type { NotificationFrame } from '../../shared/protocol.js';
import type { Decision, NotificationView } from '../messaging/ui-api.js';
import type { SignedInAccount } from './account-store.js';
import { type DisplayNotification, notificationOf } from './payload.js';

export type Outcome =
  | 'duplicate'
  | 'not-signed-in'
  | 'unreadable'
  | 'blocked'
  | 'shown'
  | 'delivered';

export interface ReceiverDeps {
  account: () => Promise<SignedInAccount | null>;
  originOf: (account: SignedInAccount, subscriptionId: string) => Promise<string | null>;
  decision: (origin: string) => Promise<Decision | null>;
  seen: { has(id: string): Promise<boolean>; add(id: string): Promise<void> };
  /** Records the notification in the recent list. */
  record: (entry: NotificationView) => Promise<void>;
  /** The system notification and the badge; failures are the caller's to swallow. */
  show: (entry: NotificationView, display: DisplayNotification) => Promise<void>;
  /** `push` events for open pages of the origin. */
  deliverToPages: (origin: string, data: Uint8Array | null) => Promise<void>;
  warn: (event: string, details: Record<string, unknown>) => void;
}

export function createReceiver(deps: ReceiverDeps): (frame: NotificationFrame) => Promise<Outcome> {
  return async (frame) => {
    if (await deps.seen.has(frame.id)) return 'duplicate';
    const account = await deps.account();
    // Signed out while the message was on its way: nobody here may read it.
    if (!account) return 'not-signed-in';

    const plaintext = decrypt(account, frame);
    if (plaintext === 'unreadable') {
      deps.warn('push.unreadable', { id: frame.id, subscriptionId: frame.subscriptionId });
      await deps.seen.add(frame.id);
      return 'unreadable';
    }
    const origin = await deps.originOf(account, frame.subscriptionId);
    // Answers are per device: a site blocked here stays silent here, whoever subscribed it.
    if (origin && (await deps.decision(origin)) === 'block') {
      await deps.seen.add(frame.id);
      return 'blocked';
    }

    const display = notificationOf(plaintext, origin);
    if (display) {
      const entry: NotificationView = {
        id: frame.id,
        origin,
        title: display.title,
        body: display.body,
        url: display.url,
        receivedAt: frame.receivedAt,
        read: false,
      };
      await deps.record(entry);
      await deps.show(entry, display).catch((err: unknown) => {
        deps.warn('push.show_failed', { id: frame.id, err });
      });
    }
    if (origin) {
      await deps.deliverToPages(origin, plaintext).catch((err: unknown) => {
        deps.warn('push.deliver_failed', { id: frame.id, err });
      });
    }
    await deps.seen.add(frame.id);
    return display ? 'shown' : 'delivered';
  };
}

/** Either encoding (docs/protocol.md §3): aes128gcm, or aesgcm with the headers beside it. */
function decrypt(
  account: SignedInAccount,
  frame: NotificationFrame,
): Uint8Array | null | 'unreadable' {
  if (frame.data === undefined || frame.data === '') return null;
  try {
    const keys = deriveSubscriptionKeys(decodeBase64Url(account.secretKey), frame.subscriptionId);
    return decryptNotification(frame, keys);
  } catch {
    return 'unreadable';
  }
}
