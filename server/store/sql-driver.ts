// The little SQL surface the store needs, so one store implementation serves SQLite
// (default, embedded) and PostgreSQL (several server nodes). Statements use `?`
// placeholders; the PostgreSQL driver numbers them.

export type SqlValue = string | number | null;
export type Row = Record<string, unknown>;

export interface SqlDriver {
  readonly dialect: 'sqlite' | 'postgres';
  query<T extends Row = Row>(sql: string, params?: SqlValue[]): Promise<T[]>;
  /** Runs a statement and returns how many rows it changed. */
  execute(sql: string, params?: SqlValue[]): Promise<number>;
  /** Runs several statements (a migration) at once, in a transaction. */
  executeScript(sql: string): Promise<void>;
  /**
   * Runs `work` while holding a lock shared by every process using this database, so that
   * server nodes starting together migrate one after the other (PostgreSQL: an advisory
   * lock). SQLite serves one node, whose primary migrates alone: it just runs `work`.
   */
  withExclusiveLock<T>(name: string, work: () => Promise<T>): Promise<T>;
  /**
   * PostgreSQL only: runs `work` in a transaction on one connection of the pool (committed
   * when it resolves, rolled back when it throws). SQLite has none: its one connection runs
   * each statement alone, and callers there rely on single statements instead.
   */
  transaction?<T>(work: (tx: Pick<SqlDriver, 'query' | 'execute'>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A UNIQUE constraint was violated (e.g. a username that is taken). */
export class UniqueViolation extends Error {
  constructor(cause: unknown) {
    super('unique constraint violated', { cause });
    this.name = 'UniqueViolation';
  }
}
