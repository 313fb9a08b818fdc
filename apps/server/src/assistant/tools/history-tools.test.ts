import type { RollbackPlan, RunSummary, RunTimeline } from '@deploybot/shared';
import { describe, expect, it } from 'vitest';
import type { AssistantRunRecords } from '../run-records';
import { historyTools } from './history-tools';
import { newEffects, type ToolContext, ToolRegistry } from './registry';

const summary = (id: string, patch: Partial<RunSummary> = {}): RunSummary => ({
  id,
  name: 'deploy_application',
  title: 'Deploy myorg/app',
  version: 1,
  status: 'completed',
  startedBy: 'bob',
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:05:00.000Z',
  repository: 'myorg/app',
  agent: 'web-01',
  error: null,
  ...patch,
});

const DEPLOY = 'aaaa1111-2222-4333-8444-555555555555';
const OTHER = 'aaaa9999-2222-4333-8444-555555555555';

function fakeRecords(plan: Partial<RollbackPlan> = {}) {
  const queries: unknown[] = [];
  const records: AssistantRunRecords = {
    async find(q) {
      queries.push(q);
      const all = [summary(DEPLOY), summary(OTHER, { repository: 'myorg/other' })];
      return all.filter(
        (r) =>
          (!q.q || r.id.startsWith(q.q)) &&
          (!q.repository || r.repository === q.repository) &&
          (!q.status || q.status.includes(r.status)),
      );
    },
    async timeline(runId) {
      return {
        run: {
          id: runId,
          name: 'deploy_application',
          title: 'Deploy myorg/app',
          status: 'completed',
          startedBy: 'bob',
          error: null,
        },
        start: '2026-12-01T10:00:00.000Z',
        end: '2026-12-01T10:05:00.000Z',
        steps: [{ id: 'select_agent', title: 'Select target agent', status: 'completed', attempts: 1 }],
        spans: [],
        entries: [
          {
            seq: 1,
            type: 'run.started',
            at: '2026-12-01T10:00:00.000Z',
            stepId: null,
            stepTitle: null,
            by: 'bob',
            text: 'Started by bob',
            note: null,
            detail: null,
          },
          {
            seq: 4,
            type: 'step.approved',
            at: '2026-12-01T10:01:00.000Z',
            stepId: 'select_agent',
            stepTitle: 'Select target agent',
            by: 'alice',
            text: 'Select target agent: approved by alice',
            note: 'looks right',
            detail: null,
          },
        ],
      } as unknown as RunTimeline;
    },
    async rollbackPlan(runId) {
      return {
        runId,
        possible: true,
        reason: null,
        items: [{ stepId: 'deploy', title: 'Deploy', undo: 'redeploys the previous sha' }],
        ...plan,
      };
    },
  };
  return { records, queries };
}

function context(): ToolContext & { proposed: string[] } {
  const proposed: string[] = [];
  return {
    actor: 'alice',
    sessionId: 's1',
    signal: new AbortController().signal,
    effects: newEffects(),
    linkRun: async () => {},
    conversationRunIds: async () => [],
    rollbackProposed: (id) => proposed.push(id),
    proposed,
  };
}

describe('history tools', () => {
  it('explain_run answers "who approved the last deploy of myorg/app" from the timeline', async () => {
    const { records, queries } = fakeRecords();
    const tools = new ToolRegistry(historyTools(records));
    const out = await tools.invoke('explain_run', { repository: 'myorg/app' }, context());
    expect(queries[0]).toEqual({ workflow: 'deploy_application', repository: 'myorg/app', limit: 1 });
    expect(out).toMatchObject({
      ok: true,
      result: {
        run: { id: DEPLOY, status: 'completed', startedBy: 'bob', repository: 'myorg/app', agent: 'web-01' },
        decisions: [{ step: 'select_agent', decision: 'approved', by: 'alice', note: 'looks right' }],
        entryCount: 2,
      },
    });
  });

  it('explain_run takes the start of a run id, and says when it matches several or none', async () => {
    const { records } = fakeRecords();
    const tools = new ToolRegistry(historyTools(records));
    expect(await tools.invoke('explain_run', { run_id: 'AAAA1111' }, context())).toMatchObject({
      ok: true,
      result: { run: { id: DEPLOY } },
    });
    const several = await tools.invoke('explain_run', { run_id: 'aaaa' }, context());
    expect(several).toMatchObject({ ok: false });
    expect(!several.ok && several.error).toContain('several runs start with "aaaa"');
    const none = await tools.invoke('explain_run', { run_id: 'bbbb' }, context());
    expect(!none.ok && none.error).toContain('no run has an id starting with "bbbb"');
    const bad = await tools.invoke('explain_run', { run_id: 'zz' }, context());
    expect(!bad.ok && bad.error).toContain('invalid arguments for explain_run');
  });

  it('propose_rollback finds the last completed or failed deploy, shows its plan, and offers a button only', async () => {
    const { records, queries } = fakeRecords();
    const tools = new ToolRegistry(historyTools(records));
    const ctx = context();
    const out = await tools.invoke('propose_rollback', { repository: 'myorg/app' }, ctx);
    expect(queries[0]).toEqual({
      workflow: 'deploy_application',
      repository: 'myorg/app',
      status: ['completed', 'failed'],
      limit: 1,
    });
    expect(out).toMatchObject({
      ok: true,
      result: {
        proposed: true,
        run: { id: DEPLOY },
        undo: [{ stepId: 'deploy', undo: 'redeploys the previous sha' }],
      },
    });
    expect(ctx.effects.quickActions).toEqual([
      { kind: 'start_rollback', label: 'Start rollback', runId: DEPLOY },
      { kind: 'open_run', label: 'Open run', runId: DEPLOY },
    ]);
    expect(ctx.proposed).toEqual([DEPLOY]);
    expect(ctx.effects.runId).toBeNull();
  });

  it('propose_rollback refuses what cannot be rolled back, and a request that names nothing', async () => {
    const { records } = fakeRecords({
      possible: false,
      reason: 'a rollback run cannot be rolled back',
      items: [],
    });
    const tools = new ToolRegistry(historyTools(records));
    const ctx = context();
    const out = await tools.invoke('propose_rollback', { run_id: DEPLOY }, ctx);
    expect(!out.ok && out.error).toBe(
      `run ${DEPLOY} cannot be rolled back: a rollback run cannot be rolled back`,
    );
    expect(ctx.effects.quickActions).toEqual([]);
    const nothing = await tools.invoke('propose_rollback', {}, ctx);
    expect(!nothing.ok && nothing.error).toBe('name the repository (org/app) or the run to roll back');
    const unknown = await tools.invoke('propose_rollback', { repository: 'myorg/none' }, ctx);
    expect(!unknown.ok && unknown.error).toContain(
      'there is no completed or failed run of deploy_application for myorg/none',
    );
  });
});
