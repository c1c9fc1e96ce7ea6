// The wire contract of docs/protocol.md as zod schemas, shared by the server (to validate what
// arrives), the add-on and the tests (to validate what comes back). Nothing here imports
// from server/ or extension/.
import { z } from 'zod';

// ---------------------------------------------------------------------------------------
// Errors (every error response)

export const ErrorBody = z.object({ error: z.string(), message: z.string() });
export type ErrorBody = z.infer<typeof ErrorBody>;

// ---------------------------------------------------------------------------------------
// §2 Client Agent API

export const USERNAME_PATTERN = /^[a-z0-9._-]{3,64}$/;
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;
export const MAX_META_LENGTH = 4096;
export const MAX_CLIENT_NAME_LENGTH = 100;

/** Usernames are case-insensitive: lower-case before validating or storing. */
export function normalizeUsername(username: string): string {
  return username.toLowerCase();
}

/** Password length counts Unicode characters (code points), not UTF-16 units or bytes. */
export function passwordLength(password: string): number {
  return [...password].length;
}

export const Username = z
  .string()
  .transform(normalizeUsername)
  .pipe(
    z
      .string()
      .regex(USERNAME_PATTERN, 'username must be 3–64 characters of a-z, 0-9, ".", "_", "-"'),
  );

export const Password = z
  .string()
  .refine((p) => passwordLength(p) >= MIN_PASSWORD_LENGTH, {
    message: `password must have at least ${MIN_PASSWORD_LENGTH} characters`,
  })
  .refine((p) => passwordLength(p) <= MAX_PASSWORD_LENGTH, {
    message: `password must have at most ${MAX_PASSWORD_LENGTH} characters`,
  });

export const CreateAccountRequest = z.object({ username: Username, password: Password });
export type CreateAccountRequest = z.infer<typeof CreateAccountRequest>;
export const CreateAccountResponse = z.object({ userId: z.string() });
export type CreateAccountResponse = z.infer<typeof CreateAccountResponse>;

export const CreateClientRequest = z.object({
  name: z.string().trim().min(1, 'name must not be empty').max(MAX_CLIENT_NAME_LENGTH),
});
export type CreateClientRequest = z.infer<typeof CreateClientRequest>;
export const CreateClientResponse = z.object({ clientId: z.string(), clientToken: z.string() });
export type CreateClientResponse = z.infer<typeof CreateClientResponse>;

export const ClientInfo = z.object({
  clientId: z.string(),
  name: z.string(),
  createdAt: z.string(),
  lastSeenAt: z.string().nullable(),
  connected: z.boolean(),
});
export type ClientInfo = z.infer<typeof ClientInfo>;
export const ClientList = z.array(ClientInfo);

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** base64url (no padding) of a 65-byte uncompressed P-256 point: 87 characters starting "B". */
export const ApplicationServerKey = z
  .string()
  .regex(BASE64URL, 'applicationServerKey must be base64url without padding')
  .length(87, 'applicationServerKey must encode a 65-byte uncompressed P-256 point');

export const CreateSubscriptionRequest = z.object({
  applicationServerKey: ApplicationServerKey.optional(),
  meta: z
    .string()
    // Characters as a person counts them (code points), like password length, not UTF-16 units.
    .refine((m) => [...m].length <= MAX_META_LENGTH, {
      message: `meta must be at most ${MAX_META_LENGTH} characters`,
    })
    .optional(),
});
export type CreateSubscriptionRequest = z.infer<typeof CreateSubscriptionRequest>;
export const CreateSubscriptionResponse = z.object({
  subscriptionId: z.string(),
  endpoint: z.string(),
});
export type CreateSubscriptionResponse = z.infer<typeof CreateSubscriptionResponse>;

export const SubscriptionInfo = z.object({
  subscriptionId: z.string(),
  endpoint: z.string(),
  meta: z.string().nullable(),
  createdAt: z.string(),
});
export type SubscriptionInfo = z.infer<typeof SubscriptionInfo>;
export const SubscriptionList = z.array(SubscriptionInfo);

// ---------------------------------------------------------------------------------------
// §9 Sign-in with an OpenID Connect provider

/** What GET /v1/info tells about the server: the providers a user may sign in with. */
export const OidcProviderInfo = z.object({
  issuer: z.string(),
  clientId: z.string(),
  name: z.string(),
});
export type OidcProviderInfo = z.infer<typeof OidcProviderInfo>;
export const ServerInfo = z.object({ oidcProviders: z.array(OidcProviderInfo) });
export type ServerInfo = z.infer<typeof ServerInfo>;

export const OidcNonceResponse = z.object({
  nonce: z.string(),
  /** Seconds the nonce stays usable. */
  expiresIn: z.number().int().positive(),
});
export type OidcNonceResponse = z.infer<typeof OidcNonceResponse>;

/** An ID token is a few hundred bytes to a few kilobytes; anything far larger is not one. */
export const MAX_ID_TOKEN_LENGTH = 16_384;

export const OidcClientRequest = z.object({
  idToken: z.string().min(1, 'idToken must not be empty').max(MAX_ID_TOKEN_LENGTH),
  name: CreateClientRequest.shape.name,
});
export type OidcClientRequest = z.infer<typeof OidcClientRequest>;
/** POST /v1/clients' answer, and whether this sign-in made the account (its first device). */
export const OidcClientResponse = CreateClientResponse.extend({ accountCreated: z.boolean() });
export type OidcClientResponse = z.infer<typeof OidcClientResponse>;

// ---------------------------------------------------------------------------------------
// §3 Delivery over WebSocket

export const URGENCIES = ['very-low', 'low', 'normal', 'high'] as const;
export const Urgency = z.enum(URGENCIES);
export type Urgency = z.infer<typeof Urgency>;

/** Narrows a string from outside (a header, a broker message), case and spaces as sent. */
export function isUrgency(value: string): value is Urgency {
  return (URGENCIES as readonly string[]).includes(value);
}

export const HelloFrame = z.object({ type: z.literal('hello'), clientToken: z.string().min(1) });
export type HelloFrame = z.infer<typeof HelloFrame>;
export const HelloReply = z.object({ type: z.literal('hello'), clientId: z.string() });
export type HelloReply = z.infer<typeof HelloReply>;

/** The content codings a push body may use: RFC 8291, and the legacy draft-04 one. */
export const PUSH_ENCODINGS = ['aes128gcm', 'aesgcm'] as const;
export const PushEncoding = z.enum(PUSH_ENCODINGS);
export type PushEncoding = z.infer<typeof PushEncoding>;

export const NotificationFrame = z.object({
  type: z.literal('notification'),
  id: z.string(),
  subscriptionId: z.string(),
  data: z.string().optional(),
  encoding: PushEncoding.optional(),
  /** For aesgcm: the push's Encryption header as received (salt, rs). */
  encryption: z.string().optional(),
  /** For aesgcm: the push's Crypto-Key header as received (dh, the sender's key). */
  cryptoKey: z.string().optional(),
  ttl: z.number().int().nonnegative(),
  urgency: Urgency,
  topic: z.string().optional(),
  receivedAt: z.string(),
});
export type NotificationFrame = z.infer<typeof NotificationFrame>;

export const AckFrame = z.object({ type: z.literal('ack'), id: z.string().min(1) });
export type AckFrame = z.infer<typeof AckFrame>;
export const PingFrame = z.object({ type: z.literal('ping') });
export const PongFrame = z.object({ type: z.literal('pong') });

/** Frames a client sends after its hello. */
export const ClientFrame = z.discriminatedUnion('type', [
  HelloFrame,
  AckFrame,
  PingFrame,
  PongFrame,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/** Frames the server sends. */
export const ServerFrame = z.discriminatedUnion('type', [
  HelloReply,
  NotificationFrame,
  PingFrame,
  PongFrame,
]);
export type ServerFrame = z.infer<typeof ServerFrame>;

/** WebSocket close codes of §3, plus the client's own. */
export const CloseCode = {
  /** The client stopped on purpose; nothing went wrong, so nothing to reconnect to. */
  Normal: 1000,
  /** The server is shutting down; reconnect (to another node). */
  GoingAway: 1001,
  /** A frame larger than 16 KiB or not text: a client bug, which reconnecting will not fix. */
  MessageTooBig: 1009,
  /** Server or broker trouble that may pass: reconnect with backoff. */
  ServerError: 1011,
  /** The server is at its connection limit: come back later, with backoff. */
  TryAgainLater: 1013,
  /**
   * The client's own code for a socket that stopped answering pings: RFC 6455 leaves
   * 4000–4999 to applications, and the server never sends it, so it cannot be misread.
   */
  DeadSocket: 4000,
  /** Bad or missing hello, unknown or revoked client token, or the client was deleted. */
  Unauthorized: 4401,
  /** No traffic (not even a pong) within the idle timeout. */
  IdleTimeout: 4408,
  /** The same client connected again; the older socket gives way. */
  Replaced: 4409,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

// ---------------------------------------------------------------------------------------
// §4 POST Office

export const MAX_TTL_SECONDS = 2_592_000;
export const MAX_PUSH_BODY_BYTES = 4096;
export const TOPIC_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

// ---------------------------------------------------------------------------------------
// §5 The subscription handed to web apps (W3C PushSubscription.toJSON())

export const PushSubscriptionJSON = z.object({
  endpoint: z.string(),
  expirationTime: z.null(),
  keys: z.object({ p256dh: z.string(), auth: z.string() }),
});
export type PushSubscriptionJSON = z.infer<typeof PushSubscriptionJSON>;

/** What the add-on encrypts into a subscription's `meta`. */
export const SubscriptionMeta = z.object({
  origin: z.string(),
  createdAt: z.string(),
});
export type SubscriptionMeta = z.infer<typeof SubscriptionMeta>;

// ---------------------------------------------------------------------------------------
// §6 Pairing relay

/** 32 symbols without look-alikes (no 0/o, 1/l): 5 bits each, so 4 channel + 8 password characters. */
export const PAIRING_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
export const PAIRING_CHANNEL_LENGTH = 4;
export const PAIRING_PASSWORD_LENGTH = 8;
export const PAIRING_CHANNEL_PATTERN = /^[a-km-np-z2-9]{4}$/;
export const PAIRING_STEP_PATTERN = /^[a-z0-9-]{1,16}$/;
export const MAX_PAIRING_MESSAGE_BYTES = 8192;
export const PAIRING_TTL_SECONDS = 300;

export const CreatePairingResponse = z.object({ channel: z.string(), expiresAt: z.string() });
export type CreatePairingResponse = z.infer<typeof CreatePairingResponse>;

/** What the signed-in device sends, encrypted under the J-PAKE key, to the new device. */
export const PairingPayload = z.object({
  serverUrl: z.string(),
  username: z.string(),
  clientId: z.string(),
  clientToken: z.string(),
  secretKey: z.string(),
});
export type PairingPayload = z.infer<typeof PairingPayload>;

// ---------------------------------------------------------------------------------------
// §8 Operations

export const ServiceHealth = z.enum(['ok', 'down']);
export const Heartbeat = z.object({
  status: z.enum(['ok', 'degraded']),
  rabbitmq: ServiceHealth,
  memcached: ServiceHealth,
  database: ServiceHealth,
});
export type Heartbeat = z.infer<typeof Heartbeat>;
