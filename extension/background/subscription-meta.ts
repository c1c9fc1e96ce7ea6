// What the add-on seals into a subscription's `meta` (docs/protocol.md §2, §5), and the binding
// record that ties it to its subscription. The shared SubscriptionMeta is the common floor
// ({origin, createdAt}); the add-on adds the applicationServerKey the site gave, because
// GET /v1/subscriptions does not return it and every device of the user must be able to refuse a
// subscribe with another key (W3C Push API), and `bound`.
//
// Why a binding record: the meta is sealed before the server assigns the subscriptionId, so on
// its own it could be copied onto another subscription (by a malicious server, or with a stolen
// client token) and that subscription would be taken for the site. Once the id is known the
// add-on writes a second, never-pushed-to subscription whose meta is a binding record naming
// that id, sealed with its own associated data. The API has no call to rewrite a meta, so this
// is how the binding is stored; only holders of the secret key can write one.
import { z } from 'zod';
import {
  BINDING_ASSOCIATED_DATA,
  decryptMeta,
  encryptMeta,
  MetaDecryptError,
} from '../../shared/crypto/index.js';
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
  /**
   * A binding record names this subscription; without one the meta is not to be believed.
   * Absent in metas written before binding records (they are bound on first read).
   */
  bound: z.literal(true).optional(),
});
export type AddonSubscriptionMeta = z.infer<typeof AddonSubscriptionMeta>;

/** The binding record: which subscription the site's meta belongs to. */
export const SubscriptionBinding = z.object({
  subscriptionId: z.string().min(1).max(256),
  origin: z.string(),
  createdAt: z.string(),
  applicationServerKey: ApplicationServerKey.nullable().optional(),
});
export type SubscriptionBinding = z.infer<typeof SubscriptionBinding>;

/** The meta as opened: the origin and, when the meta recorded it, the key. */
export interface OpenedMeta {
  origin: string;
  createdAt: string;
  /** undefined: not recorded (an older meta); null: the site gave no key. */
  applicationServerKey: string | null | undefined;
  /** Written with a binding record (false for metas from before binding records). */
  bound: boolean;
}

/** Opens a site's sealed meta; null when it is not ours or not what the add-on writes. */
export function openMeta(metaKey: Uint8Array, sealed: string | null): OpenedMeta | null {
  if (sealed === null) return null;
  try {
    const parsed = AddonSubscriptionMeta.safeParse(decryptMeta(metaKey, sealed));
    if (!parsed.success || !isWebOrigin(parsed.data.origin)) return null;
    const { origin, createdAt, applicationServerKey, bound } = parsed.data;
    return { origin, createdAt, applicationServerKey, bound: bound === true };
  } catch {
    return null;
  }
}

export function sealBinding(metaKey: Uint8Array, binding: SubscriptionBinding): string {
  return encryptMeta(metaKey, binding, BINDING_ASSOCIATED_DATA);
}

/** Opens a binding record; null for anything else (a site's meta, another key, junk). */
export function openBinding(
  metaKey: Uint8Array,
  sealed: string | null,
): SubscriptionBinding | null {
  if (sealed === null) return null;
  try {
    const parsed = SubscriptionBinding.safeParse(
      decryptMeta(metaKey, sealed, BINDING_ASSOCIATED_DATA),
    );
    return parsed.success && isWebOrigin(parsed.data.origin) ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Whether `sealed` was sealed under this key, as a site's meta or as a binding record. */
export function opensWith(metaKey: Uint8Array, sealed: string): boolean {
  for (const associatedData of [undefined, BINDING_ASSOCIATED_DATA]) {
    try {
      decryptMeta(metaKey, sealed, associatedData);
      return true;
    } catch (err) {
      if (!(err instanceof MetaDecryptError)) throw err;
    }
  }
  return false;
}
