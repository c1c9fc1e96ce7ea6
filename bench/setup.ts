// Creates the benchmark's users through the server's own API (docs/protocol.md §2), before any
// timing starts: an account, its clients, one subscription, and a pool of aes128gcm bodies
// encrypted for that subscription's keys (§5), exactly as a real sender would hold them.
// Account creation and the first client's Basic auth each cost one scrypt (~0.1 s of CPU
// here), so users are made a few at a time; further clients use the first one's Bearer
// token, which needs no scrypt.
import { randomBytes } from 'node:crypto';
import { bearer, createClient, createSubscription, createUser } from '../server/testing/api.js';
import {
  deriveSubscriptionKeys,
  encryptPushPayload,
  generateSecretKey,
  type SubscriptionKeys,
} from '../shared/crypto/index.js';
import { CreateClientResponse } from '../shared/protocol.js';

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
  keys: SubscriptionKeys;
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

async function addClientByBearer(base: string, token: string, name: string): Promise<BenchClient> {
  const res = await fetch(`${base}/v1/clients`, {
    method: 'POST',
    headers: { authorization: bearer(token), 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 201) throw new Error(`client: ${res.status} ${await res.text()}`);
  return CreateClientResponse.parse(await res.json());
}

async function createBenchUser(
  base: string,
  index: number,
  clientsPerUser: number,
  bodiesPerUser: number,
): Promise<BenchUser> {
  const user = await createUser(base, `bench-${process.pid}-${index}-${Date.now().toString(36)}`);
  const first = await createClient(base, user, 'bench device 0');
  const clients: BenchClient[] = [first];
  for (let c = 1; c < clientsPerUser; c++) {
    clients.push(await addClientByBearer(base, first.clientToken, `bench device ${c}`));
  }
  const subscription = await createSubscription(base, first);
  const token = new URL(subscription.endpoint).pathname.split('/').pop() ?? '';
  const keys = deriveSubscriptionKeys(generateSecretKey(), subscription.subscriptionId);
  const bodies: Buffer[] = [];
  for (let b = 0; b < bodiesPerUser; b++) {
    const body = encryptPushPayload({
      plaintext: makePlaintext(),
      uaPublicKey: keys.publicKey,
      authSecret: keys.auth,
    });
    bodies.push(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  }
  return {
    userId: user.userId,
    clients,
    subscriptionId: subscription.subscriptionId,
    token,
    keys,
    bodies,
  };
}

export interface CreateUsersOptions {
  count: number;
  clientsPerUser: number;
  bodiesPerUser: number;
  /**
   * Users being created at once. 4 (the server's libuv threads, where scrypt runs) measured
   * best here; more only makes 32-MiB scrypts fight over the two cores and their caches.
   */
  parallel: number;
  progress(done: number): void;
}

export async function createBenchUsers(
  base: string,
  options: CreateUsersOptions,
): Promise<BenchUser[]> {
  const users: BenchUser[] = new Array(options.count);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= options.count) return;
      users[i] = await createBenchUser(base, i, options.clientsPerUser, options.bodiesPerUser);
      done += 1;
      if (done % 100 === 0 || done === options.count) options.progress(done);
    }
  };
  await Promise.all(Array.from({ length: options.parallel }, () => worker()));
  return users;
}
