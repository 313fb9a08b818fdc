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
  /** `ours` by what each record wrote (a table or index of the schema, or the record's kind), most first. */
  byRelation: WalShare[] | null;
}

export interface WalShare {
  /** A relation of the schema, or a resource manager (`Transaction` = the commit records). */
  name: string;
  bytes: number;
  /** Of which full-page images (the first change of a page after a checkpoint). */
  fpiBytes: number;
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
      const byRelation = inspect ? await schemaWal(db, start, end) : null;
      return {
        total: row?.bytes ?? Number.NaN,
        ours: byRelation ? byRelation.reduce((sum, share) => sum + share.bytes, 0) : null,
        byRelation,
      };
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
 * The WAL records (full-page images included) of the transactions that wrote a block of a relation (table,
 * index, their TOAST table and its index) of this schema: their heap and index records and their commit record, by the relation of their
 * first block (or their resource manager when they have none).
 */
async function schemaWal(db: Db, start: string, end: string): Promise<WalShare[]> {
  return db.query<WalShare>(
    `WITH mine AS (SELECT c.oid, c.relname::text AS name, c.reltoastrelid FROM pg_class c
                   WHERE c.relnamespace = current_schema()::regnamespace),
     ours AS (
       SELECT pg_relation_filenode(oid)::text AS node, name FROM mine
       UNION ALL -- a document over ~2 KB is stored out of line, in the table's TOAST table (schema pg_toast)
       SELECT pg_relation_filenode(reltoastrelid)::text, name || ' TOAST' FROM mine WHERE reltoastrelid <> 0
       UNION ALL
       SELECT pg_relation_filenode(i.indexrelid)::text, m.name || ' TOAST index'
         FROM mine m JOIN pg_index i ON i.indrelid = m.reltoastrelid),
     recs AS (
       SELECT xid::text AS xid, record_length, fpi_length, resource_manager,
              (regexp_match(block_ref, 'rel \\d+/\\d+/(\\d+)'))[1] AS node, block_ref
         FROM pg_get_wal_records_info($1, $2)),
     xids AS (
       SELECT DISTINCT r.xid FROM recs r, regexp_matches(r.block_ref, 'rel \\d+/\\d+/(\\d+)', 'g') AS m
        WHERE r.xid <> '0' AND m[1] IN (SELECT node FROM ours))
     SELECT coalesce(o.name, r.resource_manager) AS name, sum(r.record_length)::float8 AS bytes,
            sum(r.fpi_length)::float8 AS "fpiBytes"
       FROM recs r LEFT JOIN ours o ON o.node = r.node
      WHERE r.xid IN (SELECT xid FROM xids)
      GROUP BY 1 ORDER BY 2 DESC`,
    [start, end],
  );
}
