// Throwaway PostgreSQL databases for tests. PostgreSQL must be reachable: a test that needs
// it fails when it is not (it never skips), so a machine without it cannot pass for one
// that tested it. scripts/services.sh --browsers (what `npm test` runs) starts it and
// creates the `push` role used first below.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Roles that may CREATE DATABASE: `push:push` is what scripts/services.sh creates (a fresh
 * Debian cluster asks TCP clients for a password); the bare `postgres` superuser works where
 * loopback is trusted (CI images, docker).
 */
const ADMIN_URLS = [
  'postgres://push:push@127.0.0.1:5432/postgres',
  'postgres://postgres@127.0.0.1:5432/postgres',
];

async function connectAdmin(): Promise<{ client: pg.Client; url: string }> {
  const failures: string[] = [];
  for (const url of ADMIN_URLS) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      return { client, url };
    } catch (err) {
      // The connect error is the one reported below.
      await client.end().catch(() => {});
      failures.push(`${url.replace(/\/\/[^/]*@/, '//***@')}: ${String(err)}`);
    }
  }
  throw new Error(
    `PostgreSQL is needed for this test and none of these worked (run scripts/services.sh --browsers): ${failures.join('; ')}`,
  );
}

export interface TestDatabase {
  /** postgres://… of the new database, usable as DATABASE_URL. */
  url: string;
  drop(): Promise<void>;
}

/** A database of this test file's own; the random name keeps parallel files apart. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const { client, url } = await connectAdmin();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const target = new URL(url);
  target.pathname = `/${name}`;
  return {
    url: target.toString(),
    async drop() {
      const admin = await connectAdmin();
      try {
        await admin.client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.client.end();
      }
    },
  };
}
