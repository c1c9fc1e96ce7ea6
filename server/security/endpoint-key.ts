// The server's endpoint key (endpoint-tokens.ts): what turns a subscription id into its
// endpoint token. It must stay the same for the life of the deployment — with another key,
// GET /v1/subscriptions would show endpoints that do not work — and the same on every node,
// and it must not sit in the database, or a copy of the database would give the tokens back.
//
// Where it comes from, first match:
//   1. ENDPOINT_KEY (base64url of 32 bytes): the way for several nodes, and for secrets kept
//      by the operator's tooling.
//   2. SQLite: a file beside the database file, `<database>.endpoint-key`, made on the first
//      start (readable by the server's user only). Back it up with the database, apart.
//   3. PostgreSQL without ENDPOINT_KEY: a row of the database's settings table, made by the
//      first node that starts, so all nodes agree. This keeps old deployments starting, but a
//      database copy then holds the key: the start logs a warning until ENDPOINT_KEY is set.
//   4. An in-memory SQLite database: a random key, which dies with the data.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Config } from '../config.js';
import type { Store } from '../store/store.js';
import { ENDPOINT_KEY_BYTES } from './endpoint-tokens.js';

export type EndpointKeySource = 'environment' | 'file' | 'database' | 'memory';

/** The settings-table row of case 3. */
export const ENDPOINT_KEY_SETTING = 'endpoint.key';

function decode(text: string, where: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64url');
  if (key.length !== ENDPOINT_KEY_BYTES) {
    throw new Error(`${where} does not hold a ${ENDPOINT_KEY_BYTES}-byte base64url key`);
  }
  return key;
}

function fromFile(path: string): Buffer {
  try {
    writeFileSync(path, `${randomBytes(ENDPOINT_KEY_BYTES).toString('base64url')}\n`, {
      flag: 'wx', // never over a key that exists: another process may have just made it
      mode: 0o600,
    });
  } catch (err) {
    if (!(err instanceof Error && 'code' in err && err.code === 'EEXIST')) throw err;
  }
  return decode(readFileSync(path, 'utf8'), path);
}

async function fromDatabase(
  store: Pick<Store, 'listSettings' | 'addSettingIfAbsent'>,
): Promise<Buffer> {
  await store.addSettingIfAbsent(
    ENDPOINT_KEY_SETTING,
    JSON.stringify(randomBytes(ENDPOINT_KEY_BYTES).toString('base64url')),
  );
  const row = (await store.listSettings()).find((r) => r.key === ENDPOINT_KEY_SETTING);
  if (!row) throw new Error('the endpoint key row vanished from the settings table');
  return decode(JSON.parse(row.value) as string, `the settings row ${ENDPOINT_KEY_SETTING}`);
}

export async function loadEndpointKey(
  config: Pick<Config, 'endpointKey' | 'database'>,
  store: Pick<Store, 'listSettings' | 'addSettingIfAbsent'>,
): Promise<{ key: Buffer; source: EndpointKeySource }> {
  if (config.endpointKey)
    return { key: decode(config.endpointKey, 'ENDPOINT_KEY'), source: 'environment' };
  const { database } = config;
  if (database.kind === 'postgres') return { key: await fromDatabase(store), source: 'database' };
  if (database.path === ':memory:') {
    return { key: randomBytes(ENDPOINT_KEY_BYTES), source: 'memory' };
  }
  return { key: fromFile(endpointKeyFile(database.path)), source: 'file' };
}

/** Where a SQLite deployment keeps its key. */
export function endpointKeyFile(databasePath: string): string {
  return `${databasePath}.endpoint-key`;
}
