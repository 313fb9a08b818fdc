import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../db/db';
import { loadMigrations, migrate } from '../db/migrate';
import { PgliteDb } from '../db/pglite-db';
import { PostgresDb } from '../db/postgres-db';

/** The PostgreSQL the test suite uses (CI's machine starts one on 127.0.0.1:5432 with trust auth). */
export const TEST_DATABASE_URL =
  process.env.DEPLOYBOT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A fresh, migrated in-memory PGlite. A new PGlite runs initdb (~2.5 s, ~0.7 GB); loading a dump of an
 * already migrated one takes ~0.4 s, so the first call per migration set writes that dump to the temp dir.
 */
export async function createPgliteTestDb(): Promise<PgliteDb> {
  const migrations = await loadMigrations();
  const hash = createHash('sha256')
    .update(migrations.map((m) => m.sql).join('\n'))
    .digest('hex')
    .slice(0, 16);
  const template = join(tmpdir(), `deploybot-pglite-template-${hash}.tgz`);
  if (existsSync(template)) {
    const db = await PgliteDb.open('memory://', { loadDataDir: new Blob([await readFile(template)]) });
    await migrate(db, migrations); // a no-op unless the template is stale
    return db;
  }
  const db = await PgliteDb.open('memory://');
  await migrate(db, migrations);
  const dump = await db.dump();
  // Write then rename: parallel test workers must never read a half-written template.
  const partial = `${template}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
  await rename(partial, template);
  return db;
}

/**
 * A migrated PostgreSQL database in a schema of its own, dropped again by `close()`. `below`: only the migrations
 * numbered below it, for a test of the next ones on data in the layout before them.
 */
export async function createPostgresTestDb(opts: { below?: number } = {}): Promise<Db> {
  const schema = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  let db: PostgresDb;
  try {
    db = await PostgresDb.open(TEST_DATABASE_URL, { schema, max: 4 });
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${TEST_DATABASE_URL} (set DEPLOYBOT_TEST_DATABASE_URL): ${(err as Error).message}`,
    );
  }
  const below = opts.below;
  await migrate(
    db,
    below === undefined ? undefined : (await loadMigrations()).filter((m) => m.version < below),
  );
  const close = db.close.bind(db);
  return Object.assign(db, {
    close: async () => {
      await db.exec(`DROP SCHEMA ${schema} CASCADE`);
      await close();
    },
  });
}

export const TEST_DATABASES = [
  { name: 'pglite', create: createPgliteTestDb },
  { name: 'postgres', create: createPostgresTestDb },
] as const;
