import { type RepositoryDto, redactCredentials, splitRepositoryUrl } from '@deploybot/shared';
import type { Db } from '../db/db';
import type { SealedSecret } from '../engine/secrets';
import { iso } from './time';

interface RepositoryRow {
  id: string;
  name: string;
  url: string;
  /** `SealedSecret.$secret` of the JSON of RepositoryCredentials; null when the repository has none. */
  credentials: string | null;
  default_ref: string;
  created_at: Date;
}

/** A repository as the controller itself uses it: the DTO plus its sealed credentials. */
export interface RepositoryRecord extends RepositoryDto {
  credentials: SealedSecret | null;
}

const toRecord = (r: RepositoryRow): RepositoryRecord => ({
  id: r.id,
  name: r.name,
  // Already without user-info once sealStoredCredentials has run; this keeps it so before and regardless.
  url: redactCredentials(splitRepositoryUrl(r.url).url),
  hasCredentials: r.credentials !== null,
  defaultRef: r.default_ref,
  createdAt: iso(r.created_at)!,
  credentials: r.credentials === null ? null : { $secret: r.credentials },
});

export function toDto({ credentials: _credentials, ...dto }: RepositoryRecord): RepositoryDto {
  return dto;
}

export class RepositoriesStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<RepositoryRecord[]> {
    return (await this.db.query<RepositoryRow>('SELECT * FROM repositories ORDER BY name')).map(toRecord);
  }

  async getByName(name: string): Promise<RepositoryRecord | null> {
    const row = (await this.db.query<RepositoryRow>('SELECT * FROM repositories WHERE name = $1', [name]))[0];
    return row ? toRecord(row) : null;
  }

  /** Inserts; returns null when the name is taken. `url` must come without user-info. */
  async insert(r: {
    id: string;
    name: string;
    url: string;
    credentials: SealedSecret | null;
    defaultRef: string;
    at: string;
  }): Promise<RepositoryRecord | null> {
    const rows = await this.db.query<RepositoryRow>(
      `INSERT INTO repositories (id, name, url, credentials, default_ref, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (name) DO NOTHING RETURNING *`,
      [r.id, r.name, r.url, r.credentials?.$secret ?? null, r.defaultRef, r.at],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Rows whose `url` still holds user-info or a query token (registered before credentials were sealed). */
  async withCredentialsInUrl(): Promise<{ id: string; url: string; credentials: string | null }[]> {
    return this.db.query(
      `SELECT id, url, credentials FROM repositories
        WHERE url ~* '^[a-z][a-z0-9+.-]*://[^/?#]*@' OR url ~* '[?&](access_token|private_token|oauth_token|token|password|secret|key)='`,
    );
  }

  /** Replaces a row's URL and sealed credentials, unless another controller did so first. */
  async replaceUrl(
    id: string,
    from: string,
    url: string,
    credentials: SealedSecret | null,
  ): Promise<boolean> {
    const rows = await this.db.query(
      'UPDATE repositories SET url = $3, credentials = $4 WHERE id = $1 AND url = $2 RETURNING id',
      [id, from, url, credentials?.$secret ?? null],
    );
    return rows.length === 1;
  }

  /** Changes URL (with its credentials) and/or default ref; `credentials` is only read with `url`. */
  async update(
    name: string,
    patch: { url?: string; credentials?: SealedSecret | null; defaultRef?: string },
  ): Promise<RepositoryRecord | null> {
    const rows = await this.db.query<RepositoryRow>(
      `UPDATE repositories
          SET url = coalesce($2, url),
              credentials = CASE WHEN $2::text IS NULL THEN credentials ELSE $3 END,
              default_ref = coalesce($4, default_ref)
        WHERE name = $1 RETURNING *`,
      [name, patch.url ?? null, patch.credentials?.$secret ?? null, patch.defaultRef ?? null],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async delete(name: string): Promise<boolean> {
    const inUse = await this.db.query(
      'SELECT 1 FROM jobs j JOIN repositories r ON r.id = j.repository_id WHERE r.name = $1 LIMIT 1',
      [name],
    );
    if (inUse.length > 0) return false;
    return (
      (await this.db.query('DELETE FROM repositories WHERE name = $1 RETURNING id', [name])).length === 1
    );
  }
}
