import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { lockDataDir } from './data-dir-lock';
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
    // One controller per data directory: a second is refused before it touches the database files.
    const release = await lockDataDir(config.dataDir);
    try {
      db = await PgliteDb.open(dir);
    } catch (err) {
      await release();
      throw err;
    }
    const close = db.close.bind(db);
    db.close = async () => {
      await close();
      await release();
    };
  }
  await migrate(db);
  return db;
}
