import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/db';
import { systemClock } from '../engine/ports';
import { createPgliteTestDb } from '../testing/test-db';
import { AuditLog } from './audit-log';

describe('AuditLog', () => {
  let db: Db;
  let statements = 0;
  beforeAll(async () => {
    const real = await createPgliteTestDb();
    // The real database, counting the statements that write the log.
    db = Object.assign(Object.create(real), {
      query: (sql: string, params?: unknown[]) => {
        if (sql.includes('INSERT INTO audit_log')) statements += 1;
        return real.query(sql, params);
      },
    });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('writes the records asked for together in one statement, each with its own fields', async () => {
    const audit = new AuditLog(db, systemClock);
    statements = 0;
    await Promise.all([
      audit.record('alice', 'workflow.approve', 'run-1', { step: 'deploy', note: null }),
      audit.record('bob', 'workflow.reject', 'run-2', { step: 'gate' }),
      audit.record('carol', 'auth.login', null),
    ]);
    expect(statements).toBe(1);
    const entries = await audit.list({ limit: 10 });
    expect(entries.map((e) => [e.actor, e.action, e.target, e.detail]).sort()).toEqual([
      ['alice', 'workflow.approve', 'run-1', { step: 'deploy', note: null }],
      ['bob', 'workflow.reject', 'run-2', { step: 'gate' }],
      ['carol', 'auth.login', null, null],
    ]);
  });

  it('fails only the record the database refuses when it was asked for with others', async () => {
    const audit = new AuditLog(db, systemClock);
    const settled = await Promise.allSettled([
      audit.record('dave', 'workflow.cancel', 'run-3'),
      // PostgreSQL text cannot hold a NUL character: this record is refused.
      audit.record('eve\u0000', 'workflow.cancel', 'run-4'),
      audit.record('frank', 'workflow.cancel', 'run-5'),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const targets = (await audit.list({ action: 'workflow.cancel', limit: 10 })).map((e) => e.target).sort();
    expect(targets).toEqual(['run-3', 'run-5']);
  });
});
