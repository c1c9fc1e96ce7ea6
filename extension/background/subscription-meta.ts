// What the add-on seals into a subscription's `meta` (docs/protocol.md §2, §5). The shared
// SubscriptionMeta is the common floor ({origin, createdAt}); the add-on adds the
// applicationServerKey the site gave, because GET /v1/subscriptions does not return it and
// every device of the user must be able to refuse a subscribe with another key (W3C Push API).
import { z } from 'zod';
import { decryptMeta } from '../../shared/crypto/index.js';
import { SubscriptionMeta } from '../../shared/protocol.js';
import { isWebOrigin } from '../messaging/origin.js';

/**
 * base64url, as the server accepted it (it checks the point). Lenient on purpose: a meta that
 * fails to parse loses its origin too, and the meta is authenticated under the user's own key.
 */
const ApplicationServerKey = z
  .string()
  .max(256)
  .regex(/^[A-Za-z0-9_-]+$/);

export const AddonSubscriptionMeta = SubscriptionMeta.extend({
  /**
   * The site's VAPID key, or null when it gave none. Absent in metas written before the add-on
   * recorded it: then the key is unknown, and no device can hold a subscribe against it.
   */
  applicationServerKey: ApplicationServerKey.nullable().optional(),
});
export type AddonSubscriptionMeta = z.infer<typeof AddonSubscriptionMeta>;

/** The meta as opened: the origin and, when the meta recorded it, the key. */
export interface OpenedMeta {
  origin: string;
  createdAt: string;
  /** undefined: not recorded (an older meta); null: the site gave no key. */
  applicationServerKey: string | null | undefined;
}

/** Opens a sealed meta; null when it is not ours or not what the add-on writes. */
export function openMeta(metaKey: Uint8Array, sealed: string | null): OpenedMeta | null {
  if (sealed === null) return null;
  try {
    const parsed = AddonSubscriptionMeta.safeParse(decryptMeta(metaKey, sealed));
    if (!parsed.success || !isWebOrigin(parsed.data.origin)) return null;
    const { origin, createdAt, applicationServerKey } = parsed.data;
    return { origin, createdAt, applicationServerKey };
  } catch {
    return null;
  }
}
