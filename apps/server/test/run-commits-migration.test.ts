import { randomUUID } from 'node:crypto';
import { applyRunPatch, diffRun, type WorkflowRun } from '@deploybot/shared';
import { pendingStep } from '@deploybot/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/db';
import { migrate } from '../src/db/migrate';
import { SqlWorkflowStore } from '../src/db/workflow-store';
import { createPostgresTestDb } from '../src/testing/test-db';

/**
 * Migration 018 on a database whose events are one row each (migration 017's layout): every event becomes a
 * commit of its own, and the store reads the run (document + patches after it) and its events as before.
 * PostgreSQL, the path a real upgrade takes; PGlite runs the same SQL on every test database it creates.
 */

let db: Db;
const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 9, 0, s)).toISOString();

const inserted: WorkflowRun = {
  id: randomUUID(),
  name: 'deploy_application',
  title: 'Deploy',
  version: 1,
  status: 'running',
  progress: 0,
  context: { repository: 'org/app', steps: {} },
  steps: [pendingStep('build'), pendingStep('ship')],
  currentStep: 'build',
  error: null,
  startedBy: 'alice',
  createdAt: at(0),
  updatedAt: at(0),
  seq: 1,
};
const started: WorkflowRun = {
  ...inserted,
  seq: 2,
  updatedAt: at(1),
  steps: [
    { ...pendingStep('build'), status: 'in_progress', attempt: 1, startedAt: at(1) },
    pendingStep('ship'),
  ],
};
const parked: WorkflowRun = {
  ...started,
  seq: 3,
  status: 'waiting',
  updatedAt: at(2),
  steps: [
    { ...started.steps[0]!, status: 'awaiting_approval', summary: 'Ship 4f1c2ab?' },
    pendingStep('ship'),
  ],
};

beforeAll(async () => {
  db = await createPostgresTestDb({ below: 18 });
  // As migration 017's store left it: the document at seq 1, the two transitions after it as patches.
  await db.query(
    `INSERT INTO workflow_runs (id, name, version, status, current_step, started_by, created_at, updated_at, seq, doc, doc_seq)
     VALUES ($1, $2, 1, 'waiting', 'build', 'alice', $3, $4, 3, $5, 1)`,
    [inserted.id, inserted.name, inserted.createdAt, parked.updatedAt, JSON.stringify(inserted)],
  );
  const events = [
    [1, 'run.started', null, at(0), null],
    [2, 'step.started', 'build', at(1), diffRun(inserted, started)],
    [3, 'step.awaiting_approval', 'build', at(2), diffRun(started, parked)],
  ] as const;
  for (const [seq, type, stepId, when, patch] of events) {
    await db.query(
      `INSERT INTO workflow_events (run_id, seq, type, step_id, at, detail, patch) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        inserted.id,
        seq,
        type,
        stepId,
        when,
        seq === 3 ? JSON.stringify({ gate: true }) : null,
        patch && JSON.stringify(patch),
      ],
    );
  }
  await migrate(db);
});

afterAll(async () => {
  await db?.close();
});

describe('migration 018', () => {
  it('turns each stored event into a commit of one, which the store reads back unchanged', async () => {
    const store = new SqlWorkflowStore(db);
    expect(await store.getRun(inserted.id)).toEqual(parked);
    const events = await store.eventsAfter(inserted.id, 0);
    expect(events.map((e) => [e.seq, e.type, e.stepId, e.at, e.detail])).toEqual([
      [1, 'run.started', null, at(0), null],
      [2, 'step.started', 'build', at(1), null],
      [3, 'step.awaiting_approval', 'build', at(2), { gate: true }],
    ]);
    expect(events.slice(1).reduce((run, e) => applyRunPatch(run, e, e.patch ?? null), inserted)).toEqual(
      parked,
    );
    expect(
      await db.query('SELECT seq, marks FROM workflow_commits WHERE run_id = $1 ORDER BY seq', [inserted.id]),
    ).toEqual([
      { seq: 1, marks: null },
      { seq: 2, marks: null },
      { seq: 3, marks: [[3, 'step.awaiting_approval', 'build', Date.parse(at(2))]] },
    ]);
  });

  it('goes on from there: the next commit is one row after the migrated ones', async () => {
    const store = new SqlWorkflowStore(db);
    const cancelled: WorkflowRun = { ...parked, status: 'cancelled', seq: 4, updatedAt: at(3) };
    await store.commit(cancelled, [
      {
        runId: inserted.id,
        seq: 4,
        type: 'run.cancelled',
        stepId: null,
        at: at(3),
        detail: null,
        patch: diffRun(parked, cancelled),
      },
    ]);
    expect(await store.getRun(inserted.id)).toEqual(cancelled);
    expect((await store.eventsAfter(inserted.id, 2)).map((e) => e.type)).toEqual([
      'step.awaiting_approval',
      'run.cancelled',
    ]);
  });
});
