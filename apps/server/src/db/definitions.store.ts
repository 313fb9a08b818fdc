import type { WorkflowDocument } from '@deploybot/shared';
import type { Db } from './db';

/** One stored version of a workflow document. Versions are immutable; deleting a name stops new runs only. */
export interface StoredDefinition {
  name: string;
  version: number;
  hash: string;
  document: WorkflowDocument;
  builtIn: boolean;
  createdBy: string;
  createdAt: string;
  deletedAt: string | null;
}

interface Row {
  name: string;
  version: number;
  hash: string;
  document: WorkflowDocument;
  built_in: boolean;
  created_by: string;
  created_at: Date | string;
  deleted_at: Date | string | null;
}

const iso = (v: Date | string | null) => (v === null ? null : v instanceof Date ? v.toISOString() : v);
const fromRow = (r: Row): StoredDefinition => ({
  name: r.name,
  version: r.version,
  hash: r.hash,
  document: r.document,
  builtIn: r.built_in,
  createdBy: r.created_by,
  createdAt: iso(r.created_at)!,
  deletedAt: iso(r.deleted_at),
});

/** A name's latest stored version, as the library lists it. */
export interface LatestVersionRow {
  name: string;
  version: number;
  /** How many versions the name has. */
  versions: number;
  createdBy: string;
  createdAt: string;
}

const COLUMNS = 'name, version, hash, document, built_in, created_by, created_at, deleted_at';

/** Workflow documents by name and version, in the SQL both PGlite and PostgreSQL speak. */
export class DefinitionsStore {
  constructor(private readonly db: Db) {}

  async all(): Promise<StoredDefinition[]> {
    const rows = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM workflow_definitions ORDER BY name, version`,
    );
    return rows.map(fromRow);
  }

  async get(name: string, version?: number): Promise<StoredDefinition | null> {
    const rows =
      version === undefined
        ? await this.db.query<Row>(
            `SELECT ${COLUMNS} FROM workflow_definitions WHERE name = $1 ORDER BY version DESC LIMIT 1`,
            [name],
          )
        : await this.db.query<Row>(
            `SELECT ${COLUMNS} FROM workflow_definitions WHERE name = $1 AND version = $2`,
            [name, version],
          );
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async versions(name: string): Promise<StoredDefinition[]> {
    const rows = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM workflow_definitions WHERE name = $1 ORDER BY version`,
      [name],
    );
    return rows.map(fromRow);
  }

  /**
   * Stores the next version of `name` (one statement: the version is the stored maximum plus one, and the
   * primary key makes two writers at once fail rather than share a number). A name that was deleted comes back.
   */
  async append(
    def: { name: string; hash: string; document: WorkflowDocument; builtIn: boolean },
    createdBy: string,
    at: string,
  ): Promise<StoredDefinition> {
    const rows = await this.db.query<Row>(
      `WITH revived AS (
         UPDATE workflow_definitions SET deleted_at = NULL WHERE name = $1 AND deleted_at IS NOT NULL)
       INSERT INTO workflow_definitions (name, version, hash, document, built_in, created_by, created_at)
       SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5, $6 FROM workflow_definitions WHERE name = $1
       RETURNING ${COLUMNS}`,
      [def.name, def.hash, JSON.stringify(def.document), def.builtIn, createdBy, at],
    );
    return fromRow(rows[0]!);
  }

  /** Each name's latest version (who stored it, when) and how many versions it has, without the documents. */
  async latestVersions(): Promise<LatestVersionRow[]> {
    const rows = await this.db.query<{
      name: string;
      version: number;
      versions: number;
      created_by: string;
      created_at: Date | string;
    }>(
      `SELECT DISTINCT ON (name) name, version, COUNT(*) OVER (PARTITION BY name)::int AS versions, created_by, created_at
       FROM workflow_definitions ORDER BY name, version DESC`,
    );
    return rows.map((r) => ({
      name: r.name,
      version: r.version,
      versions: r.versions,
      createdBy: r.created_by,
      createdAt: iso(r.created_at)!,
    }));
  }

  /**
   * How many runs of each workflow name are in each status, counted by the database (every version; one grouped
   * scan, nothing loaded). Lives here because the library shows it beside each definition.
   */
  async runCountsByName(): Promise<{ name: string; status: string; count: number }[]> {
    return this.db.query<{ name: string; status: string; count: number }>(
      'SELECT name, status, COUNT(*)::int AS count FROM workflow_runs GROUP BY name, status',
    );
  }

  /** No new runs of `name`. Returns false when there was nothing to delete. */
  async markDeleted(name: string, at: string): Promise<boolean> {
    const rows = await this.db.query<{ name: string }>(
      `UPDATE workflow_definitions SET deleted_at = $2 WHERE name = $1 AND deleted_at IS NULL RETURNING name`,
      [name, at],
    );
    return rows.length > 0;
  }
}
