import type { RollbackPlan, RunExport, RunHistoryPage, RunTimeline, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN } from '../src/testing/test-security';
import { MISSING_RUN } from './helpers/bad-requests';
import {
  type ApiClient,
  apiClient,
  expectError,
  expectFieldError,
  isStatus,
  isWaitingAt,
  WORKFLOWS,
} from './helpers/http-client';
import { startTestServer, type TestServer } from './helpers/test-server';

/**
 * The run history, a run's timeline and its export against the real controller: runs started, decided and
 * cancelled over REST, then found by their filters and replayed from their event logs.
 */
let server: TestServer;
let api: ApiClient;
let me: string;
const chains: WorkflowRun[] = [];
let gated: WorkflowRun;
let cancelled: WorkflowRun;

const HISTORY = `${WORKFLOWS}/history`;
const idsOf = (page: RunHistoryPage) => page.runs.map((r) => r.id);

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  me = (await api.get<{ user: { username: string } }>('/v1/auth/me')).body.user.username;
  for (const who of ['ann', 'bob', 'cy']) {
    const run = await api.start('auto_chain', { who });
    chains.push(await api.waitForRun(run.id, isStatus('completed'), 'completed'));
  }
  const started = await api.start('gated_change', { service: 'billing' });
  await api.waitForRun(started.id, isWaitingAt('review'), 'the review gate');
  const approved = await api.post(`${WORKFLOWS}/${started.id}/approve`, {
    approved: true,
    user_input: 'green',
    note: 'ship it',
  });
  expect(approved.status, approved.text).toBe(200);
  gated = await api.waitForRun(started.id, isStatus('completed'), 'completed');
  const slow = await api.start('slow_step', { ms: 60_000 });
  await api.waitForRun(slow.id, (r) => r.steps[1]?.status === 'in_progress', 'the slow step');
  expect((await api.post(`${WORKFLOWS}/${slow.id}/cancel`, { reason: 'too slow' })).status).toBe(200);
  cancelled = await api.run(slow.id);
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe('GET /v1/ai/workflows/history', () => {
  it('lists every run newest first as summaries', async () => {
    const res = await api.get<RunHistoryPage>(HISTORY);
    expect(res.status, res.text).toBe(200);
    expect(idsOf(res.body)).toEqual([cancelled.id, gated.id, ...chains.map((r) => r.id).reverse()]);
    expect(res.body.next).toBeNull();
    expect(res.body.runs[1]).toEqual({
      id: gated.id,
      name: 'gated_change',
      title: gated.title,
      version: gated.version,
      status: 'completed',
      startedBy: me,
      createdAt: gated.createdAt,
      updatedAt: gated.updatedAt,
      repository: null,
      agent: null,
      error: null,
    });
  });

  it('filters by workflow, status, starter and search, and pages with the cursor', async () => {
    const page = async (query: string) => {
      const res = await api.get<RunHistoryPage>(`${HISTORY}?${query}`);
      expect(res.status, res.text).toBe(200);
      return res.body;
    };
    expect(idsOf(await page('workflow=auto_chain&status=completed'))).toEqual(
      chains.map((r) => r.id).reverse(),
    );
    expect(idsOf(await page('status=cancelled&status=failed'))).toEqual([cancelled.id]);
    expect(idsOf(await page(`started_by=${me}&workflow=gated_change`))).toEqual([gated.id]);
    expect(idsOf(await page('started_by=nobody'))).toEqual([]);
    expect(idsOf(await page(`q=${gated.id.slice(0, 8)}`))).toEqual([gated.id]);
    const today = new Date().toISOString().slice(0, 10);
    expect((await page(`from=${today}&to=${today}`)).runs).toHaveLength(5);
    expect((await page('to=2020-01-01')).runs).toHaveLength(0);

    const first = await page('workflow=auto_chain&limit=2');
    expect(idsOf(first)).toEqual([chains[2]!.id, chains[1]!.id]);
    expect(first.next).toEqual(expect.any(String));
    const second = await page(`workflow=auto_chain&limit=2&cursor=${first.next}`);
    expect(idsOf(second)).toEqual([chains[0]!.id]);
    expect(second.next).toBeNull();
  });

  it('refuses bad filters and a forged cursor with the one error shape, naming the field', async () => {
    expectFieldError(await api.get(`${HISTORY}?status=done`), 'query.status.0');
    expectFieldError(await api.get(`${HISTORY}?limit=1000`), 'query.limit');
    expectFieldError(await api.get(`${HISTORY}?from=yesterday`), 'query.from');
    expectFieldError(await api.get(`${HISTORY}?from=2026-12-02&to=2026-12-01`), 'query.from');
    expectFieldError(await api.get(`${HISTORY}?workflow=auto_chain&workflow=two_gates`), 'query.workflow');
    expectFieldError(await api.get(`${HISTORY}?cursor=bm90LWEtY3Vyc29y`), 'query.cursor');
  });
});

describe('GET /v1/ai/workflows/{id}/timeline', () => {
  it('replays the gated run: who started it, the approval with its note and input, a bar for the gate wait', async () => {
    const res = await api.get<RunTimeline>(`${WORKFLOWS}/${gated.id}/timeline`);
    expect(res.status, res.text).toBe(200);
    const { entries, spans, steps } = res.body;
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    expect(entries[0]).toMatchObject({ type: 'run.started', by: me });
    const approval = entries.find((e) => e.type === 'step.approved')!;
    expect(approval).toMatchObject({
      stepId: 'review',
      stepTitle: 'Review restart',
      by: me,
      note: 'ship it',
      input: 'green',
    });
    expect(entries.at(-1)).toMatchObject({ type: 'run.completed', by: null });
    const gate = spans.find((s) => s.kind === 'gate')!;
    expect(gate).toMatchObject({ stepId: 'review', open: false });
    expect(Date.parse(gate.to)).toBeLessThanOrEqual(Date.parse(approval.at));
    expect(spans.filter((s) => s.stepId === 'review').map((s) => s.kind)).toEqual([
      'running',
      'gate',
      'running',
    ]);
    expect(steps.find((s) => s.id === 'review')).toMatchObject({
      status: 'completed',
      decisions: [expect.objectContaining({ by: me, decision: 'approved', note: 'ship it', input: 'green' })],
      outputs: { colour: 'green' },
    });
    expect(Date.parse(res.body.end)).toBe(Date.parse(gated.updatedAt));
  });

  it('names who cancelled a run, and why', async () => {
    const res = await api.get<RunTimeline>(`${WORKFLOWS}/${cancelled.id}/timeline`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.entries.at(-1)).toMatchObject({ type: 'run.cancelled', by: me, note: 'too slow' });
    expect(res.body.spans.every((s) => !s.open)).toBe(true);
  });

  it('answers 404 for a run that does not exist, 400 for an id that is not one', async () => {
    expectError(await api.get(`${WORKFLOWS}/${MISSING_RUN}/timeline`), 404, 'not_found');
    expectFieldError(await api.get(`${WORKFLOWS}/nope/timeline`), 'params');
  });
});

describe('GET /v1/ai/workflows/{id}/export', () => {
  it('downloads the run with its whole event log and timeline as a JSON file named after the run', async () => {
    const res = await fetch(`${server.url}${WORKFLOWS}/${gated.id}/export`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('content-disposition')).toMatch(
      new RegExp(`^attachment; filename="?run-${gated.id}\\.json"?$`),
    );
    const file = (await res.json()) as RunExport;
    expect(file.format).toBe('deploybot.run/v1');
    expect(file.exportedBy).toBe(me);
    expect(file.run).toEqual(await api.run(gated.id));
    const events = await api.events(gated.id);
    expect(file.events).toEqual(
      events.map(({ seq, type, at, stepId, detail }) => ({ seq, type, at, stepId, detail })),
    );
    expect(file.timeline.find((e) => e.type === 'step.approved')?.note).toBe('ship it');
  });

  it('needs a signed-in user, and a run that exists', async () => {
    expectError(
      await api.request('GET', `${WORKFLOWS}/${gated.id}/export`, undefined, {
        headers: { authorization: '' },
      }),
      401,
      'unauthorized',
    );
    expectError(await api.get(`${WORKFLOWS}/${MISSING_RUN}/export`), 404, 'not_found');
  });
});

describe('GET /v1/ai/workflows/{id}/rollback-plan', () => {
  it('lists the completed steps most recent first with what undoing each does, starting nothing', async () => {
    const before = await api.runCount();
    const res = await api.get<RollbackPlan>(`${WORKFLOWS}/${chains[0]!.id}/rollback-plan`);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      runId: chains[0]!.id,
      possible: true,
      reason: null,
      // A TypeScript test workflow declares no compensations: each step says there is nothing to undo.
      items: [
        { stepId: 'count', title: 'Count', undo: null },
        { stepId: 'greet', title: 'Greet', undo: null },
      ],
    });
    expect(await api.runCount()).toBe(before);
  });

  it('says why a run cannot be rolled back', async () => {
    const res = await api.get<RollbackPlan>(`${WORKFLOWS}/${cancelled.id}/rollback-plan`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      runId: cancelled.id,
      possible: false,
      reason: 'run is cancelled: only a completed or failed run can be rolled back',
      items: [],
    });
    expectError(await api.get(`${WORKFLOWS}/${MISSING_RUN}/rollback-plan`), 404, 'not_found');
  });
});
