import { runHistoryQuerySchema } from '@deploybot/shared';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, historyQuery, likeEscape } from './run-history.query';

const ID = '0b5b7c7e-3f0a-4d4e-9c55-2f1f3a9d0c11';
const query = (raw: Record<string, unknown>) => runHistoryQuerySchema.parse(raw);

describe('history cursor', () => {
  it('round-trips the last row of a page, and is opaque (base64url)', () => {
    const cursor = { createdAt: '2026-12-01T09:30:00.123Z', id: ID };
    const raw = encodeCursor(cursor);
    expect(raw).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(raw).not.toContain(ID);
    expect(decodeCursor(raw)).toEqual(cursor);
  });

  it('refuses what it did not make: garbage, another version, a bad id or time, a truncated cursor', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    const good = encodeCursor({ createdAt: '2026-12-01T09:30:00.123Z', id: ID });
    for (const raw of [
      'not-a-cursor',
      b64(`h0|2026-12-01T09:30:00.123Z|${ID}`),
      b64('h1|2026-12-01T09:30:00.123Z|not-a-uuid'),
      b64(`h1|yesterday|${ID}`),
      b64(`h1|2026-12-01T09:30:00Z|${ID}`), // not the canonical ISO form the server writes
      b64(`h1|2026-12-01T09:30:00.123Z|${ID}|extra`),
      good.slice(0, good.length - 6),
    ]) {
      expect(decodeCursor(raw), raw).toBeNull();
    }
  });
});

describe('history filters', () => {
  it('without filters: every run, newest first, one row more than the page', () => {
    const q = historyQuery(query({}), null);
    expect(q.sql).not.toContain('WHERE');
    expect(q.sql).toMatch(/ORDER BY created_at DESC, id DESC\s+LIMIT \$1/);
    expect(q.params).toEqual([51]);
  });

  it('each filter is one condition on its own column, with its value as a parameter', () => {
    const q = historyQuery(
      query({
        workflow: 'deploy_application',
        status: 'failed,cancelled',
        started_by: 'ann',
        repository: 'demo/app',
        agent: 'web-01',
        from: '2026-11-01',
        to: '2026-11-30',
        limit: '20',
      }),
      { createdAt: '2026-11-20T00:00:00.000Z', id: ID },
    );
    expect(q.sql).toContain('name = $1');
    expect(q.sql).toContain('status = ANY($2::text[])');
    expect(q.sql).toContain('started_by = $3');
    expect(q.sql).toContain('repository = $4');
    expect(q.sql).toContain('agent = $5');
    expect(q.sql).toContain('created_at >= $6');
    expect(q.sql).toContain('created_at <= $7');
    expect(q.sql).toContain('(created_at, id) < ($8::timestamptz, $9::uuid)');
    expect(q.params).toEqual([
      'deploy_application',
      ['failed', 'cancelled'],
      'ann',
      'demo/app',
      'web-01',
      '2026-11-01T00:00:00.000Z',
      // A day as `to` reaches its last millisecond.
      '2026-11-30T23:59:59.999Z',
      '2026-11-20T00:00:00.000Z',
      ID,
      21,
    ]);
  });

  it('search: every word in the title (LIKE characters literal), or the start of the id', () => {
    const words = historyQuery(query({ q: ' deploy  50%_off ' }), null);
    expect(words.sql).toContain('((title ILIKE $1 AND title ILIKE $2))');
    expect(words.params.slice(0, 2)).toEqual(['%deploy%', '%50\\%\\_off%']);
    const id = historyQuery(query({ q: '0B5B7C7E' }), null);
    expect(id.sql).toContain('((title ILIKE $1) OR id::text LIKE $2)');
    expect(id.params.slice(0, 2)).toEqual(['%0B5B7C7E%', '0b5b7c7e%']);
    expect(likeEscape('a\\b')).toBe('a\\\\b');
  });

  it('the query schema refuses what is not a filter, naming the field', () => {
    const bad = (raw: Record<string, unknown>) => {
      const r = runHistoryQuerySchema.safeParse(raw);
      return r.success ? null : r.error.issues[0]!.path.join('.');
    };
    expect(bad({ status: 'done' })).toBe('status.0');
    expect(bad({ workflow: 'Deploy App' })).toBe('workflow');
    expect(bad({ from: 'last week' })).toBe('from');
    expect(bad({ from: '2026-12-02', to: '2026-12-01' })).toBe('from');
    expect(bad({ limit: '0' })).toBe('limit');
    expect(bad({ limit: '201' })).toBe('limit');
    expect(bad({ cursor: 'a b' })).toBe('cursor');
    expect(bad({ q: 'x'.repeat(201) })).toBe('q');
    // Empty fields of a form are no filter at all; a day and an instant with its offset are both dates.
    expect(query({ workflow: '', status: undefined, q: '  ', from: '', cursor: '' })).toEqual({ limit: 50 });
    expect(query({ from: '2026-12-01T10:00:00+01:00', to: '2026-12-01' }).from).toBe(
      '2026-12-01T10:00:00+01:00',
    );
    expect(query({ status: ['failed', 'completed'] }).status).toEqual(['failed', 'completed']);
  });
});
