import type { RepositoryDto } from '@deploybot/shared';
import type { Db } from '../db/db';
import { iso } from './time';

interface RepositoryRow {
  id: string;
  name: string;
  url: string;
  default_ref: string;
  created_at: Date;
}

const toDto = (r: RepositoryRow): RepositoryDto => ({
  id: r.id,
  name: r.name,
  url: r.url,
  defaultRef: r.default_ref,
  createdAt: iso(r.created_at)!,
});

export class RepositoriesStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<RepositoryDto[]> {
    return (await this.db.query<RepositoryRow>('SELECT * FROM repositories ORDER BY name')).map(toDto);
  }

  async getByName(name: string): Promise<RepositoryDto | null> {
    const row = (await this.db.query<RepositoryRow>('SELECT * FROM repositories WHERE name = $1', [name]))[0];
    return row ? toDto(row) : null;
  }

  /** Inserts; returns null when the name is taken. */
  async insert(r: {
    id: string;
    name: string;
    url: string;
    defaultRef: string;
    at: string;
  }): Promise<RepositoryDto | null> {
    const rows = await this.db.query<RepositoryRow>(
      `INSERT INTO repositories (id, name, url, default_ref, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name) DO NOTHING RETURNING *`,
      [r.id, r.name, r.url, r.defaultRef, r.at],
    );
    return rows[0] ? toDto(rows[0]) : null;
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
