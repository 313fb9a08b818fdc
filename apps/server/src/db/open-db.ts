import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from './db';
import { migrate } from './migrate';
import { PgliteDb } from './pglite-db';
import { PostgresDb } from './postgres-db';

export interface DbConfig {
  /** PostgreSQL connection string; when absent the embedded PGlite is used. */
  databaseUrl?: string;
  /** Where PGlite keeps its files (`<dataDir>/pgdata`), or `memory://`. */
  dataDir: string;
}

/** Opens the configured database and brings its schema up to date. */
export async function openDb(config: DbConfig): Promise<Db> {
  let db: Db;
  if (config.databaseUrl) {
    db = await PostgresDb.open(config.databaseUrl);
  } else if (config.dataDir === 'memory://') {
    db = await PgliteDb.open('memory://');
  } else {
    const dir = join(config.dataDir, 'pgdata');
    await mkdir(dir, { recursive: true });
    db = await PgliteDb.open(dir);
  }
  await migrate(db);
  return db;
}
