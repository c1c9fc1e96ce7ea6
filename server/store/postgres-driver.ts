import pg from 'pg';
import { type Row, type SqlDriver, type SqlValue, UniqueViolation } from './sql-driver.js';

/** Turns `?` placeholders into PostgreSQL's `$1, $2, …`. Statements here never contain `?` literals. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

async function queryOn<T extends Row>(
  on: Queryable,
  sql: string,
  params: SqlValue[],
): Promise<T[]> {
  const result = await on.query(numberPlaceholders(sql), params);
  return result.rows as T[];
}

async function executeOn(on: Queryable, sql: string, params: SqlValue[]): Promise<number> {
  try {
    const result = await on.query(numberPlaceholders(sql), params);
    return result.rowCount ?? 0;
  } catch (err) {
    if (typeof err === 'object' && err !== null && 'code' in err && err.code === '23505') {
      throw new UniqueViolation(err);
    }
    throw err;
  }
}

export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  private readonly pool: pg.Pool;

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
    // An idle client's error (server restart) must not crash the process; the pool
    // replaces the client and the next query reports the problem.
    this.pool.on('error', () => {});
  }

  async query<T extends Row = Row>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    return queryOn(this.pool, sql, params);
  }

  async execute(sql: string, params: SqlValue[] = []): Promise<number> {
    return executeOn(this.pool, sql, params);
  }

  async transaction<T>(work: (tx: Pick<SqlDriver, 'query' | 'execute'>) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work({
        query: (sql, params = []) => queryOn(client, sql, params),
        execute: (sql, params = []) => executeOn(client, sql, params),
      });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // The work's error is the one to report; a connection too broken to roll back is
      // discarded by the pool.
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async executeScript(sql: string): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(sql);
      await client.query('COMMIT');
    } catch (err) {
      // The script's error is the one to report; a connection too broken to roll back is
      // discarded by the pool.
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async withExclusiveLock<T>(name: string, work: () => Promise<T>): Promise<T> {
    // A session-level advisory lock, held by one pooled connection while `work` runs on
    // others; PostgreSQL releases it by itself should this process die meanwhile.
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
      try {
        return await work();
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
      }
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
