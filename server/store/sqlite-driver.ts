import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { type Row, type SqlDriver, type SqlValue, UniqueViolation } from './sql-driver.js';

function isUniqueViolation(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    'code' in err &&
    (err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
  );
}

export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;
  /** Preparing a statement costs more than running a simple one; the SQL set is small and fixed. */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    // WAL lets readers run beside the writer; NORMAL sync is durable across process
    // crashes, which is what an embedded single-node store needs.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async query<T extends Row = Row>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    return this.prepare(sql).all(...params) as T[];
  }

  async execute(sql: string, params: SqlValue[] = []): Promise<number> {
    try {
      return this.prepare(sql).run(...params).changes;
    } catch (err) {
      if (isUniqueViolation(err)) throw new UniqueViolation(err);
      throw err;
    }
  }

  async executeScript(sql: string): Promise<void> {
    this.db.transaction(() => this.db.exec(sql))();
  }

  withExclusiveLock<T>(_name: string, work: () => Promise<T>): Promise<T> {
    return work();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
