// Puts the benchmark's users straight into a fresh database and RabbitMQ, before the
// server starts: an account, its clients (each with a client token), one subscription, and
// for the users that will be sent to, aes128gcm bodies encrypted for that subscription's
// keys (docs/protocol.md §5). Through the API, each sign-up and each Basic-authenticated
// device costs a scrypt (~0.1 s of CPU here), which made setting up 2,000 devices take
// minutes and 100,000 impossible; here one password hash serves every account. The rows
// and the queues, exchanges and bindings are exactly what the API would have made
// (store/ and broker/topology.ts are the same code the server runs).
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { DROPPED_EXCHANGE, INCOMING_EXCHANGE } from '../server/broker/names.js';
import { DEFAULT_QUEUE_BOUNDS } from '../server/broker/queue-bounds.js';
import { declareClientQueue, declareSubscription } from '../server/broker/topology.js';
import { EndpointTokens } from '../server/security/endpoint-tokens.js';
import { hashPassword } from '../server/security/passwords.js';
import { hashToken, newId, newSecretToken } from '../server/security/tokens.js';
import { openStore } from '../server/store/open-store.js';
import {
  deriveSubscriptionKeys,
  encryptPushPayload,
  generateSecretKey,
  type SubscriptionKeys,
} from '../shared/crypto/index.js';
import { onChannels } from './rabbit-ceiling.js';

export interface BenchClient {
  clientId: string;
  clientToken: string;
}

export interface BenchUser {
  userId: string;
  clients: BenchClient[];
  subscriptionId: string;
  /** The token of the endpoint: the last path segment of `/push/{token}`. */
  token: string;
  /** Present when bodies were made for this user. */
  keys: SubscriptionKeys | null;
  bodies: Buffer[];
}

/**
 * Plaintext for ~200-byte bodies: RFC 8291 adds 86 bytes of header (salt, record size,
 * key id length, 65-byte sender key), 1 delimiter byte and a 16-byte tag.
 */
export const PLAINTEXT_BYTES = 97;

export function makePlaintext(): Uint8Array {
  // JSON like a real notification's, padded to the size; random so no two are alike.
  const filler = randomBytes(PLAINTEXT_BYTES).toString('base64url');
  const json = `{"title":"bench","body":"${filler}"}`;
  return new TextEncoder().encode(`${json.slice(0, PLAINTEXT_BYTES - 2)}"}`);
}

export interface SeedOptions {
  /** The SQLite file the server will then be started on. */
  databasePath: string;
  amqpUrl: string;
  users: number;
  clientsPerUser: number;
  /** Encrypted bodies per user; 0 for devices that are only connected, never sent to. */
  bodiesPerUser: number;
  /** Distinguishes the usernames of several groups seeded into one database. */
  group: string;
  /** The server's ENDPOINT_KEY (32 bytes): endpoint tokens are derived under it. */
  endpointKey: Buffer;
  progress?: (done: number) => void;
}

const TOPOLOGY_CHANNELS = 16;

export async function seedUsers(options: SeedOptions): Promise<BenchUser[]> {
  const { store } = await openStore({ kind: 'sqlite', path: options.databasePath });
  const passwordHash = await hashPassword(randomBytes(12).toString('base64url'));
  const endpointTokens = new EndpointTokens(options.endpointKey);
  const users: BenchUser[] = [];
  try {
    for (let i = 0; i < options.users; i++) {
      const account = await store.createAccount(`bench-${options.group}-${i}`, passwordHash);
      if (!account) throw new Error(`bench user ${i} of ${options.group} exists already`);
      const clients: BenchClient[] = [];
      for (let c = 0; c < options.clientsPerUser; c++) {
        const clientToken = newSecretToken();
        const client = await store.createClient(
          account.userId,
          `bench ${c}`,
          hashToken(clientToken),
        );
        clients.push({ clientId: client.clientId, clientToken });
      }
      // As the server makes them: the token derived from the id, only its hash stored.
      const subscriptionId = newId();
      const token = endpointTokens.derive(subscriptionId);
      const subscription = await store.createSubscription({
        subscriptionId,
        userId: account.userId,
        clientId: clients[0]!.clientId,
        tokenHash: hashToken(token),
        applicationServerKey: null,
        meta: null,
      });
      let keys: SubscriptionKeys | null = null;
      const bodies: Buffer[] = [];
      if (options.bodiesPerUser > 0) {
        keys = deriveSubscriptionKeys(generateSecretKey(), subscription.subscriptionId);
        for (let b = 0; b < options.bodiesPerUser; b++) {
          const body = encryptPushPayload({
            plaintext: makePlaintext(),
            uaPublicKey: keys.publicKey,
            authSecret: keys.auth,
          });
          bodies.push(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
        }
      }
      users.push({
        userId: account.userId,
        clients,
        subscriptionId: subscription.subscriptionId,
        token,
        keys,
        bodies,
      });
      if ((i + 1) % 10_000 === 0) options.progress?.(i + 1);
    }
  } finally {
    await store.close();
  }
  await declareTopology(options.amqpUrl, users);
  return users;
}

/** The server's topology for these users, declared over a few channels at once. */
async function declareTopology(amqpUrl: string, users: readonly BenchUser[]): Promise<void> {
  const model = await amqp.connect(amqpUrl);
  try {
    const channels = await Promise.all(
      Array.from({ length: TOPOLOGY_CHANNELS }, () => model.createChannel()),
    );
    // As the server declares it at start, which comes after this.
    await channels[0]!.assertExchange(INCOMING_EXCHANGE, 'direct', { durable: true });
    await channels[0]!.assertExchange(DROPPED_EXCHANGE, 'fanout', { durable: true });
    await onChannels(channels, users, async (ch, user) => {
      // The benchmark runs the server with the default QUEUE_TYPE.
      for (const client of user.clients) {
        await declareClientQueue(ch, user.userId, client.clientId, {
          type: 'classic',
          bounds: DEFAULT_QUEUE_BOUNDS,
        });
      }
      await declareSubscription(ch, user.userId, hashToken(user.token));
    });
    await Promise.all(channels.map((ch) => ch.close()));
  } finally {
    await model.close();
  }
}

/** Bodies of about the real size for devices whose messages are never decrypted. */
export function opaqueBodies(count: number): Buffer[] {
  return Array.from({ length: count }, () => randomBytes(200));
}
