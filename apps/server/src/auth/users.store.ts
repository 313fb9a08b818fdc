import type { ApiTokenDto, Role, UserDto } from '@deploybot/shared';
import type { Db } from '../db/db';
import { updateById } from '../db/update-builder';
import { iso } from '../fleet/time';

export interface UserRow {
  id: string;
  username: string;
  password_hash: string | null;
  role: Role;
  created_at: Date;
  disabled_at: Date | null;
  deleted_at: Date | null;
}

interface TokenRow {
  id: string;
  user_id: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  expires_at: Date | null;
}

export const toUserDto = (u: UserRow): UserDto => ({
  id: u.id,
  username: u.username,
  role: u.role,
  createdAt: iso(u.created_at)!,
  disabled: u.disabled_at !== null,
});

export const toTokenDto = (t: TokenRow): ApiTokenDto => ({
  id: t.id,
  name: t.name,
  createdAt: iso(t.created_at)!,
  lastUsedAt: iso(t.last_used_at),
  revokedAt: iso(t.revoked_at),
  expiresAt: iso(t.expires_at),
});

/** SQL for users, their web sessions and API tokens. Sessions and tokens are looked up by hash only. */
export class UsersStore {
  constructor(private readonly db: Db) {}

  /** Every user ever created, tombstones included (an empty database is one that never had any). */
  async count(): Promise<number> {
    return (await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users'))[0]!.n;
  }

  async insert(u: {
    id: string;
    username: string;
    passwordHash: string | null;
    role: Role;
    at: string;
  }): Promise<UserRow | null> {
    const rows = await this.db.query<UserRow>(
      `INSERT INTO users (id, username, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (username) DO NOTHING RETURNING *`,
      [u.id, u.username, u.passwordHash, u.role, u.at],
    );
    return rows[0] ?? null;
  }

  /** A live user by name. */
  async byUsername(username: string): Promise<UserRow | null> {
    return (
      (
        await this.db.query<UserRow>('SELECT * FROM users WHERE username = $1 AND deleted_at IS NULL', [
          username,
        ])
      )[0] ?? null
    );
  }

  /** Whether `username` belonged to a user who was deleted (such names are never handed out again). */
  async isRetired(username: string): Promise<boolean> {
    const rows = await this.db.query('SELECT 1 FROM users WHERE username = $1 AND deleted_at IS NOT NULL', [
      username,
    ]);
    return rows.length > 0;
  }

  /** A live user by id. */
  async byId(id: string): Promise<UserRow | null> {
    return (
      (await this.db.query<UserRow>('SELECT * FROM users WHERE id = $1 AND deleted_at IS NULL', [id]))[0] ??
      null
    );
  }

  /** A user by name, deleted or not (the way back in restores a deleted `admin`). */
  async anyByUsername(username: string): Promise<UserRow | null> {
    return (await this.db.query<UserRow>('SELECT * FROM users WHERE username = $1', [username]))[0] ?? null;
  }

  async list(): Promise<UserRow[]> {
    return this.db.query<UserRow>('SELECT * FROM users WHERE deleted_at IS NULL ORDER BY username');
  }

  async update(
    id: string,
    patch: { role?: Role; passwordHash?: string; disabledAt?: string | null; deletedAt?: null },
  ): Promise<UserRow | null> {
    const update = updateById('users', id, {
      role: patch.role,
      password_hash: patch.passwordHash,
      disabled_at: patch.disabledAt,
      deleted_at: patch.deletedAt,
    });
    if (!update) return this.byId(id);
    return (await this.db.query<UserRow>(update.sql, update.params))[0] ?? null;
  }

  /**
   * Deletes a user as a tombstone: sign-in material (password, sessions, tokens) is gone at once, in one
   * transaction; the row stays so that its id and name are never reused.
   */
  async delete(id: string, at: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query(
        `UPDATE users SET deleted_at = $2, disabled_at = coalesce(disabled_at, $2), password_hash = NULL
          WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
        [id, at],
      );
      if (rows.length === 0) return false;
      await tx.query('DELETE FROM user_sessions WHERE user_id = $1', [id]);
      await tx.query('UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL', [
        id,
        at,
      ]);
      return true;
    });
  }

  // ---- sessions

  async insertSession(s: {
    hash: string;
    userId: string;
    csrfToken: string;
    at: string;
    expiresAt: string;
  }): Promise<void> {
    await this.db.query(
      'INSERT INTO user_sessions (id, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)',
      [s.hash, s.userId, s.csrfToken, s.at, s.expiresAt],
    );
  }

  async sessionUser(hash: string, now: string): Promise<{ user: UserRow; csrfToken: string } | null> {
    const rows = await this.db.query<UserRow & { csrf_token: string }>(
      `SELECT u.*, s.csrf_token FROM user_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL AND u.deleted_at IS NULL`,
      [hash, now],
    );
    const row = rows[0];
    if (!row) return null;
    const { csrf_token, ...user } = row;
    return { user, csrfToken: csrf_token };
  }

  async deleteSession(hash: string): Promise<void> {
    await this.db.query('DELETE FROM user_sessions WHERE id = $1', [hash]);
  }

  async deleteSessionsOf(userId: string): Promise<void> {
    await this.db.query('DELETE FROM user_sessions WHERE user_id = $1', [userId]);
  }

  // ---- API tokens

  async insertToken(t: {
    id: string;
    userId: string;
    name: string;
    hash: string;
    at: string;
    expiresAt?: string | null;
  }): Promise<TokenRow> {
    return (
      await this.db.query<TokenRow>(
        `INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [t.id, t.userId, t.name, t.hash, t.at, t.expiresAt ?? null],
      )
    )[0]!;
  }

  /**
   * The user a live token belongs to. Every API request asks this, so it is a read; `last_used_at` is written
   * at most once a minute per token.
   */
  async tokenUser(hash: string, now: string): Promise<UserRow | null> {
    const rows = await this.db.query<UserRow & { token_id: string; token_last_used_at: Date | null }>(
      `SELECT u.*, t.id AS token_id, t.last_used_at AS token_last_used_at
         FROM api_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)
          AND u.disabled_at IS NULL AND u.deleted_at IS NULL`,
      [hash, now],
    );
    const row = rows[0];
    if (!row) return null;
    const { token_id, token_last_used_at, ...user } = row;
    if (!token_last_used_at || Date.parse(now) - token_last_used_at.getTime() > 60_000) {
      await this.db.query('UPDATE api_tokens SET last_used_at = $2 WHERE id = $1', [token_id, now]);
    }
    return user;
  }

  /** Whether any token, live or revoked, has this hash (a revoked token is never handed out again). */
  async tokenExists(hash: string): Promise<boolean> {
    return (await this.db.query('SELECT 1 FROM api_tokens WHERE token_hash = $1', [hash])).length > 0;
  }

  async tokensOf(userId: string): Promise<TokenRow[]> {
    return this.db.query<TokenRow>('SELECT * FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC', [
      userId,
    ]);
  }

  /** Revokes every live token of a user (a password change, an admin's order); returns how many. */
  async revokeTokensOf(userId: string, at: string): Promise<number> {
    const rows = await this.db.query(
      'UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL RETURNING id',
      [userId, at],
    );
    return rows.length;
  }

  async revokeToken(id: string, userId: string, at: string): Promise<TokenRow | null> {
    return (
      (
        await this.db.query<TokenRow>(
          'UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING *',
          [id, userId, at],
        )
      )[0] ?? null
    );
  }
}
