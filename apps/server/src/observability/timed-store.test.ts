import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/db';
import { SqlWorkflowStore } from '../db/workflow-store';
import { LeaseLostError } from '../engine/ports';
import { newRun } from '../engine/run-state';
import type { WorkflowDefinition } from '../engine/types';
import { createPostgresTestDb } from '../testing/test-db';
import { timeCommits } from './timed-store';

let db: Db;
beforeAll(async () => {
  db = await createPostgresTestDb();
});
afterAll(async () => {
  await db?.close();
});

const def: WorkflowDefinition = {
  name: 'timed',
  title: 'Timed',
  description: 'one step',
  version: 1,
  inputs: [],
  steps: [{ id: 'a', title: 'A', description: '', kind: 'automatic', run: async () => ({ summary: 'a' }) }],
};

describe('timeCommits', () => {
  it('times each commit and keeps it fenced: a commit as owner of a run another controller owns is refused', async () => {
    const at = new Date().toISOString();
    const run = newRun(def, randomUUID(), {}, 'alice', at);
    await new SqlWorkflowStore(db, { owner: randomUUID() }).insertRun(run, {
      runId: run.id,
      seq: 1,
      type: 'run.started',
      stepId: null,
      at,
      detail: null,
    });
    const seconds: number[] = [];
    const mine = timeCommits(new SqlWorkflowStore(db, { owner: randomUUID() }), (s) => seconds.push(s));
    const next = { ...run, seq: 2 };
    const event = { runId: run.id, seq: 2, type: 'step.started' as const, stepId: 'a', at, detail: null };
    await expect(mine.commit(next, [event], { asOwner: true })).rejects.toBeInstanceOf(LeaseLostError);
    expect(seconds).toHaveLength(1);
    // Not fenced (a command any controller may record): it lands.
    await mine.commit(next, [event]);
    expect((await mine.getRun(run.id))?.seq).toBe(2);
  });
});
