/**
 * WAL written over a pass: what a transition costs the database in durable bytes, on the same scale for the
 * engine and for the hand-written floor.
 *
 * `total` is `pg_wal_lsn_diff` between two `pg_current_wal_lsn()`: the whole cluster's WAL. On PGlite the cluster
 * is this process's alone. On a shared PostgreSQL it also counts everybody else's writes (other tests, autovacuum),
 * so where the server has pg_walinspect (contrib, PostgreSQL ≥ 15) `ours` reads the records back and keeps those
 * of transactions that touched a relation of this scenario's schema: the same figure without the neighbours.
 */
import type { Db } from '../src/db/db';

export interface WalBytes {
  /** Every byte of WAL the cluster wrote over the pass. */
  total: number;
  /** Only the records of this schema's transactions; null where pg_walinspect is not there (PGlite). */
  ours: number | null;
}

export interface WalMeter {
  /** WAL written since the meter was started. */
  stop(): Promise<WalBytes>;
}

/** Starts counting; call before the pass (its queries are not part of what is measured). */
export async function startWalMeter(db: Db): Promise<WalMeter> {
  const inspect = db.kind === 'postgres' && (await enableWalInspect(db));
  const start = await currentLsn(db);
  return {
    stop: async () => {
      const end = await currentLsn(db);
      const [row] = await db.query<{ bytes: number }>(`SELECT pg_wal_lsn_diff($1, $2)::float8 AS bytes`, [
        end,
        start,
      ]);
      return { total: row?.bytes ?? Number.NaN, ours: inspect ? await schemaWalBytes(db, start, end) : null };
    },
  };
}

async function currentLsn(db: Db): Promise<string> {
  const [row] = await db.query<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`);
  if (!row) throw new Error('pg_current_wal_lsn() returned nothing');
  return row.lsn;
}

/**
 * pg_walinspect in the scenario's own schema, so it goes when the schema is dropped. Needs a superuser (the
 * benchmark's default connection is one); without it the report shows only the cluster-wide figure.
 */
async function enableWalInspect(db: Db): Promise<boolean> {
  try {
    await db.exec(`CREATE EXTENSION IF NOT EXISTS pg_walinspect SCHEMA ${await currentSchema(db)}`);
    return true;
  } catch {
    return false;
  }
}

async function currentSchema(db: Db): Promise<string> {
  const [row] = await db.query<{ schema: string }>(`SELECT current_schema() AS schema`);
  if (!row) throw new Error('current_schema() returned nothing');
  return row.schema;
}

/**
 * The bytes of every WAL record (full-page images included) of the transactions that wrote a block of a
 * relation (table, index, TOAST) in this schema: their heap and index records and their commit record.
 */
async function schemaWalBytes(db: Db, start: string, end: string): Promise<number> {
  const [row] = await db.query<{ bytes: number | null }>(
    `WITH ours AS (
       SELECT pg_relation_filenode(c.oid)::text AS node FROM pg_class c
        WHERE c.relnamespace = current_schema()::regnamespace AND pg_relation_filenode(c.oid) IS NOT NULL),
     recs AS (SELECT xid::text AS xid, record_length, block_ref FROM pg_get_wal_records_info($1, $2)),
     xids AS (
       SELECT DISTINCT r.xid FROM recs r, regexp_matches(r.block_ref, 'rel \\d+/\\d+/(\\d+)', 'g') AS m
        WHERE r.xid <> '0' AND m[1] IN (SELECT node FROM ours))
     SELECT sum(record_length)::float8 AS bytes FROM recs WHERE xid IN (SELECT xid FROM xids)`,
    [start, end],
  );
  return row?.bytes ?? 0;
}
