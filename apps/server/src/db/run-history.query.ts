import { dayEnd, dayStart, type RunHistoryQuery } from '@deploybot/shared';

/** Where a page ends: the last row's (created_at, id); the next page starts strictly after it. */
export interface HistoryCursor {
  createdAt: string;
  id: string;
}

const CURSOR_VERSION = 'h1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Opaque to clients (base64url), so its shape can change without a client depending on it. */
export function encodeCursor(cursor: HistoryCursor): string {
  return Buffer.from(`${CURSOR_VERSION}|${cursor.createdAt}|${cursor.id}`, 'utf8').toString('base64url');
}

/** The cursor a previous page gave, or null when `raw` is not one (tampered, truncated, of another version). */
export function decodeCursor(raw: string): HistoryCursor | null {
  const parts = Buffer.from(raw, 'base64url').toString('utf8').split('|');
  if (parts.length !== 3 || parts[0] !== CURSOR_VERSION) return null;
  const [, createdAt, id] = parts as [string, string, string];
  const time = Date.parse(createdAt);
  if (!UUID.test(id) || Number.isNaN(time) || new Date(time).toISOString() !== createdAt) return null;
  return { createdAt, id };
}

export interface SqlQuery {
  sql: string;
  params: unknown[];
}

/** `%`, `_` and `\` match themselves in a LIKE pattern. */
export function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * One page of run summaries, newest first, under every filter given. Each filter is one indexed column (see
 * migration 013); the keyset condition `(created_at, id) < cursor` matches the index order, so a deep page costs
 * what the first page costs. One row more than asked tells whether there is a next page.
 */
export function historyQuery(
  filter: Omit<RunHistoryQuery, 'cursor'>,
  cursor: HistoryCursor | null,
): SqlQuery {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.workflow) where.push(`name = ${param(filter.workflow)}`);
  if (filter.status) where.push(`status = ANY(${param(filter.status)}::text[])`);
  if (filter.started_by) where.push(`started_by = ${param(filter.started_by)}`);
  if (filter.repository) where.push(`repository = ${param(filter.repository)}`);
  if (filter.agent) where.push(`agent = ${param(filter.agent)}`);
  if (filter.from) where.push(`created_at >= ${param(new Date(dayStart(filter.from)).toISOString())}`);
  if (filter.to) where.push(`created_at <= ${param(new Date(dayEnd(filter.to)).toISOString())}`);
  if (filter.q) {
    const words = filter.q.split(/\s+/).filter(Boolean);
    // Every word in the title, or the whole text as the start of the id (people paste the short id).
    const titleHas = words.map((w) => `title ILIKE ${param(`%${likeEscape(w)}%`)}`).join(' AND ');
    const idPrefix = /^[0-9a-f-]{1,36}$/i.test(filter.q)
      ? ` OR id::text LIKE ${param(`${likeEscape(filter.q.toLowerCase())}%`)}`
      : '';
    where.push(`((${titleHas})${idPrefix})`);
  }
  if (cursor)
    where.push(`(created_at, id) < (${param(cursor.createdAt)}::timestamptz, ${param(cursor.id)}::uuid)`);
  const limit = param(filter.limit + 1);
  return {
    sql: `SELECT id, name, title, version, status, started_by, created_at, updated_at, repository, agent,
                 doc ->> 'error' AS error
            FROM workflow_runs
           ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY created_at DESC, id DESC
           LIMIT ${limit}`,
    params,
  };
}
