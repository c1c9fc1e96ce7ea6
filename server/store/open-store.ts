import type { Config } from '../config.js';
import { migrate } from './migrations.js';
import { PostgresDriver } from './postgres-driver.js';
import type { SqlDriver } from './sql-driver.js';
import { SqlStore } from './sql-store.js';
import { SqliteDriver } from './sqlite-driver.js';

export function openDriver(database: Config['database']): SqlDriver {
  return database.kind === 'sqlite'
    ? new SqliteDriver(database.path)
    : new PostgresDriver(database.url);
}

/** Opens the configured database and brings its schema up to date. */
export async function openStore(
  database: Config['database'],
): Promise<{ store: SqlStore; driver: SqlDriver }> {
  const driver = openDriver(database);
  try {
    await migrate(driver);
  } catch (err) {
    // The migration's error is the one to report.
    await driver.close().catch(() => {});
    throw err;
  }
  return { store: new SqlStore(driver), driver };
}
