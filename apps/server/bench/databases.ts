import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../src/db/db';
import { migrate } from '../src/db/migrate';
import { PgliteDb } from '../src/db/pglite-db';
import { PostgresDb } from '../src/db/postgres-db';
import type { DbKind } from './config';

export interface BenchDb {
  db: Db;
  /** Closes the database and removes everything the benchmark created in it. */
  dispose(): Promise<void>;
}

/** Where the parent process leaves a migrated PGlite data directory for the scenario processes to copy. */
export const PGLITE_TEMPLATE_ENV = 'BENCH_PGLITE_TEMPLATE';

export function openBenchDb(kind: DbKind, databaseUrl: string): Promise<BenchDb> {
  return kind === 'pglite'
    ? openPgliteOnDisk(process.env[PGLITE_TEMPLATE_ENV])
    : openPostgresSchema(databaseUrl);
}

/**
 * An initialised, migrated PGlite data directory, made once per benchmark. Creating a cluster (initdb) leaves
 * 40-240 MB of start-up garbage that the process hands back at unpredictable moments; a scenario process that
 * opens a copy instead starts the way a restarted controller does, and its memory deltas mean something.
 */
export async function createPgliteTemplate(): Promise<{ dir: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'deploybot-bench-template-'));
  const db = await PgliteDb.open(dir);
  await migrate(db);
  await db.close();
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * PGlite as the controller runs it by default: files in a fresh data directory, not memory://. A copy of
 * `template` when there is one; otherwise (a scenario run by hand) a new cluster.
 */
async function openPgliteOnDisk(template: string | undefined): Promise<BenchDb> {
  const dir = await mkdtemp(join(tmpdir(), 'deploybot-bench-'));
  if (template) await cp(template, dir, { recursive: true });
  const db = await PgliteDb.open(dir);
  await migrate(db);
  return {
    db,
    dispose: async () => {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh schema, so the benchmark starts on empty tables and never touches other data; dropped afterwards.
 * The pool keeps the controller's default size (not the test helper's 4) so the figures match production.
 */
async function openPostgresSchema(databaseUrl: string): Promise<BenchDb> {
  const schema = `bench_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  let db: PostgresDb;
  try {
    db = await PostgresDb.open(databaseUrl, { schema });
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${databaseUrl} (set BENCH_DATABASE_URL): ${(err as Error).message}`,
    );
  }
  try {
    await migrate(db);
  } catch (err) {
    await dropAndClose(db, schema);
    throw err;
  }
  return { db, dispose: () => dropAndClose(db, schema) };
}

async function dropAndClose(db: PostgresDb, schema: string): Promise<void> {
  try {
    await db.exec(`DROP SCHEMA ${schema} CASCADE`);
  } finally {
    await db.close();
  }
}
