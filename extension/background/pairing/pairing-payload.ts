// The credentials the signed-in device sends to the new one (docs/protocol.md §6), as bytes for the
// J-PAKE payload cipher. The sealed payload authenticates who sent it, not that it is usable, so
// the new device checks every field before it stores anything.
import { z } from 'zod';
import { decodeBase64Url, utf8Decode, utf8Encode } from '../../../shared/crypto/index.js';
import { PairingPayload, USERNAME_PATTERN } from '../../../shared/protocol.js';
import { normalizeServerUrl } from '../../messaging/server-url.js';
import { UserError } from '../errors.js';

const OIDC_LABEL = /^[^\p{Cc}]{1,200} \([^\p{Cc}]{1,64}\)$/u;

/** The shared shape, narrowed to what this add-on can sign in with. */
const UsablePairingPayload = PairingPayload.extend({
  serverUrl: z.string().refine((url) => {
    const normalized = normalizeServerUrl(url);
    return normalized.ok && normalized.url === url;
  }, 'not a push server address in normal form'),
  // A password account's name, or the label of one made with a provider: "who (provider)"
  // (account.ts oidcAccountLabel, docs/protocol.md §9), shown only.
  username: z.union([z.string().regex(USERNAME_PATTERN), z.string().regex(OIDC_LABEL)]),
  clientId: z.string().min(1).max(256),
  clientToken: z.string().min(1).max(1024),
  // 32 bytes in base64url without padding; decoded below to be sure.
  secretKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});

export function encodePairingPayload(payload: PairingPayload): Uint8Array {
  return utf8Encode(JSON.stringify(PairingPayload.parse(payload)));
}

export function decodePairingPayload(bytes: Uint8Array): PairingPayload {
  const unusable = () =>
    new UserError(
      'invalid_payload',
      'The other device sent sign-in details this add-on cannot use. Update the add-on on both devices, or sign in by hand with your username, password and recovery key.',
    );
  let json: unknown;
  try {
    json = JSON.parse(utf8Decode(bytes));
  } catch {
    throw unusable();
  }
  const parsed = UsablePairingPayload.safeParse(json);
  if (!parsed.success) throw unusable();
  try {
    if (decodeBase64Url(parsed.data.secretKey).length !== 32) throw unusable();
  } catch {
    throw unusable();
  }
  const { serverUrl, username, clientId, clientToken, secretKey } = parsed.data;
  return { serverUrl, username, clientId, clientToken, secretKey };
}
