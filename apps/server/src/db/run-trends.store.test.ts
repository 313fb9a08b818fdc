import type { RunStatus, StepRecord, StepStatus, WorkflowEventType, WorkflowRun } from '@deploybot/shared';
import { runTrendsQuerySchema } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord } from '../engine/ports';
import { TEST_DATABASES } from '../testing/test-db';
import type { Db } from './db';
import { RunTrendsStore } from './run-trends.store';
import { SqlWorkflowStore } from './workflow-store';

type Ev = [type: WorkflowEventType, stepId: string | null, atSeconds: number];

interface Spec {
  n: number;
  name?: string;
  start: string;
  status: RunStatus;
  /** Steps that ended failed (their titles are `Step <id>`). */
  failed?: string[];
  /** After the start event, in order. */
  events: Ev[];
}

const step = (id: string, status: StepStatus): StepRecord => ({
  id,
  title: `Step ${id}`,
  description: '',
  kind: 'automatic',
  status,
  needsApproval: false,
  summary: null,
  data: null,
  plan: null,
  input: null,
  error: status === 'failed' ? 'boom' : null,
  attempt: 1,
  startedAt: null,
  finishedAt: null,
  deadline: null,
  decisions: [],
});

const at = (start: string, s: number) => new Date(Date.parse(start) + s * 1000).toISOString();

/**
 * Nine runs of deploy_application from Sunday 2026-11-01 to 2026-11-03 (UTC) whose outcomes, durations and gate
 * waits are chosen so every aggregate below can be worked out by hand; two runs the range must not see.
 */
const SPECS: Spec[] = [
  // Day 1: A completed in 100 s after a 60 s gate wait.
  {
    n: 1,
    start: '2026-11-01T10:00:00Z',
    status: 'completed',
    events: [
      ['step.awaiting_approval', 'select_agent', 10],
      ['step.approved', 'select_agent', 70],
      ['step.completed', 'select_agent', 75],
      ['run.completed', null, 100],
    ],
  },
  // B completed in 400 s (300 s at the gate); its notify step failed without failing the run (continue_on_error).
  {
    n: 2,
    start: '2026-11-01T11:00:00Z',
    status: 'completed',
    failed: ['notify'],
    events: [
      ['step.awaiting_approval', 'select_agent', 5],
      ['step.approved', 'select_agent', 305],
      ['step.failed', 'notify', 350],
      ['run.completed', null, 400],
    ],
  },
  // C failed at monitor_job after 200 s (30 s at the gate).
  {
    n: 3,
    start: '2026-11-01T12:00:00Z',
    status: 'failed',
    failed: ['monitor_job'],
    events: [
      ['step.awaiting_approval', 'select_agent', 0],
      ['step.approved', 'select_agent', 30],
      ['step.failed', 'monitor_job', 200],
      ['run.failed', 'monitor_job', 200],
    ],
  },
  // Day 2: D rejected after 120 s at the gate (cancelled: no duration).
  {
    n: 4,
    start: '2026-11-02T09:00:00Z',
    status: 'cancelled',
    events: [
      ['step.awaiting_approval', 'select_agent', 10],
      ['step.rejected', 'select_agent', 130],
      ['run.cancelled', 'select_agent', 130],
    ],
  },
  // E failed at validate_repository after 50 s.
  {
    n: 5,
    start: '2026-11-02T10:00:00Z',
    status: 'failed',
    failed: ['validate_repository'],
    events: [
      ['step.failed', 'validate_repository', 50],
      ['run.failed', 'validate_repository', 50],
    ],
  },
  // F still waits at its gate: counted as a run, its open wait is not counted.
  {
    n: 6,
    start: '2026-11-02T11:00:00Z',
    status: 'waiting',
    events: [['step.awaiting_approval', 'select_agent', 10]],
  },
  // G cancelled while it waited, 600 s after the wait began.
  {
    n: 7,
    start: '2026-11-02T12:00:00Z',
    status: 'cancelled',
    events: [
      ['step.awaiting_approval', 'select_agent', 0],
      ['run.cancelled', 'select_agent', 600],
    ],
  },
  // Day 3: H completed in 60 s through two gates (20 s, 10 s), rolled back an hour later (not part of its duration).
  {
    n: 8,
    start: '2026-11-03T08:00:00Z',
    status: 'completed',
    events: [
      ['step.awaiting_approval', 'select_agent', 0],
      ['step.approved', 'select_agent', 20],
      ['step.awaiting_approval', 'create_job', 30],
      ['step.approved', 'create_job', 40],
      ['run.completed', null, 60],
      ['step.compensated', 'create_job', 3660],
    ],
  },
  // I failed at monitor_job after 300 s.
  {
    n: 9,
    start: '2026-11-03T09:00:00Z',
    status: 'failed',
    failed: ['monitor_job'],
    events: [
      ['step.failed', 'monitor_job', 300],
      ['run.failed', 'monitor_job', 300],
    ],
  },
  // Outside: a second before the range, and another workflow inside it.
  {
    n: 10,
    start: '2026-10-31T23:59:59Z',
    status: 'failed',
    failed: ['monitor_job'],
    events: [['run.failed', 'monitor_job', 1]],
  },
  {
    n: 11,
    name: 'health_check',
    start: '2026-11-01T10:30:00Z',
    status: 'failed',
    failed: ['check_agents'],
    events: [['run.failed', 'check_agents', 5]],
  },
];

function runsOf(spec: Spec): { first: WorkflowRun; last: WorkflowRun; events: EventRecord[] } {
  const id = `00000000-0000-4000-8000-${String(spec.n).padStart(12, '0')}`;
  const ids = ['validate_repository', 'select_agent', 'create_job', 'monitor_job', 'notify'];
  const first: WorkflowRun = {
    id,
    name: spec.name ?? 'deploy_application',
    title: `Run ${spec.n}`,
    version: 1,
    status: 'running',
    progress: 0,
    context: {},
    steps: ids.map((s) => step(s, 'pending')),
    currentStep: null,
    error: null,
    startedBy: 'ann',
    createdAt: new Date(spec.start).toISOString(),
    updatedAt: new Date(spec.start).toISOString(),
    seq: 1,
  };
  const events = spec.events.map(
    ([type, stepId, s], i): EventRecord => ({
      runId: id,
      seq: i + 2,
      type,
      stepId,
      at: at(spec.start, s),
      detail: null,
    }),
  );
  const last: WorkflowRun = {
    ...first,
    status: spec.status,
    steps: [...ids, 'check_agents'].map((s) =>
      step(s, spec.failed?.includes(s) ? 'failed' : spec.status === 'completed' ? 'completed' : 'pending'),
    ),
    seq: events.length + 1,
    updatedAt: events.at(-1)?.at ?? first.createdAt,
  };
  return { first, last, events };
}

describe.each(TEST_DATABASES)('RunTrendsStore on $name', ({ create }) => {
  let db: Db;
  let store: RunTrendsStore;
  const trends = (raw: Record<string, unknown>) => store.trends(runTrendsQuerySchema.parse(raw));

  beforeAll(async () => {
    db = await create();
    store = new RunTrendsStore(db);
    const runs = new SqlWorkflowStore(db);
    for (const spec of SPECS) {
      const { first, last, events } = runsOf(spec);
      await runs.insertRun(first, {
        runId: first.id,
        seq: 1,
        type: 'run.started',
        stepId: null,
        at: first.createdAt,
        detail: null,
      });
      if (events.length > 0) await runs.commit(last, events);
    }
  });
  afterAll(async () => {
    await db?.close();
  });

  const empty = {
    runs: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
    successRate: null,
    durationP50Ms: null,
    durationP95Ms: null,
    gateWaits: 0,
    gateWaitTotalMs: 0,
    gateWaitP50Ms: null,
  };

  it('per day: outcomes, success rate, p50/p95 duration and gate waits, empty days included', async () => {
    const t = await trends({ workflow: 'deploy_application', from: '2026-11-01', to: '2026-11-04' });
    expect(t.from).toBe('2026-11-01T00:00:00.000Z');
    expect(t.to).toBe('2026-11-04T23:59:59.999Z');
    expect(t.buckets).toEqual([
      {
        start: '2026-11-01T00:00:00.000Z',
        runs: 3,
        completed: 2,
        failed: 1,
        cancelled: 0,
        successRate: 2 / 3,
        durationP50Ms: 200_000, // of 100, 200, 400 s
        durationP95Ms: 380_000, // 200 + 0.9 × 200
        gateWaits: 3,
        gateWaitTotalMs: 390_000, // 60 + 300 + 30
        gateWaitP50Ms: 60_000,
      },
      {
        start: '2026-11-02T00:00:00.000Z',
        runs: 4,
        completed: 0,
        failed: 1,
        cancelled: 2,
        successRate: 0,
        durationP50Ms: 50_000,
        durationP95Ms: 50_000,
        gateWaits: 2, // rejected after 120 s, cancelled after 600 s; F's open wait is not counted
        gateWaitTotalMs: 720_000,
        gateWaitP50Ms: 360_000,
      },
      {
        start: '2026-11-03T00:00:00.000Z',
        runs: 2,
        completed: 1,
        failed: 1,
        cancelled: 0,
        successRate: 0.5,
        durationP50Ms: 180_000, // of 60 s (not the hour until its rollback) and 300 s
        durationP95Ms: 288_000,
        gateWaits: 2,
        gateWaitTotalMs: 30_000,
        gateWaitP50Ms: 15_000,
      },
      { start: '2026-11-04T00:00:00.000Z', ...empty },
    ]);
    expect(t.totals).toEqual({
      runs: 9,
      completed: 3,
      failed: 3,
      cancelled: 2,
      successRate: 0.5,
      durationP50Ms: 150_000, // of 50, 60, 100, 200, 300, 400 s
      durationP95Ms: 375_000,
      gateWaits: 7,
      gateWaitTotalMs: 1_140_000,
      gateWaitP50Ms: 60_000,
    });
  });

  it('the steps that fail most: runs in which each failed, its share of the runs, a failed continue_on_error step too', async () => {
    const t = await trends({ workflow: 'deploy_application', from: '2026-11-01', to: '2026-11-04' });
    expect(t.failingSteps).toEqual([
      { stepId: 'monitor_job', title: 'Step monitor_job', failures: 2, share: 2 / 9 },
      { stepId: 'notify', title: 'Step notify', failures: 1, share: 1 / 9 },
      { stepId: 'validate_repository', title: 'Step validate_repository', failures: 1, share: 1 / 9 },
    ]);
  });

  it('per ISO week (Monday, UTC): Sunday 1 November falls in the week of 26 October', async () => {
    const t = await trends({
      workflow: 'deploy_application',
      from: '2026-11-01',
      to: '2026-11-04',
      bucket: 'week',
    });
    expect(t.buckets.map((b) => [b.start, b.runs, b.completed, b.failed, b.cancelled, b.gateWaits])).toEqual([
      ['2026-10-26T00:00:00.000Z', 3, 2, 1, 0, 3],
      ['2026-11-02T00:00:00.000Z', 6, 1, 2, 2, 4],
    ]);
    expect(t.totals.runs).toBe(9);
  });

  it('the range is exact to the instant, and a range with no runs answers zeros', async () => {
    const edge = await trends({ workflow: 'deploy_application', from: '2026-10-31', to: '2026-10-31' });
    expect(edge.totals).toMatchObject({ runs: 1, failed: 1, durationP50Ms: 1000 });
    expect(edge.failingSteps).toEqual([
      { stepId: 'monitor_job', title: 'Step monitor_job', failures: 1, share: 1 },
    ]);
    const none = await trends({ workflow: 'nothing_here', from: '2026-11-01', to: '2026-11-02' });
    expect(none.totals).toEqual(empty);
    expect(none.buckets).toEqual([
      { start: '2026-11-01T00:00:00.000Z', ...empty },
      { start: '2026-11-02T00:00:00.000Z', ...empty },
    ]);
    expect(none.failingSteps).toEqual([]);
  });
});
