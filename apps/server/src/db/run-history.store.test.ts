import type { WorkflowRun } from '@deploybot/shared';
import { runHistoryQuerySchema } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASES } from '../testing/test-db';
import type { Db } from './db';
import { BadCursorError, RunHistoryStore } from './run-history.store';
import { SqlWorkflowStore } from './workflow-store';

/** Runs one minute apart from 2026-11-01 10:00 UTC; `i` picks workflow, status, starter, repository and agent. */
function runAt(i: number): WorkflowRun {
  const at = new Date(Date.UTC(2026, 10, 1, 10, i)).toISOString();
  const deploy = i % 2 === 0;
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    name: deploy ? 'deploy_application' : 'register_agent',
    title: deploy ? `Deploy demo/app-${i % 3}@main → web-0${i % 4}` : `Register web-1${i}`,
    version: 1,
    status: i % 5 === 0 ? 'failed' : 'completed',
    progress: 100,
    context: deploy
      ? { repository: `demo/app-${i % 3}`, ref: 'main', agent_hostname: `web-0${i % 4}` }
      : // A sealed value under a filter's name is never copied into its column.
        { hostname: `web-1${i}`, repository: { $secret: 'v1:a:b:c' } },
    steps: [],
    currentStep: null,
    error: i % 5 === 0 ? 'boom' : null,
    startedBy: i % 3 === 0 ? 'ann' : 'bob',
    createdAt: at,
    updatedAt: at,
    seq: 1,
  };
}

describe.each(TEST_DATABASES)('RunHistoryStore on $name', ({ create }) => {
  let db: Db;
  let history: RunHistoryStore;
  const runs = Array.from({ length: 30 }, (_, i) => runAt(i));
  const page = (raw: Record<string, unknown>) => history.page(runHistoryQuerySchema.parse(raw));

  beforeAll(async () => {
    db = await create();
    history = new RunHistoryStore(db);
    const store = new SqlWorkflowStore(db);
    for (const run of runs) {
      await store.insertRun(run, {
        runId: run.id,
        seq: 1,
        type: 'run.started',
        stepId: null,
        at: run.createdAt,
        detail: null,
      });
    }
  });
  afterAll(async () => {
    await db?.close();
  });

  it('pages through every run newest first with the cursor, each exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const p = await page({ limit: 7, ...(cursor && { cursor }) });
      seen.push(...p.runs.map((r) => r.id));
      if (!p.next) break;
      cursor = p.next;
    }
    expect(seen).toEqual(runs.map((r) => r.id).reverse());
  });

  it('a summary carries the columns the database extracted from the document', async () => {
    const {
      runs: [first],
    } = await page({ limit: 1 });
    expect(first).toEqual({
      id: runs[29]!.id,
      name: 'register_agent',
      title: 'Register web-129',
      version: 1,
      status: 'completed',
      startedBy: 'bob',
      createdAt: '2026-11-01T10:29:00.000Z',
      updatedAt: '2026-11-01T10:29:00.000Z',
      repository: null,
      agent: 'web-129',
      error: null,
    });
  });

  it('filters combine: workflow, status, starter, repository, agent, dates, search', async () => {
    const ids = async (raw: Record<string, unknown>) =>
      (await page({ limit: 200, ...raw })).runs.map((r) => Number(r.id.slice(-12)));
    expect(await ids({ workflow: 'deploy_application', status: 'failed' })).toEqual([20, 10, 0]);
    expect(await ids({ started_by: 'ann', repository: 'demo/app-0' })).toEqual([24, 18, 12, 6, 0]);
    expect(await ids({ agent: 'web-02' })).toEqual([26, 22, 18, 14, 10, 6, 2]);
    expect(await ids({ agent: 'web-113' })).toEqual([13]);
    expect(await ids({ from: '2026-11-01T10:25:00Z', to: '2026-11-01T10:27:00Z' })).toEqual([27, 26, 25]);
    expect(await ids({ from: '2026-11-02' })).toEqual([]);
    expect(await ids({ to: '2026-11-01', status: 'failed,cancelled' })).toEqual([25, 20, 15, 10, 5, 0]);
    expect(await ids({ q: 'deploy app-1 web-02' })).toEqual([22, 10]);
    expect(await ids({ q: '00000000-0000-4000-8000-00000000001' })).toEqual([
      19, 18, 17, 16, 15, 14, 13, 12, 11, 10,
    ]);
    // The sealed repository of the register runs is not a repository to filter on.
    expect(await ids({ repository: '{"$secret": "v1:a:b:c"}' })).toEqual([]);
  });

  it('a filtered deep page continues where the previous one ended', async () => {
    const first = await page({ workflow: 'deploy_application', limit: 4 });
    const second = await page({ workflow: 'deploy_application', limit: 4, cursor: first.next });
    expect(second.runs.map((r) => Number(r.id.slice(-12)))).toEqual([20, 18, 16, 14]);
    const last = await page({ workflow: 'deploy_application', limit: 15 });
    expect(last.runs).toHaveLength(15);
    expect(last.next).toBeNull();
  });

  it('a cursor it did not make is refused', async () => {
    await expect(page({ cursor: 'bm90LWEtY3Vyc29y' })).rejects.toBeInstanceOf(BadCursorError);
  });
});
